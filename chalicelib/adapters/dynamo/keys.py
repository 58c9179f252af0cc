"""The key map: every item kind in Homeward's two tables, and how its keys are built.

Nothing else in the code writes a key or an index key by hand; a new item kind is added
here first, with its row in this table.

Cases table (`pk`, `sk`):

| item | pk | sk |
| --- | --- | --- |
| case | `CASE#<reference>` | `CASE` |
| alert (the outbox) | `CASE#<reference>` | `ALERT#<purpose>` |
| delivery | `CASE#<reference>` | `DELIVERY#<purpose>/<contact>/<channel>` |
| note | `CASE#<reference>` | `NOTE#<at>#<random>` |
| candidate pair, one per side | `CASE#<reference>` | `MATCH#<other reference>` |
| break-glass access (expires) | `CASE#<reference>` | `GRANT#<staff subject>` |
| event (timeline: assignment, link, correction...) | `CASE#<reference>` | `EVENT#<at>#<random>` |
| mandate (a case routed to an agency) | `MANDATE#<agency>` | `<received key>` |
| blocking key (matching) | `MATCHKEY#<key>` | `<received key>` |
| reporter, in the blind index | `REPORTER#<keyed hash of an e-mail or phone>` | `<received key>` |
| idempotency key | `IDEMPOTENCY#<scope>#<key>` | `IDEMPOTENCY` |
| request rate of one source | `RATE#<purpose>#<source>` | `RATE` |
| statistics shard | `STATISTICS` (all cases) or `STATISTICS#<agency>` (a mandate) | `SHARD#<n>` |
| contact, routing rule, version | `DIRECTORY` | `CONTACT#<id>`, `RULE#<id>`, `VERSION` |
| daily digest sent | `DIGEST` | `<day>` |
| an SMS alert's reply code, while it may be answered (expires) | `SMSREPLY#<contact>` | `<code>` |
| time to acknowledge, one sample (no case named) | `ACKTIMES#<week>` | `<agency>#<at>#<random>` |
| search key (staff search) | `SEARCH#<key>` | `<received key>` |
| staff member (as colleagues see them) | `STAFF` | `<staff subject>` |
| a console session signed out of (expires) | `SIGNEDOUT#<hash of the session>` | `SIGNEDOUT` |
| a registered partner (machine client) | `PARTNERS` | `PARTNER#<client id>` |
| an import batch of a partner | `PARTNER#<client id>` | `BATCH#<batch id>` |
| a webhook owed to a partner (the outbox) | `PARTNER#<client id>` | `WEBHOOK#<event id>` |
| a case's return and the help after it (domain/aftercare.py) | `AFTERCARE` | `<reference>` |
| the return's word for the reporter (domain/progress.py) | `CASE#<reference>` | `RETURN` |
| a referral, in its provider's inbox | `REFERRALS#<provider>` | `<created>#<reference>#<id>` |
| a closure waiting for a coordinator's approval | `CLOSURES` | `<reference>` |
| a mediation list | `MEDIATION` | `LIST#<list id>` |
| a conversation taking a report (expires) | `CONVERSATION#<id>` | `CONVERSATION` |
| a channel update handled (expires) | `UPDATE#<channel>#<id>` | `UPDATE` |
| a chat's messages to delete at a time | `TIDY` | `<due>#<conversation id>` |
| an evidence item (an original) and its chain's head | `EVIDENCE#<reference>` | `ITEM#<slot>` |
| one entry of an item's chain of custody | `EVIDENCE#<reference>` | `CUSTODY#<slot>#<seq>` |
| evidence consent withdrawn (a statement's: `#<slot>`) | `EVIDENCE#<reference>` | `WITHDRAWN` |
| a day's stamp of a case's chains (leaf, proof) | `EVIDENCE#<reference>` | `STAMP#<day>` |
| a case that has evidence (for the daily anchor) | `EVIDENCE` | `CASE#<reference>` |
| a day's timestamp of every chain's head (root, count, token) | `EVIDENCE` | `ANCHOR#<day>` |
| a prosecutor's package | `EVIDENCE` | `PACKAGE#<package id>` |
| health probe (never written) | `HEALTH` | `HEALTH` |

Index keys some items carry:

- a case: `list_pk` = `CASES`, `status_pk` = `STATUS#<status>`, `oblast_pk` =
  `OBLAST#<code>`, `category_pk` = `CATEGORY#<category>`, `urgent_pk` = `URGENT` (urgent
  cases only), each with `received_key`; and until it is anonymised, `retention_pk` =
  `RETENTION#<status>`, `retention_at` = `<last change>#<reference>`;
- an alert, while nobody acknowledged it: `state_key` = `ALERTS#unacknowledged`,
  `state_at` = `<deadline>#<reference>#<purpose>`;
- a delivery: `state_key` = `DELIVERIES#<state>`, `state_at` =
  `<when it got there>#<reference>#<delivery id>`;
- an imported report's alert (a batch alerts once, with a digest): `state_key` =
  `BATCH#<client id>/<batch id>`, `state_at` = `<received>#<reference>#<purpose>`;
- an import batch closed and waiting for its digest: `state_key` = `IMPORTS#closed`,
  `state_at` = `<closed at>#<client id>#<batch id>`;
- a webhook that failed its last attempt: `state_key` = `WEBHOOKS#failed`, `state_at` =
  `<failed at>#<client id>#<event id>`;
- a case's return record while a follow-up is due: `state_key` = `FOLLOWUPS#due`,
  `state_at` = `<due date>#<reference>`.

Indexes (infra/template.yaml): `by_state` (`state_key`, `state_at`) finds deliveries by state and
alerts waiting to be acknowledged; `by_received`, `by_status`, `by_oblast`, `by_category`,
`by_urgency` (their `*_pk`, `received_key`) are the staff case lists; `by_retention`
(`retention_pk`, `retention_at`) finds, per status, the cases that last changed before a day,
oldest first (the retention schedule).

Audit table (`pk`, `sk`): `CASE#<reference>` (or `CASE#directory` for the directory's trail),
`<at>#<request id>#<random>`.

The received key (`<UTC time with microseconds>#<reference>`) sorts cases newest first when read
backwards and is unique per case.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from chalicelib.domain.case import iso

Key = dict[str, dict[str, str]]

CASE = "CASE#"
ALERT = "ALERT#"
DELIVERY = "DELIVERY#"
NOTE = "NOTE#"
MATCH = "MATCH#"
CONTACT = "CONTACT#"
RULE = "RULE#"
DIRECTORY = "DIRECTORY"
SMS_REPLY = "SMSREPLY#"  # + contact id; the sort key is the code
STATISTICS = "STATISTICS"
STATISTICS_SHARDS = 8

# Index names and the key attributes of each (infra/template.yaml declares them).
STATE_INDEX = "by_state"
LIST_INDEXES = {
    "all": ("by_received", "list_pk"),
    "status": ("by_status", "status_pk"),
    "oblast": ("by_oblast", "oblast_pk"),
    "category": ("by_category", "category_pk"),
    "urgent": ("by_urgency", "urgent_pk"),
}
ALL_CASES = "CASES"
URGENT = "URGENT"
UNACKNOWLEDGED = "ALERTS#unacknowledged"
RETENTION_INDEX = "by_retention"


def key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


RECEIVED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def received_key(reference: str, received_at: dt.datetime) -> str:
    """Microseconds, so that reports of the same second still list in the order they came."""
    moment = received_at.astimezone(dt.UTC).strftime(RECEIVED_FORMAT)
    return f"{moment}#{reference}"


def received_at_of(received: str) -> dt.datetime:
    """The moment a received key was built from, to the microsecond."""
    moment = received.split("#", 1)[0]
    return dt.datetime.strptime(moment, RECEIVED_FORMAT).replace(tzinfo=dt.UTC)


# -- a case's partition -----------------------------------------------------------------


def case_partition(reference: str) -> str:
    return f"{CASE}{reference}"


def case(reference: str) -> Key:
    return key(case_partition(reference), "CASE")


def alert(reference: str, purpose: str) -> Key:
    return key(case_partition(reference), f"{ALERT}{purpose}")


def delivery(reference: str, delivery_id: str) -> Key:
    return key(case_partition(reference), f"{DELIVERY}{delivery_id}")


def note(reference: str, at: dt.datetime) -> Key:
    return key(case_partition(reference), f"{NOTE}{iso(at)}#{secrets.token_hex(4)}")


def pair(reference: str, other: str) -> Key:
    return key(case_partition(reference), f"{MATCH}{other}")


def grant(reference: str, subject: str) -> Key:
    return key(case_partition(reference), f"GRANT#{subject}")


def event(reference: str, at: dt.datetime) -> Key:
    return key(case_partition(reference), f"EVENT#{iso(at)}#{secrets.token_hex(4)}")


def withdrawal(reference: str) -> Key:
    """The reporter's request to withdraw, kept as the record that they asked."""
    return key(case_partition(reference), "WITHDRAWAL")


def case_item(reference: str, sort_key: str) -> Key:
    """An item of a case's partition by the sort key it was read with (a note's id)."""
    return key(case_partition(reference), sort_key)


def case_index_values(
    reference: str,
    received_at: dt.datetime,
    *,
    status: str,
    oblast: str,
    category: str,
    urgent: bool,
) -> dict[str, Any]:
    """The attributes that put a case into the staff list indexes; None leaves one out."""
    return {
        "list_pk": ALL_CASES,
        "received_key": received_key(reference, received_at),
        "status_pk": status_pk(status),
        "oblast_pk": f"OBLAST#{oblast}",
        "category_pk": f"CATEGORY#{category}",
        # Sparse: only urgent cases are in the urgency index.
        "urgent_pk": URGENT if urgent else None,
    }


def status_pk(status: str) -> str:
    return f"STATUS#{status}"


def retention_pk(status: str) -> str:
    return f"RETENTION#{status}"


def retention_at(changed_at: dt.datetime, reference: str) -> str:
    """Sort key in `by_retention`: when the case last changed, then which case."""
    return f"{iso(changed_at)}#{reference}"


def retention_bound(changed_before: dt.datetime) -> str:
    """A `retention_at` value after every case that changed before this moment."""
    return iso(changed_before)


def list_partition(dimension: str, value: Any) -> str:
    """The partition key value of a list index for one filter value."""
    return {
        "all": lambda _: ALL_CASES,
        "status": status_pk,
        "oblast": lambda v: f"OBLAST#{v}",
        "category": lambda v: f"CATEGORY#{v}",
        "urgent": lambda _: URGENT,
    }[dimension](value)


# -- index keys of alerts and deliveries ------------------------------------------------


def delivery_state(state: str) -> str:
    return f"DELIVERIES#{state}"


def state_at(moment: dt.datetime, reference: str, name: str) -> str:
    """Sort key in `by_state`: when, then which item, so equal times stay distinct."""
    return f"{iso(moment)}#{reference}#{name}"


def state_at_bound(moment: dt.datetime) -> str:
    """A `state_at` value that sorts before every item of that second and after earlier ones."""
    return iso(moment)


# -- partitions of their own -------------------------------------------------------------


def mandate_partition(agency: str) -> str:
    return f"MANDATE#{agency}"


def mandate(agency: str, received: str) -> Key:
    return key(mandate_partition(agency), received)


def blocking_partition(blocking_key: str) -> str:
    return f"MATCHKEY#{blocking_key}"


def blocking(blocking_key: str, received: str) -> Key:
    return key(blocking_partition(blocking_key), received)


def search_partition(search_key: str) -> str:
    return f"SEARCH#{search_key}"


def search(search_key: str, received: str) -> Key:
    return key(search_partition(search_key), received)


STAFF = "STAFF"


def staff_member(subject: str) -> Key:
    return key(STAFF, subject)


SIGNED_OUT = "SIGNEDOUT"


def signed_out(session_id: str) -> Key:
    return key(f"{SIGNED_OUT}#{session_id}", SIGNED_OUT)


def reporter_partition(reporter_key: str) -> str:
    return f"REPORTER#{reporter_key}"


def reporter(reporter_key: str, received: str) -> Key:
    return key(reporter_partition(reporter_key), received)


def idempotency(idempotency_key: str) -> Key:
    return key(f"IDEMPOTENCY#{idempotency_key}", "IDEMPOTENCY")


def conversation(conversation_id: str) -> Key:
    return key(f"CONVERSATION#{conversation_id}", "CONVERSATION")


def channel_update(update: str) -> Key:
    return key(f"UPDATE#{update}", "UPDATE")


TIDY = "TIDY"


def tidy(conversation_id: str, due: dt.datetime) -> Key:
    return key(TIDY, f"{iso(due)}#{conversation_id}")


def rate(purpose: str, source: str) -> Key:
    return key(f"RATE#{purpose}#{source}", "RATE")


def ack_sample(week: str, agency: str, at: dt.datetime) -> Key:
    return key(f"ACKTIMES#{week}", f"{agency}#{iso(at)}#{secrets.token_hex(4)}")


def ack_week(week: str) -> str:
    return f"ACKTIMES#{week}"


def statistics_shard(n: int, agency: str | None = None) -> Key:
    return key(f"{STATISTICS}#{agency}" if agency else STATISTICS, f"SHARD#{n}")


def contact(contact_id: str) -> Key:
    return key(DIRECTORY, f"{CONTACT}{contact_id}")


def rule(rule_id: str) -> Key:
    return key(DIRECTORY, f"{RULE}{rule_id}")


def directory_version() -> Key:
    return key(DIRECTORY, "VERSION")


# -- partners and their import batches ---------------------------------------------------

PARTNERS = "PARTNERS"
CLOSED_IMPORTS = "IMPORTS#closed"


def partner(client_id: str) -> Key:
    return key(PARTNERS, f"PARTNER#{client_id}")


def batch(client_id: str, batch_id: str) -> Key:
    return key(f"PARTNER#{client_id}", f"BATCH#{batch_id}")


def webhook(client_id: str, event_id: str) -> Key:
    return key(f"PARTNER#{client_id}", f"WEBHOOK#{event_id}")


FAILED_WEBHOOKS = "WEBHOOKS#failed"


def batch_state(batch: str) -> str:
    """The `state_key` the alerts of one import batch share (`ImportBatch.key`)."""
    return f"BATCH#{batch}"


def digest(day: str) -> Key:
    return key("DIGEST", day)


# -- the return and the help after it ----------------------------------------------------

AFTERCARE = "AFTERCARE"
FOLLOW_UPS_DUE = "FOLLOWUPS#due"
CLOSURES = "CLOSURES"
MEDIATION = "MEDIATION"


def aftercare(reference: str) -> Key:
    return key(AFTERCARE, reference)


def reporter_word(reference: str) -> Key:
    """Beside the case, where the public status page (which may read a case's partition
    and nothing of AFTERCARE) finds the return's one word."""
    return key(case_partition(reference), "RETURN")


def follow_up_at(due: dt.date, reference: str) -> str:
    return f"{due.isoformat()}#{reference}"


def referrals_partition(provider: str) -> str:
    return f"REFERRALS#{provider}"


def referral(provider: str, created_at: dt.datetime, reference: str, referral_id: str) -> Key:
    return key(referrals_partition(provider), f"{iso(created_at)}#{reference}#{referral_id}")


def closure(reference: str) -> Key:
    return key(CLOSURES, reference)


def mediation_list(list_id: str) -> Key:
    return key(MEDIATION, f"LIST#{list_id}")


def health() -> Key:
    return key("HEALTH", "HEALTH")


def audit_partition(reference: str) -> str:
    return f"{CASE}{reference}"


def audit_entry(reference: str, at: dt.datetime, request_id: str) -> Key:
    return key(audit_partition(reference), f"{iso(at)}#{request_id}#{secrets.token_hex(4)}")


# -- evidence (domain/evidence.py) --------------------------------------------------------

EVIDENCE = "EVIDENCE"


def evidence_partition(reference: str) -> str:
    return f"{EVIDENCE}#{reference}"


def evidence_item(reference: str, slot: int) -> Key:
    return key(evidence_partition(reference), f"ITEM#{slot}")


def custody(reference: str, slot: int, seq: int) -> Key:
    return key(evidence_partition(reference), f"CUSTODY#{slot}#{seq:06d}")


def evidence_of(reference: str, sort: str) -> Key:
    """A case's evidence record: `WITHDRAWN` (`#<slot>`: a statement's), a day's `STAMP#<day>`."""
    return key(evidence_partition(reference), sort)


def evidence_index(kind: str, name: str) -> Key:
    """The `EVIDENCE` partition's own: `CASE#<reference>`, `ANCHOR#<day>`, `PACKAGE#<id>`."""
    return key(EVIDENCE, f"{kind}#{name}")
