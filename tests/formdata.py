"""The contract's example report as the web form posts it (field name -> value)."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from urllib.parse import urlencode

from helpers import EXAMPLE_REPORT

from chalicelib.domain.keyring import Purpose, derived

FORM = "application/x-www-form-urlencoded"
# The report's dates, and the form's date each is asked in.
DATES = {
    "child.date_of_birth": "child.date_of_birth",
    "child.birth_year": "child.date_of_birth",
    "event.date": "event.date",
}
# What tests/conftest.py's `aws` fixture sets as the deployment's signing key.
SIGNING_KEY = b"test-signing-key"
# The form keys' own key, derived from it as a run on one machine derives it.
FORM_KEY = derived(SIGNING_KEY, Purpose.FORM_KEYS).encode()


@cache
def form_key(name: str = "form-key-00000001", *, signing_key: bytes = FORM_KEY) -> str:
    """A form key as the form page issues it, the same one for a name all session long."""
    from chalicelib.domain import form_keys

    nonce = hashlib.sha256(name.encode()).digest()[:12]
    return form_keys.issue(signing_key, dt.datetime.now(dt.UTC), nonce=nonce)


def form_fields(report: dict | None = None, **extra: str) -> dict[str, str]:
    report = report or EXAMPLE_REPORT
    fields: dict[str, str] = {}
    for part, values in report.items():
        if not isinstance(values, dict):
            if values:
                fields[part] = "yes"
            continue
        for name, value in values.items():
            key = f"{part}.{name}"
            if value is None:
                continue
            if key in DATES:
                # The form asks a date as day, month and year (a birth: the year alone).
                day, month, year = ("", "", str(value))
                if isinstance(value, str):
                    year, month, day = value.split("-")
                    day, month = str(int(day)), str(int(month))
                name = DATES[key]
                fields.update({f"{name}.day": day, f"{name}.month": month, f"{name}.year": year})
            elif isinstance(value, bool):
                if part in ("reporter", "consent"):
                    fields[key] = "yes" if value else "no"
                elif value:
                    fields[key] = "yes"
            elif isinstance(value, list):
                fields[key] = ", ".join(value)
            else:
                fields[key] = str(value)
    fields.update({"lang": "uk", "submission_key": form_key(), "website": ""})
    fields.update(extra)
    return fields


def post_form(client, fields: dict, *, lang: str = "uk", body: str | None = None, headers=None):
    return client.http.post(
        f"/report?lang={lang}",
        headers={"Content-Type": FORM, **(headers or {})},
        body=body if body is not None else urlencode(fields, doseq=True),
    )


def with_photo(client, name: str, photo: bytes) -> dict[str, str]:
    """The form's fields with `photo` uploaded to slot 1, as the page does it (the upload
    grant, then the POST to the bucket that moto answers in process)."""
    import json

    import requests

    key = form_key(name)
    asked = {"submission_key": key, "slot": 1, "content_type": "image/jpeg", "size": len(photo)}
    grant = client.http.post(
        "/report/uploads", headers={"Content-Type": "application/json"}, body=json.dumps(asked)
    ).json_body
    sent = requests.post(grant["url"], data=grant["fields"], files={"file": photo}, timeout=30)
    assert sent.status_code in (200, 201, 204)
    return form_fields(submission_key=key, upload="1")
