"""A case's timeline, newest first: everything that happened, from what the case holds.

The report's arrival; each alert and escalation and whom it reached; acknowledgements;
deliveries that failed; notes (a status move is a note); assignments, links, corrections,
match decisions; pairs that matching found. Nothing is read for it beyond the case file
and its candidate pairs, which the page reads anyway. A corrected value is shown only to
whom the report is shown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.alerts import DeliveryState
from chalicelib.domain.casefile import ShownCase
from chalicelib.domain.colleagues import StaffList
from chalicelib.domain.matching import CandidatePair
from chalicelib.domain.routing import Directory
from chalicelib.domain.workflow import Status

# How casework writes a status move as a note: "received → triaged: why".
MOVE = re.compile(r"(?P<before>[a-z_]+) → (?P<after>[a-z_]+): (?P<text>.*)", re.DOTALL)
# How the console writes a match decision's note on both cases (matches.py).
DECISION = re.compile(r"(?:confirmed|rejected) — (?P<other>HW-[0-9A-Z-]+): (?P<text>.*)", re.DOTALL)


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: str
    # Who did it, as colleagues read it (a name, a contact's desk); None: Homeward itself.
    who: str | None = None
    text: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def contact_name(directory: Directory, contact_id: str) -> str:
    contact = directory.contact(contact_id)
    return f"{contact.name} ({contact.organisation})" if contact else contact_id


def person(people: StaffList, subject: str | None, agency: str | None = None) -> str:
    """A colleague's name; an id nobody recorded shows as such, with the agency."""
    if subject is None:
        return ""
    return people.name_of(subject) or (f"{subject} ({agency})" if agency else subject)


def timeline(
    shown: ShownCase, pairs: list[CandidatePair], people: StaffList, directory: Directory
) -> list[Entry]:
    file = shown.file
    entries = [Entry(file.case.received_at, "received")]
    # Acknowledged in the console: that event says who; the deliveries it settled need
    # not say it again in a contact's name.
    in_console = {e.at for e in file.events if e.action == "acknowledge"}
    alerts: dict[str, list] = {}
    for stored in file.deliveries:
        alerts.setdefault(stored.delivery.alert.purpose, []).append(stored)
    for deliveries in alerts.values():
        alert = deliveries[0].delivery.alert
        reached = sorted({contact_name(directory, d.delivery.contact_id) for d in deliveries})
        sent = [d.sent_at for d in deliveries if d.sent_at]
        entries.append(
            Entry(
                min(sent) if sent else alert.created_at,
                "alert" if alert.level == 0 else "escalation",
                values={"level": alert.level, "reached": reached, "kind": alert.kind},
            )
        )
        for d in deliveries:
            if (
                d.state == DeliveryState.ACKNOWLEDGED
                and d.acknowledged_at
                and d.acknowledged_at not in in_console
            ):
                entries.append(
                    Entry(
                        d.acknowledged_at,
                        "acknowledged",
                        who=contact_name(directory, d.delivery.contact_id),
                        values={"channel": str(d.delivery.channel)},
                    )
                )
            elif d.state == DeliveryState.FAILED:
                entries.append(
                    Entry(
                        d.updated_at or alert.created_at,
                        "failed",
                        values={
                            "to": contact_name(directory, d.delivery.contact_id),
                            "channel": str(d.delivery.channel),
                        },
                    )
                )
    for note in file.notes:
        who = person(people, note.author)
        move = MOVE.fullmatch(note.text)
        decision = DECISION.fullmatch(note.text)
        if move and {move["before"], move["after"]} <= set(Status):
            values = {"before": move["before"], "after": move["after"]}
            entries.append(Entry(note.at, "status", who=who, text=move["text"], values=values))
        elif decision:
            values = {"other": decision["other"]}
            entries.append(
                Entry(note.at, "match-note", who=who, text=decision["text"], values=values)
            )
        else:
            entries.append(Entry(note.at, "note", who=who, text=note.text))
    for event in file.events:
        values = dict(event.detail)
        if event.action == "assign":
            values["assignee"] = person(people, values.get("assignee"))
        if event.action == "correct" and shown.report is None:
            values.pop("before", None)
            values.pop("after", None)
        entries.append(
            Entry(
                event.at, event.action, who=person(people, event.actor, event.agency), values=values
            )
        )
    for pair in pairs:
        entries.append(
            Entry(
                pair.found_at, "match-found", values={"other": pair.other, "verdict": pair.verdict}
            )
        )
    return sorted(entries, key=_order, reverse=True)


# Within one second (stores keep some moments to the second only), what must come first.
FIRST = {"received": 0, "alert": 1, "match-found": 2, "escalation": 3, "failed": 3}


def _order(entry: Entry) -> tuple[dt.datetime, int, dt.datetime]:
    return entry.at.replace(microsecond=0), FIRST.get(entry.kind, 4), entry.at
