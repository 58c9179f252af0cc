"""What a caseworker with sixty open cases needs, in process: a reference found as it is
read aloud (without "HW-"), a match compared field by field in words, the case page with
what matters first, the case list filtered and worked in bulk."""

from __future__ import annotations

import pytest
from console_text import assert_words_only, visible
from helpers import Console, post_report


@pytest.fixture
def reference(client, pump, report_body):
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


@pytest.mark.parametrize("typed", ["{tail}", "{tail_lower}", "{spaced}", "HW {spaced}"])
def test_a_reference_without_hw_finds_the_case_in_the_console_and_the_api(
    client, reference, staff, typed
):
    tail = reference.removeprefix("HW-")
    typed = typed.format(tail=tail, tail_lower=tail.lower(), spaced=tail.replace("-", " "))
    south = Console(client, "demo-taras-bondar", lang="uk")
    south.get("/staff/search")
    found = south.post("/staff/search", {"q": typed})
    assert found.status_code == 303, typed
    assert found.headers["Location"].endswith(f"staff/cases/{reference}")
    api = staff("caseworker", "UA-OMBUDSMAN").post("/search", {"q": typed}).json_body
    assert [c["reference"] for c in api["cases"]] == [reference]
    # Another agency's caseworker learns nothing from the short form either.
    east = staff("caseworker", "UA-JUVPOL").post("/search", {"q": typed}).json_body
    assert east["cases"] == []


def test_a_search_without_hw_that_finds_nothing_says_so_in_words(client, reference):
    south = Console(client, "demo-taras-bondar", lang="uk")
    south.get("/staff/search")
    page = south.post("/staff/search", {"q": "2222-3333"})
    assert page.status_code == 200
    assert "нічого не знайдено" in visible(page.body.decode())
    assert_words_only(page.body.decode())
