"""What an operator reads of an unhandled error: its kind, which conditions of a unit of
work failed and which service asked, never the message."""

from chalicelib.domain.errors import Refused
from chalicelib.logs import describe


def _refuse_from_a_service():
    # Raised two frames deep, as an adapter's commit under a service would.
    def commit():
        raise Refused(frozenset({"data-request-alert", "audit"}))

    commit()


def test_a_refused_unit_of_work_names_its_conditions_and_where_it_came_from():
    try:
        _refuse_from_a_service()
    except Refused as exc:
        said = describe(exc)
    assert said.startswith("Refused(audit, data-request-alert) at tests/test_logs.py:")


def test_the_message_of_an_error_is_never_told():
    try:
        raise ValueError("Ковальчук Олександр")
    except ValueError as exc:
        said = describe(exc)
    assert "Ковальчук" not in said and said.startswith("ValueError at tests/test_logs.py:")
