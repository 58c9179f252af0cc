"""Routing rules: which contacts an alert reaches, over which channels, and who next.

A rule matches alerts by oblast, event category, urgency and last known country (an
empty list matches anything) and names the contacts alerted first, the channels, and
an escalation policy: who is alerted at each rung when nobody acknowledged in time, and
how long that time is. Every matching rule applies; their contacts are joined.

What no rule routes goes to the coordinators, and so does the last rung of every ladder:
nothing reaches nobody. The directory refuses a change that would leave a rule, or a
rung, with no active contact reachable on its channels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import Field, model_validator

from chalicelib.domain.aftercare import NEXT_STEP_OWNER, ReturnStage, StepOwner
from chalicelib.domain.alerts import FOR_AUDITORS, Alert, Delivery
from chalicelib.domain.contacts import Channel, Contact, ContactId
from chalicelib.domain.disclosure import Disclosure, OrganisationKind, Recipient, disclosure
from chalicelib.domain.report import Category, ContractModel, Country, Oblast

# A bounded ladder: at most this many rungs of contacts before the coordinators.
MAX_ESCALATION_LEVELS = 4


class EscalationPolicy(ContractModel):
    # levels[0] is alerted at the first escalation, levels[1] at the second...
    levels: list[list[ContactId]] = Field(default_factory=list, max_length=MAX_ESCALATION_LEVELS)
    # How long an alert may wait unacknowledged before the next rung; None: the default
    # (15 minutes for an urgent report, 24 hours otherwise, set by the deployment).
    urgent_after_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    normal_after_minutes: int | None = Field(default=None, ge=1, le=14 * 24 * 60)

    @model_validator(mode="after")
    def _no_empty_rung(self) -> EscalationPolicy:
        if any(not rung for rung in self.levels):
            raise ValueError("every escalation level names at least one contact")
        return self


class RoutingRule(ContractModel):
    rule_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    description: str = Field(default="", max_length=300)
    active: bool = True
    # What the rule matches; an empty list matches anything.
    oblasts: list[Oblast] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    urgency: Literal["any", "urgent", "normal"] = "any"
    last_known_countries: list[Country] = Field(default_factory=list)
    # Whom it alerts first, and how.
    contacts: list[ContactId] = Field(min_length=1)
    channels: list[Channel] = Field(default_factory=lambda: list(Channel), min_length=1)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)

    def matches(self, alert: Alert) -> bool:
        return (
            self.active
            and (not self.oblasts or alert.oblast in self.oblasts)
            and (not self.categories or alert.category in self.categories)
            and (self.urgency == "any" or (self.urgency == "urgent") == alert.urgent)
            and (
                not self.last_known_countries
                or alert.last_known_country in self.last_known_countries
            )
        )

    def rung(self, level: int) -> list[str]:
        """The contacts of a rung: 0 the first alert, n the n-th escalation ([] past the end)."""
        if level == 0:
            return self.contacts
        return self.escalation.levels[level - 1] if level <= len(self.escalation.levels) else []


def resolve(delivery: Delivery, contact: Contact | None) -> Delivery | None:
    """A delivery as the directory says it now, when it is sent (or sent again): the
    contact's current address and language for its channel. None when the contact can no
    longer be sent it (gone from the directory, inactive, or without that channel).

    Routing chose who, and how much each may learn (a withdrawal's own path takes back
    what consent no longer allows); the address is the directory's at the moment of
    sending, so a coordinator's correction reaches every alert still to be sent, and
    every resend.
    """
    if contact is None or not contact.active or delivery.channel not in contact.channels:
        return None
    address = contact.address(delivery.channel)
    if not address:
        return None
    return replace(delivery, address=address, language=contact.language)


@dataclass(frozen=True)
class Problem:
    """Something that would make an alert reach nobody: its kind and what it is about, so
    that the API says it in English (str) and a page in its reader's language."""

    # no-coordinator | no-intake-desk | agency-kinds | no-contact | unreachable
    kind: str
    rule: str | None = None
    # 0 the first alert, n the n-th escalation.
    level: int | None = None
    contact: str | None = None
    agency: str | None = None
    # The channels a rule uses, or the kinds an agency's contacts disagree on.
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = "first alert" if self.level == 0 else f"escalation level {self.level}"
        if self.kind == "no-coordinator":
            return (
                "no active coordinator: alerts no rule routes, and the end of every "
                "escalation ladder, would reach nobody"
            )
        if self.kind == "no-intake-desk":
            return (
                "no active coordinator at the intake desk: a report shared with nobody "
                "would reach no one who may work it"
            )
        if self.kind == "agency-kinds":
            listed = ", ".join(self.values)
            return f"agency {self.agency}: its contacts disagree on what it is ({listed})"
        if self.kind == "no-contact":
            return f"rule {self.rule}, {where}: no contact {self.contact}"
        return (
            f"rule {self.rule}, {where}: no active contact reachable by {' or '.join(self.values)}"
        )


@dataclass(frozen=True)
class Directory:
    """The contacts and routing rules, as read together from one version of the table."""

    contacts: tuple[Contact, ...] = ()
    rules: tuple[RoutingRule, ...] = ()
    version: int = 0
    _by_id: dict[str, Contact] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.contact_id: c for c in self.contacts})

    def contact(self, contact_id: str) -> Contact | None:
        return self._by_id.get(contact_id)

    def rule(self, rule_id: str) -> RoutingRule | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)

    @property
    def coordinators(self) -> list[Contact]:
        return sorted(
            (c for c in self.contacts if c.active and c.coordinator), key=lambda c: c.contact_id
        )

    def with_contact(self, contact: Contact) -> Directory:
        others = tuple(c for c in self.contacts if c.contact_id != contact.contact_id)
        return Directory((*others, contact), self.rules, self.version)

    def without_contact(self, contact_id: str) -> Directory:
        others = tuple(c for c in self.contacts if c.contact_id != contact_id)
        return Directory(others, self.rules, self.version)

    def with_rule(self, rule: RoutingRule) -> Directory:
        others = tuple(r for r in self.rules if r.rule_id != rule.rule_id)
        return Directory(self.contacts, (*others, rule), self.version)

    def without_rule(self, rule_id: str) -> Directory:
        others = tuple(r for r in self.rules if r.rule_id != rule_id)
        return Directory(self.contacts, others, self.version)

    def organisation_of(self, agency: str) -> str:
        """An agency as people name it: the organisation of its contacts (else its code)."""
        found = sorted(c.organisation for c in self.contacts if c.agency == agency)
        return found[0] if found else agency

    def recipient(self, agency: str) -> Recipient:
        """What an agency is for the disclosure policy, from its contacts.

        An agency the directory does not know is treated as an authority that is not the
        intake desk: it sees a report only when the reporter allowed every sharing.
        """
        contacts = [c for c in self.contacts if c.agency == agency]
        if not contacts:
            return Recipient(OrganisationKind.LAW_ENFORCEMENT)
        return Recipient(kind=contacts[0].kind, intake_desk=any(c.intake_desk for c in contacts))

    def rules_naming(self, contact_id: str) -> list[str]:
        return sorted(
            r.rule_id
            for r in self.rules
            if any(contact_id in r.rung(n) for n in range(len(r.escalation.levels) + 1))
        )

    # -- what is wrong -------------------------------------------------------------

    def problems(self) -> set[str]:
        """Everything that would make an alert reach nobody, in words a coordinator acts on
        (English, as the API gives them; `problem_list` for a page to word them)."""
        return {str(p) for p in self.problem_list()}

    def problem_list(self) -> set[Problem]:
        found: set[Problem] = set()
        if not any(self._reachable(c, tuple(Channel)) for c in self.coordinators):
            found.add(Problem("no-coordinator"))
        elif not any(
            c.intake_desk and self._reachable(c, tuple(Channel)) for c in self.coordinators
        ):
            found.add(Problem("no-intake-desk"))
        kinds: dict[str, set[str]] = {}
        for contact in self.contacts:
            kinds.setdefault(contact.agency, set()).add(contact.kind)
        for agency, seen in sorted(kinds.items()):
            if len(seen) > 1:
                found.add(Problem("agency-kinds", agency=agency, values=tuple(sorted(seen))))
        for rule in self.rules:
            if not rule.active:
                continue
            for level in range(len(rule.escalation.levels) + 1):
                reachable = False
                for contact_id in rule.rung(level):
                    contact = self.contact(contact_id)
                    if contact is None:
                        found.add(
                            Problem(
                                "no-contact", rule=rule.rule_id, level=level, contact=contact_id
                            )
                        )
                    elif self._reachable(contact, rule.channels):
                        reachable = True
                if not reachable:
                    found.add(
                        Problem(
                            "unreachable",
                            rule=rule.rule_id,
                            level=level,
                            values=tuple(str(c) for c in rule.channels),
                        )
                    )
        return found

    @staticmethod
    def _reachable(contact: Contact, channels: Iterable[str]) -> bool:
        return contact.active and any(
            ch in contact.channels and contact.address(ch) for ch in channels
        )

    # -- routing -------------------------------------------------------------------

    def matching(self, alert: Alert) -> list[RoutingRule]:
        return sorted((r for r in self.rules if r.matches(alert)), key=lambda r: r.rule_id)

    def ladder_length(self, alert: Alert) -> int:
        """The rungs of contacts above the first alert; the coordinators' rung comes after."""
        if alert.kind == "referral":
            return 0  # the provider, then the coordinators (who refer elsewhere)
        alerts = [alert] + ([alert.counterpart] if alert.counterpart else [])
        return max((len(r.escalation.levels) for a in alerts for r in self.matching(a)), default=0)

    def acknowledge_within(self, alert: Alert, *, urgent: int, normal: int) -> dt.timedelta:
        """How long the alert may wait unacknowledged: the strictest matching rule decides."""
        minutes = [
            r.escalation.urgent_after_minutes if alert.urgent else r.escalation.normal_after_minutes
            for r in self.matching(alert)
        ]
        overrides = [m * 60 for m in minutes if m is not None]
        return dt.timedelta(seconds=min(overrides, default=urgent if alert.urgent else normal))

    def owners(self, alert: Alert) -> frozenset[str]:
        """The desks that own the case an alert is about: whose acknowledgement stops its
        ladder. Declared here, once, for links, the console and working the case.

        A desk owns a case when the report's first alert is routed to it with the
        report's details (so the case is in its mandate) and it is the intake desk or a
        desk of the report's own country. A foreign liaison told of the case, or a rung
        of the escalation, has seen it: that is recorded, and the ladder goes on until
        an owning desk answers. For a confirmed match, the owners of either case.
        """
        if alert.referred is not None:
            return frozenset({alert.referred[2]})  # the provider asked answers it
        first = replace(alert, purpose=alert.root)
        about = [first] + ([first.counterpart_at_level()] if first.counterpart else [])
        found: set[str] = set()
        for one in about:
            if one is None or one.kind == "break_glass":
                continue
            country = one.oblast.split("-", 1)[0]
            for delivery in self._route(one):
                contact = self._by_id[delivery.contact_id]
                if delivery.disclosure == Disclosure.DETAILS and (
                    contact.intake_desk or contact.member_state == country
                ):
                    found.add(delivery.agency)
        return frozenset(found)

    def route(self, alert: Alert) -> list[Delivery]:
        """One delivery per contact and channel for this alert at its rung of the ladder,
        each saying how much of the report its contact may learn. Contacts the reporter's
        consent keeps out get nothing at all."""
        if alert.kind in FOR_AUDITORS:
            found = self._to_auditors(alert)
        elif alert.counterpart is not None:
            found = self._match(alert)
        elif alert.kind == "return_step":
            found = self._next_step(alert)
        elif alert.kind == "report_on_return":
            found = self._case_desks(alert) or self._to_coordinators(alert)
        elif alert.referred is not None:
            found = self._to_provider(alert)
        else:
            found = self._route(alert)
        # Recorded on each delivery, so the acknowledgement of its link needs no directory.
        owning = self.owners(alert)
        return [replace(d, owner=d.agency in owning) for d in found]

    def _match(self, alert: Alert) -> list[Delivery]:
        """A confirmed match: one message to each desk of either case (its e-mail, else its
        SMS), with the more its consent lets it learn of the two.

        Not to the desks of the agency whose caseworker confirmed it, at first: a desk is a
        shared mailbox, and that agency's one learns nothing its own caseworker did not
        just do (the link is on both cases, and in their audit trails). Unless they are
        the only ones told: then their colleagues at that desk hear of it, since someone
        must, and the escalations go to whoever their rung names.
        """
        found: dict[str, list[Delivery]] = {}
        for about in (alert, alert.counterpart_at_level()):
            assert about is not None
            for delivery in self._route(about):
                found.setdefault(delivery.contact_id, []).append(delivery)
        deliveries = []
        for contact_id in sorted(found):
            offered = found[contact_id]
            by_mail = [d for d in offered if d.channel == Channel.EMAIL]
            deliveries.append(
                replace(
                    (by_mail or offered)[0],
                    alert=alert,
                    disclosure=max(d.disclosure for d in offered),
                )
            )
        others = [d for d in deliveries if d.agency != alert.confirmed_by]
        return others if alert.level == 0 and others else deliveries

    def _route(self, alert: Alert) -> list[Delivery]:
        channels: dict[str, list[str]] = {}
        for rule in self.matching(alert):
            for contact_id in rule.rung(alert.level):
                contact = self.contact(contact_id)
                if contact is None or not contact.active:
                    continue
                chosen = channels.setdefault(contact_id, [])
                chosen += [c for c in contact.channels if c in rule.channels and c not in chosen]
        deliveries = self._deliveries(alert, channels)
        if not any(d.disclosure == Disclosure.DETAILS for d in deliveries):
            # No rule, the ladder's end, or nobody the consent lets work it: the
            # coordinators too, on all their channels (the intake desk's always may).
            coordinators = {
                c.contact_id: c.channels for c in self.coordinators if c.contact_id not in channels
            }
            deliveries += self._deliveries(alert, coordinators)
        return deliveries

    def _next_step(self, alert: Alert) -> list[Delivery]:
        """A step of the return: the desks that own the case (not every agency told of
        the report: the journey is the child's danger), or the coordinators when the next
        step is theirs (and when no desk owns it)."""
        owner = NEXT_STEP_OWNER[ReturnStage(alert.return_stage)]
        found = self._case_desks(alert) if owner == StepOwner.CASE_DESK else []
        return found or self._to_coordinators(alert)

    def _case_desks(self, alert: Alert) -> list[Delivery]:
        """The desks that own the case an alert is about, as its report was routed."""
        owning = self.owners(alert)
        return [d for d in self._route(alert) if d.agency in owning]

    def _to_coordinators(self, alert: Alert) -> list[Delivery]:
        return self._deliveries(alert, {c.contact_id: c.channels for c in self.coordinators})

    def _to_provider(self, alert: Alert) -> list[Delivery]:
        """A new referral: the provider's active contacts on all their channels, told that
        a referral exists and for what (a provider learns nothing of a report: its people
        read what the referral releases in their inbox). Up the ladder, or when the
        provider has nobody reachable, the coordinators, as the report's consent allows."""
        provider = alert.referred[2] if alert.referred else None
        chosen = {
            c.contact_id: c.channels
            for c in self.contacts
            if alert.level == 0 and c.agency == provider and c.active
        }
        return self._deliveries(alert, chosen, Disclosure.EXISTENCE) or self._to_coordinators(alert)

    def _to_auditors(self, alert: Alert) -> list[Delivery]:
        """A break-glass access: the auditors by e-mail (it names no child), else the
        coordinators; neither gets the case into a mandate through it."""
        auditors = [c for c in self.contacts if c.auditor and c.active and c.email]
        chosen = auditors or [c for c in self.coordinators if c.email]
        return [
            Delivery(
                alert=alert,
                contact_id=c.contact_id,
                agency=c.agency,
                channel=Channel.EMAIL,
                address=c.email,
                language=c.language,
                disclosure=Disclosure.EXISTENCE,
            )
            for c in sorted(chosen, key=lambda c: c.contact_id)
        ]

    def _deliveries(
        self, alert: Alert, channels: dict[str, list[str]], told: Disclosure | None = None
    ) -> list[Delivery]:
        """`told`: what every contact learns, when it is not the consent's to say (a
        provider told only that a referral exists)."""
        deliveries: list[Delivery] = []
        for contact_id in sorted(channels):
            contact = self._by_id[contact_id]
            level = disclosure(contact.recipient, alert.consent) if told is None else told
            if level == Disclosure.NOTHING:
                continue
            for channel in channels[contact_id]:
                address = contact.address(channel)
                if address:
                    deliveries.append(
                        Delivery(
                            alert=alert,
                            contact_id=contact_id,
                            agency=contact.agency,
                            channel=channel,
                            address=address,
                            language=contact.language,
                            disclosure=level,
                        )
                    )
        return deliveries
