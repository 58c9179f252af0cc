"""Which routes a Lambda function registers: the ones API Gateway sends it, nothing more.

Every function runs app.py. Importing a blueprint imports its pages and models, so a
function that registered all of them would pay, on every cold start, for the others'
(the staff console alone is most of the app's import). infra/package.py tells each
function what it serves in HOMEWARD_SERVES:

- "public": the public function (the form, the JSON intake, status, acknowledgement
  links, partners): what infra.package.is_public routes to it;
- "staff": Chalice's APIHandler (the staff API and console);
- "events": the stream, queue and schedule functions, which serve no route at all;
- "telegram": the Telegram bot's webhook (chalicelib/web/telegram.py), nothing else.

Unset (the local runner, tests, `chalice package`), the app serves everything.
tests/test_function_imports.py checks each set against API Gateway's split and what each
function imports.
"""

from __future__ import annotations

from typing import Any

from chalicelib.lazy import lazy_module

# In app.py's order of registration; each imported only when its function registers it.
# (Each name written out, so that the architecture checks can read what is imported.)
ALL = {
    "public": lazy_module("chalicelib.web.public"),
    "dev": lazy_module("chalicelib.web.dev"),
    "pages": lazy_module("chalicelib.web.pages"),
    "form": lazy_module("chalicelib.web.form"),
    "uploads": lazy_module("chalicelib.web.uploads"),
    "status": lazy_module("chalicelib.web.status"),
    "staff": lazy_module("chalicelib.web.staff"),
    "directory": lazy_module("chalicelib.web.directory"),
    "partners": lazy_module("chalicelib.web.partners"),
    "ack": lazy_module("chalicelib.web.ack"),
    "signin": lazy_module("chalicelib.web.signin"),
    "console_api": lazy_module("chalicelib.web.console_api"),
    "aftercare": lazy_module("chalicelib.web.aftercare"),
    "console": lazy_module("chalicelib.web.console.routes"),
    "telegram": lazy_module("chalicelib.web.telegram"),
}
# partners has both kinds (its staff routes manage partners): both functions register it,
# and API Gateway sends each its own.
SERVED = {
    "public": ("public", "dev", "pages", "form", "uploads", "status", "partners", "ack", "signin"),
    "staff": ("staff", "directory", "partners", "console_api", "aftercare", "console"),
    "events": (),
    # The Telegram bot's webhook, alone in its function (infra/package.py).
    "telegram": ("telegram",),
}


def serving(serves: str | None) -> list[Any]:
    """The blueprints of one function's routes (all of them when `serves` is unset)."""
    if serves and serves not in SERVED:
        raise ValueError(f"HOMEWARD_SERVES={serves!r}: expected one of {sorted(SERVED)}")
    return [module.bp for name, module in ALL.items() if not serves or name in SERVED[serves]]
