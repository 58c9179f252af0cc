"""Every answer shape takes its states and enums from the domain.

A partner's report marked as a duplicate read back as a 422 (issue 21): the partner
answer had restated the reporter's stages and missed "combined". Here every field of
every request and answer model in web/ that names a fixed set of values must name one
the domain declares (a Literal or an enum of chalicelib/domain), or some of a domain
enum's members; a one-value Literal (a constant like `"queued"`) is no enum to restate.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import typing

from pydantic import BaseModel

import chalicelib.domain
from chalicelib.domain.progress import Stage, reporter_stage
from chalicelib.domain.workflow import Status

SCHEMAS = (
    "chalicelib.web.schemas",
    "chalicelib.web.schemas_console",
    "chalicelib.web.partner_schemas",
)


def domain_sets() -> tuple[list[frozenset], list[frozenset]]:
    literals, enums = [], []
    for info in pkgutil.iter_modules(chalicelib.domain.__path__):
        module = importlib.import_module(f"chalicelib.domain.{info.name}")
        for value in vars(module).values():
            if typing.get_origin(value) is typing.Literal:
                literals.append(frozenset(typing.get_args(value)))
            elif isinstance(value, type) and issubclass(value, enum.Enum):
                enums.append(frozenset(value))
    return literals, enums


def fixed_sets(annotation) -> typing.Iterator[object]:
    """The Literals and enums inside a field's annotation (list[...], X | None...)."""
    if typing.get_origin(annotation) is typing.Literal:
        yield annotation
        return
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        yield annotation
        return
    for argument in typing.get_args(annotation):
        yield from fixed_sets(argument)


def restated(models: list[type[BaseModel]]) -> list[str]:
    literals, enums = domain_sets()
    wrong = []
    for model in models:
        for name, field in model.model_fields.items():
            for found in fixed_sets(field.annotation):
                if isinstance(found, type):
                    if not found.__module__.startswith("chalicelib.domain"):
                        wrong.append(f"{model.__name__}.{name}: {found.__name__}")
                    continue
                values = frozenset(typing.get_args(found))
                # A subset of a domain enum names its members (Review.CONFIRMED), not strings.
                members = all(isinstance(v, enum.Enum) for v in values)
                if (
                    len(values) == 1
                    or values in literals
                    or (members and any(values <= e for e in enums))
                ):
                    continue
                wrong.append(f"{model.__name__}.{name}: {sorted(map(str, values))}")
    return wrong


def schema_models() -> list[type[BaseModel]]:
    found = []
    for name in SCHEMAS:
        module = importlib.import_module(name)
        found += [
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == name
        ]
    return found


def test_no_request_or_answer_shape_restates_a_domain_enum():
    models = schema_models()
    assert len(models) > 40
    assert restated(models) == []


def test_the_check_sees_a_restated_stage():
    class Restated(BaseModel):
        stage: typing.Literal["received", "in_review", "closed"]
        stages: list[typing.Literal["received", "closed"]] | None = None
        derived: Stage

    assert restated([Restated]) == [
        "Restated.stage: ['closed', 'in_review', 'received']",
        "Restated.stages: ['closed', 'received']",
    ]


def test_every_status_reads_back_to_a_partner_and_in_a_webhook():
    from chalicelib.web.partner_schemas import PartnerReportStatus, WebhookShown

    for status in Status:
        stage = reporter_stage(status)
        PartnerReportStatus(
            external_id="E-1", reference="HW-2222-2222", received_at="", stage=stage
        )
        assert stage in typing.get_args(WebhookShown.model_fields["stage"].annotation)
