"""`make test` deals out whole test modules to its two workers, not single tests.

Module fixtures start a local runner and seed it (the console's morning, the form's
site); a module dealt out test by test starts them once per worker, and a test that
reads what an earlier one did in its runner (the auditor reading the caseworker's trail)
finds nothing. That happened unseen while tests/conftest.py added the group marks after
xdist had read them.
"""

from __future__ import annotations

import pytest


def test_this_module_is_dealt_out_as_one_group(request):
    config = request.config
    if not hasattr(config, "workerinput") or not config.getvalue("loadgroup"):
        pytest.skip("only under make test's workers (pytest -n 2 --dist loadgroup)")
    # xdist names a test's group after an "@" in its id, from the marks it read.
    assert request.node.nodeid.endswith("@tests/test_suite_grouping.py")


def test_the_longest_groups_are_dealt_out_first(request):
    """A browser module dealt out last ran alone on one worker while the other idled:
    tests/infra, then the browser and end-to-end modules, lead the collection."""
    folders = [
        item.path.relative_to(request.config.rootpath).parts[1] for item in request.session.items
    ]
    if not {"infra", "browser", "api"} <= set(folders):
        pytest.skip("only when the whole suite is collected")
    slow = [i for i, folder in enumerate(folders) if folder in ("infra", "browser", "e2e")]
    assert folders[0] == "infra"
    assert slow == list(range(len(slow)))
