"""The audit trail as an auditor reads it: sentences, newest day first, grouped by day,
filterable by person, action and date; repeated reads of lists and searches summarised.

An entry's action and detail are codes the services write (domain/audit.py); this is
the one place that says them in words. No case content is shown: a correction names the
field, never its value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from chalicelib.domain import labels
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.colleagues import StaffList
from chalicelib.domain.words import KYIV
from chalicelib.lazy import lazy_module
from chalicelib.web.console.render import N_, named

data_requests = lazy_module("chalicelib.services.data_requests")

# Reads that a person does many times a day; one line per person, case, action and day.
SUMMARISED = frozenset({"list", "search", "read-undelivered"})

# What each action is, as a filter lists it.
ACTION_NAMES = {
    "read": N_("Opened a case"),
    "list": N_("Saw a case in a list"),
    "search": N_("Found a case by a search"),
    "read-matches": N_("Looked at possible matches"),
    "status": N_("Moved a case"),
    "assign": N_("Assigned a case"),
    "note": N_("Wrote a note"),
    "correct": N_("Corrected a report"),
    "link": N_("Linked cases"),
    "match-confirmed": N_("Confirmed a match"),
    "match-rejected": N_("Rejected a match"),
    "acknowledge": N_("Acknowledged an alert"),
    "break-glass": N_("Opened a case by break-glass"),
    "data-export": N_("Answered a request for a person's data"),
    "data-erase": N_("Erased a reporter's contact details"),
    "read-audit": N_("Read an audit trail"),
    "open-attachment": N_("Opened a file"),
    "read-evidence": N_("Read a case's evidence and its custody"),
    "export": N_("Exported cases"),
    "refused": N_("Was refused"),
    "read-directory": N_("Read the contacts and rules"),
    "put-contact": N_("Saved a contact"),
    "remove-contact": N_("Removed a contact"),
    "put-rule": N_("Saved a routing rule"),
    "remove-rule": N_("Removed a routing rule"),
    "take-report": N_("Took a report on the hotline"),
    "take-statement": N_("Took a witness statement"),
    "read-statement": N_("Read a witness statement"),
    "withdraw-statement-consent": N_(
        "Recorded a witness withdrawing the consent to a statement's use by prosecutors"
    ),
    "erase-statement": N_("Erased a witness statement's words at the case's retention"),
    "keep-statement": N_("Kept a witness statement a prosecutor's package holds, past retention"),
    "evidence-package": N_("Packaged evidence for a prosecutor"),
    "evidence-hand-over": N_("Handed evidence over to a prosecutor"),
}


@dataclass(frozen=True)
class Line:
    at: dt.datetime
    who: str
    # "Фахівець зі справ, Офіс Уповноваженого"
    role: str
    action: str
    sentence: str
    reference: str
    count: int = 1


@dataclass
class Day:
    day: dt.date
    lines: list[Line] = field(default_factory=list)


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(KYIV)).date()


def sentence(
    entry: AuditEntry,
    _: Callable[[str], str],
    language: str,
    people: StaffList,
    *,
    count: int = 1,
) -> str:
    """What one entry (or `count` alike) says, in words, the person named beside it."""
    ref = entry.reference
    detail = entry.detail or ""
    action = entry.action
    if action == "read":
        return _("opened case %(ref)s") % {"ref": ref}
    if action in SUMMARISED:
        seen = {
            "list": _("saw case %(ref)s in the case list"),
            "search": _("found case %(ref)s by a search"),
            "read-undelivered": _("saw case %(ref)s among the undelivered alerts"),
        }[action] % {"ref": ref}
        if count > 1:
            return seen + " " + _("(%(n)s times)") % {"n": count}
        return seen
    if action == "read-matches":
        return _("looked at the possible matches of case %(ref)s") % {"ref": ref}
    if action == "status":
        before, _sep, after = detail.partition(" -> ")
        return _("moved case %(ref)s from «%(before)s» to «%(after)s»") % {
            "ref": ref,
            "before": named(labels.STATUS, before.strip(), language),
            "after": named(labels.STATUS, after.strip(), language),
        }
    if action == "assign":
        return _("assigned case %(ref)s to %(name)s") % {
            "ref": ref,
            "name": people.name_of(detail) or _("a colleague no longer listed"),
        }
    if action == "note":
        return _("wrote a note on case %(ref)s") % {"ref": ref}
    if action == "correct":
        return _("corrected the %(field)s in case %(ref)s") % {
            "ref": ref,
            "field": labels.word(labels.FIELD, detail, language),
        }
    if action == "link":
        return _("linked case %(ref)s with %(other)s") % {"ref": ref, "other": detail}
    if action == "match-confirmed":
        return _("confirmed that cases %(ref)s and %(other)s are the same child") % {
            "ref": ref,
            "other": detail,
        }
    if action == "match-rejected":
        return _("rejected that cases %(ref)s and %(other)s are the same child") % {
            "ref": ref,
            "other": detail,
        }
    if action == "acknowledge":
        return _("acknowledged an alert on case %(ref)s in the console") % {"ref": ref}
    if action == "break-glass":
        return _("opened case %(ref)s by break-glass, saying: %(reason)s") % {
            "ref": ref,
            "reason": labels.word(labels.BREAK_GLASS_REASON, detail, language),
        }
    if action == "take-report":
        return _(
            "took the report %(ref)s for a caller on the hotline, with the caller's consent "
            "given orally"
        ) % {"ref": ref}
    if action == "evidence-package":
        return _("put the evidence of case %(ref)s into a package for %(recipient)s") % {
            "ref": ref,
            "recipient": detail,
        }
    if action == "evidence-hand-over":
        return _("handed the evidence of case %(ref)s over to %(recipient)s") % {
            "ref": ref,
            "recipient": detail,
        }
    if action in ("data-export", "data-erase"):
        return _data_request(action, ref, detail, _)
    if action == "read-audit":
        return _("read the audit trail of %(ref)s") % {"ref": ref}
    if action == "open-attachment":
        return _("opened a file of case %(ref)s") % {"ref": ref}
    if action == "read-evidence":
        return _("read the evidence of case %(ref)s and its custody") % {"ref": ref}
    if action == "export":
        return _("exported case %(ref)s") % {"ref": ref}
    if action == "refused":
        return _("was refused on case %(ref)s") % {"ref": ref}
    if action in ACTION_NAMES:
        return _(ACTION_NAMES[action]) + (f": {detail}" if detail else "")
    return _("did something the console does not name (%(action)s) on %(ref)s") % {
        "action": action,
        "ref": ref,
    }


# How a person asking about their data was found (data_requests.Person.by).
FOUND_BY = {
    "email": N_("found by their e-mail address"),
    "phone": N_("found by their phone number"),
    "reference": N_("found by a case's reference"),
}


def _data_request(action: str, ref: str, detail: str, _: Callable[[str], str]) -> str:
    """A data request's entry: on a case ("by email"), or in the requests' own trail
    ("by email: HW-…, HW-…" or "…: nothing held"); never the address asked about."""
    by, _sep, cases = detail.removeprefix("by ").partition(": ")
    how = _(FOUND_BY[by]) if by in FOUND_BY else ""
    if ref == data_requests.DATA_REQUESTS:
        done = (
            _("gave a person everything held about them (%(how)s): %(cases)s")
            if action == "data-export"
            else _("erased a person's contact details (%(how)s) from %(cases)s")
        )
        held = _("nothing was held") if cases in ("", "nothing held") else cases
        return done % {"how": how, "cases": held}
    if detail == "nothing left":
        return _("found nothing left to erase of the reporter of case %(ref)s") % {"ref": ref}
    if action == "data-export":
        return _("gave the reporter of case %(ref)s everything held about them (%(how)s)") % {
            "ref": ref,
            "how": how,
        }
    return _("erased the contact details of the reporter of case %(ref)s (%(how)s)") % {
        "ref": ref,
        "how": how,
    }


def read_trail(
    trail: list[AuditEntry],
    _: Callable[[str], str],
    language: str,
    people: StaffList,
    organisation_of: Callable[[str], str | None],
    *,
    person: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[Day]:
    """The trail in days (newest first), each day's lines newest first, filtered."""
    chosen = [
        e
        for e in trail
        if (not person or e.actor == person)
        and (not action or e.action == action)
        and (since is None or _day(e.at) >= since)
        and (until is None or _day(e.at) <= until)
    ]
    groups: dict[tuple, list[AuditEntry]] = {}
    for entry in chosen:
        if entry.action in SUMMARISED:
            key: tuple = (_day(entry.at), entry.actor, entry.action, entry.reference)
        else:
            key = (id(entry),)
        groups.setdefault(key, []).append(entry)
    days: dict[dt.date, Day] = {}
    for entries in groups.values():
        last = max(entries, key=lambda e: e.at)
        role = labels.heading(labels.word(labels.ROLE, last.role, language))
        where = organisation_of(last.agency) or last.agency
        line = Line(
            at=last.at,
            who=people.name_of(last.actor) or _("someone no longer listed"),
            role=f"{role}, {where}",
            action=last.action,
            sentence=sentence(last, _, language, people, count=len(entries)),
            reference=last.reference,
            count=len(entries),
        )
        days.setdefault(_day(last.at), Day(_day(last.at))).lines.append(line)
    for day in days.values():
        day.lines.sort(key=lambda line: line.at, reverse=True)
    return sorted(days.values(), key=lambda d: d.day, reverse=True)


def people_in(trail: list[AuditEntry], people: StaffList) -> list[tuple[str, str]]:
    """Who appears in the trail, by name, for the person filter ("" for an unlisted id)."""
    found = {e.actor: people.name_of(e.actor) or "" for e in trail}
    return sorted(found.items(), key=lambda item: item[1].casefold())
