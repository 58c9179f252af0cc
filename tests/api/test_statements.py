"""The staff API's witness statements: taken from adults only, in the domain's words when
refused; listed without their words; read whole only by the evidence role."""

import datetime as dt

import pytest


@pytest.fixture
def case(client, report_body):
    response = client.http.post(
        "/api/v1/reports",
        headers={"Content-Type": "application/json"},
        body=__import__("json").dumps(report_body),
    )
    assert response.status_code == 201
    return response.json_body["reference"]


def statement(**changes):
    given = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return {
        "witness": "neighbour",
        "witness_name": "Марія Коваль",
        "adult_confirmed": True,
        "given_at": given.isoformat(),
        "language": "uk",
        "saw": "Бачила автобус біля школи",
        "heard": "",
        "taker_role": "hotline_operator",
        "taken_how": "by_phone",
        "evidence_consent": True,
    } | changes


def test_a_statement_from_a_child_is_refused_with_the_words(staff, case):
    answer = staff("coordinator").post(
        f"/cases/{case}/statements", statement(adult_confirmed=False)
    )
    assert answer.status_code == 422
    (error,) = answer.json_body["errors"]
    assert error["loc"] == ["adult_confirmed"]
    assert "never asks a child to testify" in error["msg"]
    assert staff("coordinator").get(f"/cases/{case}/statements").json_body["statements"] == []


def test_the_words_are_only_for_the_evidence_role(staff, token, client, case):
    taken = staff("coordinator").post(f"/cases/{case}/statements", statement())
    assert taken.status_code == 201, taken.json_body
    record = taken.json_body
    assert record["statement_id"] == f"{case}-S1" and not record["words_shown"]
    assert record["saw"] is None and record["witness_name"] is None  # no words echoed
    (listed,) = staff("coordinator").get(f"/cases/{case}/statements").json_body["statements"]
    assert listed["saw"] is None and listed["witness_name"] is None
    one = f"/cases/{case}/statements/{record['statement_id']}"
    assert staff("coordinator").get(one).status_code == 403
    keeper = {"Authorization": f"Bearer {token('coordinator', 'UA-NIB', evidence=True)}"}
    read = client.http.get(f"/api/v1/staff{one}", headers=keeper)
    assert read.status_code == 200
    assert (read.json_body["saw"], read.json_body["witness_name"]) == (
        "Бачила автобус біля школи",
        "Марія Коваль",
    )
    # There is no way to change a statement: a correction is a new one.
    assert staff("coordinator").put(one, statement()).status_code in (403, 404, 405)


def test_staff_record_a_witness_withdrawing_the_consent_once(staff, case):
    taken = staff("coordinator").post(f"/cases/{case}/statements", statement())
    withdrawal = f"/cases/{case}/statements/{taken.json_body['statement_id']}/consent-withdrawal"
    assert staff("auditor").post(withdrawal, {"why": "by phone"}).status_code == 403
    blank = staff("coordinator").post(withdrawal, {"why": "  "})
    assert blank.status_code == 422 and blank.json_body["errors"][0]["loc"] == ["why"]
    done = staff("coordinator").post(withdrawal, {"why": "Мати зателефонувала"})
    assert done.status_code == 201, done.json_body
    assert done.json_body["taken_out_of"] == [] and done.json_body["notice"] is None
    again = staff("coordinator").post(withdrawal, {"why": "Мати зателефонувала"})
    assert again.status_code == 409
    assert (
        again.json_body["detail"]
        == "The witness withdrew this consent before: it is recorded once."
    )
    (listed,) = staff("coordinator").get(f"/cases/{case}/statements").json_body["statements"]
    assert listed["consent_withdrawn_at"] == done.json_body["withdrawn_at"]
    assert listed["evidence_consent"] is True  # the sealed record, as it was given


def test_the_answer_says_in_words_whom_to_tell_when_it_was_handed_over():
    from chalicelib.domain.statements import ConsentWithdrawal
    from chalicelib.services.statements import StatementWithdrawn
    from chalicelib.web.schemas_statements import StatementWithdrawal

    at = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
    withdrawal = ConsentWithdrawal("HW-1-S1", at, "c-1", "by phone")
    done = StatementWithdrawal.of(StatementWithdrawn(withdrawal, ("P-1",), ("ICC OTP",)))
    assert done.taken_out_of == ["P-1"] and done.handed_over_to == ["ICC OTP"]
    assert done.notice == (
        "The statement was already handed over to ICC OTP. It is with the recipient: the "
        "withdrawal is recorded in its chain of custody, and the recipient must be told that "
        "the witness withdrew the consent."
    )
    assert "by phone" not in done.model_dump_json()  # the reason is not echoed


def test_a_statement_erased_at_retention_is_listed_by_its_number(staff, case):
    """The words go when the case's retention runs out; the list still says a statement was
    given (its hash and chain are kept), as the case page does."""
    from chalicelib import wiring
    from chalicelib.services import erasure

    taken = staff("coordinator").post(f"/cases/{case}/statements", statement())
    assert taken.status_code == 201
    listed = staff("coordinator").get(f"/cases/{case}/statements").json_body
    assert len(listed["statements"]) == 1 and listed["erased"] == []
    assert erasure.anonymise_case(
        case,
        still_due=lambda traces: True,
        stores=wiring.stores(),
        files=wiring.file_store(),
        request_id="retention-test",
        now=dt.datetime.now(dt.UTC),
    )
    listed = staff("coordinator").get(f"/cases/{case}/statements").json_body
    assert listed == {"statements": [], "erased": [1]}
