"""Coalition contacts: the people an alert can reach."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from chalicelib.domain.report import ContractModel, Email, Phone, _oblast

ALL_OBLASTS = "*"


def _oblast_or_all(value: str) -> str:
    return value if value == ALL_OBLASTS else _oblast(value)


class Contact(ContractModel):
    contact_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    organisation: str
    # The agency whose caseworkers work the cases routed to this contact, e.g. UA-NIB.
    agency: str = Field(pattern=r"^[A-Z]{2}-[A-Z0-9-]{2,30}$")
    member_state: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    email: Email | None = None
    phone: Phone | None = None
    languages: list[Literal["uk", "en", "ru"]] = Field(min_length=1)
    channels: list[Literal["email", "sms"]] = Field(min_length=1)
    # The oblasts whose reports this contact receives; "*" for all of them.
    oblasts: list[Annotated[str, AfterValidator(_oblast_or_all)]] = Field(default_factory=list)
    # Coordinators receive every report whatever the routing, so nothing goes unseen.
    coordinator: bool = False
    # 0: alerted first. n: alerted when an alert is still unacknowledged after n delays.
    escalation_level: int = Field(default=0, ge=0, le=5)
    active: bool = True

    def address(self, channel: str) -> str | None:
        return self.email if channel == "email" else self.phone

    @property
    def language(self) -> str:
        # Alerts are written in uk or en; a Russian-only reader gets Ukrainian's sibling, en.
        for language in self.languages:
            if language in ("uk", "en"):
                return language
        return "en"
