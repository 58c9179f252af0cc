"""The retention schedule: cases whose time is up are anonymised, a bounded few per run.

Which cases are due is configuration (domain/retention.py: days after the last change,
per status in which work has ended). Each run reads, per configured status, only the
oldest due cases from the retention index (never a scan, and an anonymised case leaves
the index), anonymises at most `retention_batch` of them (services/erasure.py), and
records each in the case's audit trail. A backlog is worked off run by run.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from chalicelib.config import Settings
from chalicelib.domain.erasure import Traces
from chalicelib.domain.retention import changed_before
from chalicelib.logs import describe
from chalicelib.services import erasure
from chalicelib.services.outside_ports import FileStore
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.retention")


def anonymise_expired(
    *,
    stores: Stores,
    files: FileStore | None,
    settings: Settings,
    now: dt.datetime | None = None,
) -> int:
    """Anonymise the cases whose retention ran out, at most `retention_batch`; how many."""
    now = now or dt.datetime.now(dt.UTC)
    run = f"retention-{uuid.uuid4()}"
    left = settings.retention_batch
    done = 0
    for status, days in settings.retention:
        if left <= 0:
            break
        before = changed_before(now, days)

        def still_due(traces: Traces, status=status, before=before) -> bool:
            return traces.status == status and traces.changed_at < before

        for reference in stores.lifecycle.due(status, before, left):
            left -= 1
            try:
                anonymised = erasure.anonymise_case(
                    reference,
                    still_due=still_due,
                    stores=stores,
                    files=files,
                    request_id=run,
                    now=now,
                )
            except Exception as exc:  # one case must not hold back the rest; next run retries
                log.error("case %s not anonymised: %s", reference, describe(exc))
                continue
            done += anonymised
    if done:
        log.info("retention: %d case(s) anonymised", done)
    return done
