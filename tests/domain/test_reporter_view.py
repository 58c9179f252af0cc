"""What a reporter may see of a case, and where their files go."""

import pytest

from chalicelib.domain.attachments import MAX_FILES, slot_key
from chalicelib.domain.progress import reporter_stage


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        ("received", "received"),
        ("acknowledged", "in_review"),
        ("assigned", "in_review"),
        ("tracing", "in_review"),
        ("anything-new", "in_review"),
        ("returned", "closed"),
        ("closed", "closed"),
        ("duplicate", "combined"),
        ("unfounded", "closed"),
    ],
)
def test_case_statuses_read_as_four_coarse_stages(status, stage):
    assert reporter_stage(status) == stage


def test_a_submission_has_at_most_five_slots_under_its_own_prefix():
    assert slot_key("abcdefgh", 1) == "uploads/abcdefgh/1"
    assert slot_key("abcdefgh", MAX_FILES) == "uploads/abcdefgh/5"
    for key, slot in [("abcdefgh", 0), ("abcdefgh", 6), ("../../x", 1), ("short", 1)]:
        with pytest.raises(ValueError):
            slot_key(key, slot)
