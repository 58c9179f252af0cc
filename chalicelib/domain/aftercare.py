"""The child comes home: the return pathway, and the help after it.

Beside the casework statuses (domain/workflow.py), which say how a report is worked, a
case that reaches the return has a record of its own here:

- the **return pathway**: located → verified → on a mediation list → in transit →
  returned → reunited or placed, each step with who took it, when, and how or why;
- the family's **consent** to services and to disclosure to other organisations;
- a **needs assessment** on return, and **services** planned per need (Primero's types),
  each with its implementing organisation, a due date and an outcome;
- **referrals** to service providers, with their lifecycle (in progress → accepted /
  rejected with a reason / revoked → done), made on that consent or on a coordinator's
  stated override;
- **follow-ups**: the first within a set number of days of the return, then at least
  every so often (the inter-agency guidelines say three months), overdue ones noticed;
- **closure** with a reason from a list, approved by a coordinator.

Everything here is pure: the services store it, alert about it and audit it. What leaves
the case (to a provider, to a mediator) is decided by domain/disclosure.py.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.referrals import (
    Assessment,
    Need,
    Referral,
    ReferralError,
    ReferralStatus,
    Service,
    ServicesConsent,
    Why,
)


class AftercareError(ReferralError):
    """A step the record does not allow; `why` says why (domain/referrals.py Why)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- the return pathway ---------------------------------------------------------------


class ReturnStage(StrEnum):
    """Where the child is on the way home. Declared once: storage, API and console derive."""

    LOCATED = "located"
    VERIFIED = "verified"
    ON_MEDIATION_LIST = "on_mediation_list"
    IN_TRANSIT = "in_transit"
    RETURNED = "returned"
    REUNITED = "reunited"
    PLACED = "placed"


RETURN_STAGES = tuple(ReturnStage)

# Each stage is reached only from those listed. A mediator who answers "not found", or a
# journey that stops, sends the child back a step; the return itself is not undone.
RETURN_MOVES: dict[ReturnStage | None, frozenset[ReturnStage]] = {
    None: frozenset({ReturnStage.LOCATED}),
    ReturnStage.LOCATED: frozenset({ReturnStage.VERIFIED}),
    ReturnStage.VERIFIED: frozenset({ReturnStage.ON_MEDIATION_LIST, ReturnStage.LOCATED}),
    ReturnStage.ON_MEDIATION_LIST: frozenset({ReturnStage.IN_TRANSIT, ReturnStage.VERIFIED}),
    ReturnStage.IN_TRANSIT: frozenset({ReturnStage.RETURNED, ReturnStage.ON_MEDIATION_LIST}),
    ReturnStage.RETURNED: frozenset({ReturnStage.REUNITED, ReturnStage.PLACED}),
    ReturnStage.REUNITED: frozenset(),
    ReturnStage.PLACED: frozenset(),
}
# Stages at which the child is home: services, follow-ups and closure begin here.
HOME = frozenset({ReturnStage.RETURNED, ReturnStage.REUNITED, ReturnStage.PLACED})
# Stages that name the person or institution the child went to.
WITH_WHOM = frozenset({ReturnStage.REUNITED, ReturnStage.PLACED})


class StepOwner(StrEnum):
    """Whose work the next step of the pathway is: the desks that own the case, or the
    coordinators (who put verified children on a mediator's list)."""

    CASE_DESK = "case_desk"
    COORDINATORS = "coordinators"


# After each step, who takes the next one: they are alerted (services/aftercare.py).
NEXT_STEP_OWNER: dict[ReturnStage, StepOwner] = {
    stage: StepOwner.COORDINATORS if stage == ReturnStage.VERIFIED else StepOwner.CASE_DESK
    for stage in ReturnStage
}

# The stage, and what the desk alerted does next, in the words of an alert (uk, en). An
# alert says no more: never the route, the mediator or the dates of the journey.
STAGE_WORDS: dict[ReturnStage, dict[str, str]] = {
    ReturnStage.LOCATED: {"en": "located", "uk": "місцеперебування встановлено"},
    ReturnStage.VERIFIED: {"en": "verified", "uk": "перевірено"},
    ReturnStage.ON_MEDIATION_LIST: {
        "en": "on a mediation list",
        "uk": "у списку для посередника",
    },
    ReturnStage.IN_TRANSIT: {"en": "on the way home", "uk": "на шляху додому"},
    ReturnStage.RETURNED: {"en": "returned", "uk": "повернулася додому"},
    ReturnStage.REUNITED: {"en": "reunited with the family", "uk": "возз’єднана з родиною"},
    ReturnStage.PLACED: {"en": "placed in care", "uk": "влаштована під опіку"},
}
NEXT_STEP_WORDS: dict[ReturnStage, dict[str, str]] = {
    ReturnStage.LOCATED: {
        "en": "verify who the child is and where",
        "uk": "перевірте особу дитини та де вона перебуває",
    },
    ReturnStage.VERIFIED: {
        "en": "put the child on a mediator's list",
        "uk": "внесіть дитину до списку для посередника",
    },
    ReturnStage.ON_MEDIATION_LIST: {
        "en": "record the journey when it begins",
        "uk": "запишіть, коли дитина вирушить у дорогу",
    },
    ReturnStage.IN_TRANSIT: {
        "en": "meet the child and record the return",
        "uk": "зустріньте дитину та запишіть повернення",
    },
    ReturnStage.RETURNED: {
        "en": "record with whom the child lives, and assess the needs",
        "uk": "запишіть, з ким живе дитина, та оцініть її потреби",
    },
    ReturnStage.REUNITED: {
        "en": "assess the needs and plan the help",
        "uk": "оцініть потреби та сплануйте допомогу",
    },
    ReturnStage.PLACED: {
        "en": "assess the needs and plan the help",
        "uk": "оцініть потреби та сплануйте допомогу",
    },
}


class Step(_Frozen):
    """One step of the pathway: who took it (staff subject and agency), when it happened
    (`on`, as the caseworker records it), when it was recorded, and how or why."""

    stage: ReturnStage
    on: dt.date
    recorded_at: dt.datetime
    by: str
    agency: str
    how: str
    with_whom: str | None = None


# -- follow-ups --------------------------------------------------------------------------


class FollowUpPolicy(_Frozen):
    """When follow-ups are due: the first within `first_within_days` of the return, then
    at most `every_days` after the last one (configuration: HOMEWARD_FOLLOW_UP_*)."""

    first_within_days: int = Field(default=14, ge=1)
    every_days: int = Field(default=90, ge=1)


class FollowUp(_Frozen):
    due: dt.date
    done_on: dt.date
    recorded_at: dt.datetime
    by: str
    note: str

    @property
    def on_time(self) -> bool:
        return self.done_on <= self.due


# -- closure -----------------------------------------------------------------------------


class ClosureReason(StrEnum):
    """Why the work with a child ends (the inter-agency guidelines, Primero's list)."""

    GOALS_MET = "goals_met"
    REUNIFIED = "reunified"
    TRANSFERRED = "transferred"
    TURNED_18 = "turned_18"
    SUPPORT_DECLINED = "support_declined"
    LOST_CONTACT = "lost_contact"


class ClosureState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class Closure(_Frozen):
    reason: ClosureReason
    note: str
    requested_by: str
    requested_at: dt.datetime
    state: ClosureState = ClosureState.REQUESTED
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None


# -- the record ---------------------------------------------------------------------------


class Aftercare(_Frozen):
    """Everything of one case's return and the help after it."""

    reference: str
    # Of the case, for the KPIs per oblast and per month (never the child).
    oblast: str
    received_at: dt.datetime
    version: int = 0
    steps: tuple[Step, ...] = ()
    consent: ServicesConsent | None = None
    assessment: Assessment | None = None
    services: tuple[Service, ...] = ()
    referrals: tuple[Referral, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    closure: Closure | None = None
    # The due date of the follow-up whose lateness the desk was last told of.
    overdue_alerted: dt.date | None = None

    @property
    def stage(self) -> ReturnStage | None:
        return self.steps[-1].stage if self.steps else None

    @property
    def returned_on(self) -> dt.date | None:
        return next((s.on for s in reversed(self.steps) if s.stage == ReturnStage.RETURNED), None)

    def reached(self, stage: ReturnStage) -> dt.date | None:
        """When the child first reached a stage."""
        return next((s.on for s in self.steps if s.stage == stage), None)

    @property
    def home(self) -> bool:
        return self.stage in HOME

    @property
    def closed(self) -> bool:
        return self.closure is not None and self.closure.state == ClosureState.APPROVED

    def referral(self, referral_id: str) -> Referral | None:
        return next((r for r in self.referrals if r.referral_id == referral_id), None)

    def _open(self) -> None:
        if self.closed:
            raise AftercareError(Why.CASE_CLOSED)

    # -- the pathway --

    def step(
        self,
        stage: ReturnStage,
        *,
        on: dt.date,
        by: str,
        agency: str,
        how: str,
        now: dt.datetime,
        with_whom: str | None = None,
    ) -> Aftercare:
        self._open()
        if stage not in RETURN_MOVES[self.stage]:
            was = self.stage or "not on the pathway"
            allowed = ", ".join(sorted(RETURN_MOVES[self.stage])) or "nothing"
            raise AftercareError(
                Why.NOT_NEXT_STAGE,
                was=was,
                allowed=allowed,
                stage=stage,
                moves=sorted(RETURN_MOVES[self.stage], key=list(ReturnStage).index),
            )
        if not how.strip():
            raise AftercareError(Why.NO_NOTE)
        if stage in WITH_WHOM and not (with_whom and with_whom.strip()):
            raise AftercareError(Why.WITH_WHOM, stage=stage)
        if on > now.date():
            raise AftercareError(Why.IN_FUTURE)
        if self.steps and on < self.steps[-1].on:
            raise AftercareError(Why.BEFORE_LAST_STEP)
        taken = Step(
            stage=stage,
            on=on,
            recorded_at=now,
            by=by,
            agency=agency,
            how=how.strip(),
            with_whom=with_whom.strip() if with_whom else None,
        )
        return self.model_copy(update={"steps": (*self.steps, taken)})

    # -- consent, needs, services --

    def with_consent(self, services: bool, disclosure: bool, *, by: str, now: dt.datetime):
        self._open()
        consent = ServicesConsent(
            services=services, disclosure=disclosure, recorded_by=by, recorded_at=now
        )
        return self.model_copy(update={"consent": consent})

    def assessed(self, needs: tuple[Need, ...], *, on: dt.date, by: str) -> Aftercare:
        self._open()
        if not self.home:
            raise AftercareError(Why.NOT_HOME)
        if not needs:
            raise AftercareError(Why.NO_NEEDS)
        assessment = Assessment(needs=needs, assessed_on=on, by=by)
        return self.model_copy(update={"assessment": assessment})

    def planned(self, service: Service) -> Aftercare:
        self._open()
        if not self.home:
            raise AftercareError(Why.NOT_HOME)
        return self.model_copy(update={"services": (*self.services, service)})

    def service_done(self, service_id: str, *, on: dt.date, outcome: str) -> Aftercare:
        self._open()
        found = next((s for s in self.services if s.service_id == service_id), None)
        if found is None:
            raise AftercareError(Why.NO_SUCH_SERVICE)
        if not outcome.strip():
            raise AftercareError(Why.NO_OUTCOME)
        done = found.model_copy(update={"implemented_on": on, "outcome": outcome.strip()})
        services = tuple(done if s.service_id == service_id else s for s in self.services)
        return self.model_copy(update={"services": services})

    @property
    def first_service_on(self) -> dt.date | None:
        done = [s.implemented_on for s in self.services if s.implemented_on is not None]
        return min(done, default=None)

    # -- referrals --

    def referred(self, referral: Referral) -> Aftercare:
        self._open()
        if not self.home:
            raise AftercareError(Why.NOT_HOME)
        return self.model_copy(update={"referrals": (*self.referrals, referral)})

    def with_referral(self, referral: Referral) -> Aftercare:
        """The record with one referral replaced by its new state; a referral marked done
        also records its service as implemented that day."""
        referrals = tuple(
            referral if r.referral_id == referral.referral_id else r for r in self.referrals
        )
        services = self.services
        if referral.status == ReferralStatus.DONE:
            services = tuple(
                s.model_copy(update={"implemented_on": referral.steps[-1].at.date()})
                if s.referral_id == referral.referral_id and s.implemented_on is None
                else s
                for s in services
            )
        return self.model_copy(update={"referrals": referrals, "services": services})

    # -- follow-ups --

    def next_follow_up(self, policy: FollowUpPolicy) -> dt.date | None:
        """When the next follow-up is due: None before the return and after closure."""
        returned = self.returned_on
        if returned is None or self.closed:
            return None
        if self.follow_ups:
            return self.follow_ups[-1].done_on + dt.timedelta(days=policy.every_days)
        return returned + dt.timedelta(days=policy.first_within_days)

    def overdue(self, policy: FollowUpPolicy, now: dt.datetime) -> dt.date | None:
        """The due date of a follow-up that is late at `now`, if one is."""
        due = self.next_follow_up(policy)
        return due if due is not None and now.date() > due else None

    def followed_up(
        self, *, on: dt.date, by: str, note: str, now: dt.datetime, policy: FollowUpPolicy
    ) -> Aftercare:
        self._open()
        due = self.next_follow_up(policy)
        if due is None:
            raise AftercareError(Why.NOT_HOME)
        if on > now.date():
            raise AftercareError(Why.IN_FUTURE)
        if self.returned_on is not None and on < self.returned_on:
            raise AftercareError(Why.BEFORE_RETURN)
        if not note.strip():
            raise AftercareError(Why.NO_FINDING)
        done = FollowUp(due=due, done_on=on, recorded_at=now, by=by, note=note.strip())
        return self.model_copy(update={"follow_ups": (*self.follow_ups, done)})

    # -- closure --

    def closure_requested(
        self, reason: ClosureReason, note: str, *, by: str, now: dt.datetime
    ) -> Aftercare:
        self._open()
        if self.closure is not None and self.closure.state == ClosureState.REQUESTED:
            raise AftercareError(Why.CLOSURE_WAITING)
        if not note.strip():
            raise AftercareError(Why.CLOSURE_NOTE)
        open_referrals = [
            r
            for r in self.referrals
            if r.status in (ReferralStatus.IN_PROGRESS, ReferralStatus.ACCEPTED)
        ]
        if open_referrals:
            raise AftercareError(Why.REFERRALS_OPEN)
        closure = Closure(reason=reason, note=note.strip(), requested_by=by, requested_at=now)
        return self.model_copy(update={"closure": closure})

    def closure_decided(
        self, approve: bool, *, by: str, now: dt.datetime, note: str | None
    ) -> Aftercare:
        if self.closure is None or self.closure.state != ClosureState.REQUESTED:
            raise AftercareError(Why.NO_CLOSURE_WAITING)
        if by == self.closure.requested_by:
            raise AftercareError(Why.SAME_PERSON)
        if not approve and not (note and note.strip()):
            raise AftercareError(Why.REFUSAL_NOTE)
        decided = self.closure.model_copy(
            update={
                "state": ClosureState.APPROVED if approve else ClosureState.REFUSED,
                "decided_by": by,
                "decided_at": now,
                "decision_note": note,
            }
        )
        return self.model_copy(update={"closure": decided})
