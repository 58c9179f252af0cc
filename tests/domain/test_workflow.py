import itertools

import pytest

from chalicelib.domain.staff import StaffMember
from chalicelib.domain.workflow import ALLOWED_MOVES, STATUSES, MoveNotAllowed, check_move


def test_the_whole_way_home_is_allowed_with_notes():
    path = ["received", "triaged", "verified", "located", "return_in_progress", "returned"]
    for current, target in itertools.pairwise(path):
        check_move(current, target, "why")
    check_move("returned", "closed", "home since May")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("received", "returned"),
        ("received", "located"),
        ("returned", "received"),
        ("closed", "returned"),
    ],
)
def test_skipping_steps_is_refused(current, target):
    with pytest.raises(MoveNotAllowed):
        check_move(current, target, "note")


def test_a_move_needs_a_note():
    with pytest.raises(MoveNotAllowed, match="note"):
        check_move("received", "triaged", "  ")


def test_every_status_has_a_way_out_and_every_target_is_a_status():
    assert set(ALLOWED_MOVES) == set(STATUSES)
    for targets in ALLOWED_MOVES.values():
        assert targets and targets <= set(STATUSES)


def test_mandates():
    caseworker = StaffMember("u1", "caseworker", "UA-NIB")
    assert caseworker.may_read_case({"UA-NIB", "CA-GAC"})
    assert not caseworker.may_read_case({"CA-GAC"})
    assert StaffMember("u2", "coordinator", "UA-NIB").may_read_case(set())
    auditor = StaffMember("u3", "auditor", "UA-NIB")
    assert not auditor.may_read_case({"UA-NIB"})
    assert auditor.reads_audit and not auditor.works_cases
