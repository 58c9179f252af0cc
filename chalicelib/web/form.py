"""The public report form and its receipt.

Server-rendered and complete without JavaScript: families in occupied territory report
from old phones on slow, watched connections. JavaScript (static/form.js) only adds
checks as they type, a draft that survives a reload, and photo uploads.
"""

from __future__ import annotations

import datetime as dt
import logging

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.questions import (
    COMMON_COUNTRIES,
    MISSING,
    PHONE_COUNTRIES,
    STEPS,
)
from chalicelib.logs import describe
from chalicelib.web import i18n
from chalicelib.web.form_fields import (
    FIELD_ORDER,
    FIELDS_BY_ID,
    field_id,
    first_control,
    read_form,
)
from chalicelib.web.form_files import (
    MAX_MULTIPART_BYTES,
    MAX_MULTIPART_READ,
    Unreadable,
    keep_files,
    media_type_of,
    posted,
    upload_refusal,
)
from chalicelib.web.http import (
    ALL_TYPES,
    MAX_BODY_BYTES,
    cross_site,
    request_id,
    source,
)
from chalicelib.web.pages import (
    MULTIPART,
    cross_site_page,
    message_page,
    page,
    page_language,
    query,
    stage_root_redirect,
)

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")

# A form post percent-encodes every byte of Cyrillic text (one byte becomes three), so the
# same 64 KiB of report the JSON API accepts arrives as up to three times as many bytes.
MAX_FORM_BYTES = 3 * MAX_BODY_BYTES
FORM_TYPE = "application/x-www-form-urlencoded"
HONEYPOT = "website"
# -- the form -------------------------------------------------------------------------


def _places(language: str) -> dict[str, list[tuple[str, str]]]:
    """The lists of places, each in the alphabetical order of the page's language."""
    from chalicelib.domain.places import OBLASTS, country_names, in_order

    names = country_names()
    countries = [(c, names[c][language]) for c in in_order("countries", language)]
    return {
        "oblast": [(c, OBLASTS[c][language]) for c in in_order("oblasts", language)],
        "common_country": [(c, names[c][language]) for c in COMMON_COUNTRIES],
        "country": [(c, n) for c, n in countries if c not in COMMON_COUNTRIES],
        # Ukraine first: most reporters' numbers are Ukrainian, and it is the default.
        "phone_country": [("UA", names["UA"][language])]
        + [(c, n) for c, n in countries if c in PHONE_COUNTRIES and c != "UA"],
    }


def _words(language: str) -> dict:
    """What the page needs to say dates in words, in the browser too (form.js)."""
    import json

    from chalicelib.domain.words import month_names, months_in_dates

    months, pattern = months_in_dates(language)
    return {
        "months": month_names(language),
        "json": json.dumps({"months": months, "date": pattern}, ensure_ascii=False),
    }


def _dates_in_words(values: dict[str, list[str]], language: str) -> dict[str, str]:
    """Each date the person gave, in words, shown under its boxes to check it."""
    from chalicelib.domain.form_dates import PARTS, assemble
    from chalicelib.domain.words import date_in_words

    shown = {}
    for step in STEPS:
        for f in step.fields:
            if f.kind == "date":
                parts = [(values.get(f"{f.name}.{p}") or [""])[0] for p in PARTS]
                assembled = assemble(*parts, year_only=f.year_only)
                if assembled.value is not None and not isinstance(assembled.value, int):
                    shown[f.id] = date_in_words(assembled.value, language)
    return shown


def _message(error: dict, language: str) -> str:
    """A pydantic error in words; a field left empty asks for itself, as form.js does."""
    spec = FIELDS_BY_ID.get(field_id(tuple(error["loc"])) or "")
    if error["type"] == "missing" and spec is not None:
        return i18n.gettext_for(language)(missing_message(spec))
    return i18n.error_message(error, language)


def missing_message(spec) -> str:
    """What an empty required field says (untranslated): its own request, else to choose."""
    if spec.name in MISSING:
        return MISSING[spec.name]
    if spec.kind in ("radio", "yesno"):
        return i18n.TYPE_ERRORS["literal_error"]
    return i18n.TYPE_ERRORS["missing"]


def _ordered(errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """The errors as the summary lists them: in the page's order, each with the id of
    the box its link leads to."""
    rank = {field: n for n, field in enumerate(FIELD_ORDER)}
    ordered = sorted(errors.items(), key=lambda e: rank.get(e[0], len(rank)))
    return [(field, first_control(field), message) for field, message in ordered]


def _uploads_enabled() -> bool:
    return wiring.file_store() is not None


def _form(
    language: str,
    *,
    status: int = 200,
    values: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    submission_key: str | None = None,
    notice: str | None = None,
) -> Response:
    from chalicelib.domain import form_keys
    from chalicelib.domain.attachments import ACCEPTED_TYPES, MAX_BYTES, MAX_FILES

    uploads = _uploads_enabled()
    fresh = values is None
    values = values or {"reporter.preferred_language": [language]}
    settings = wiring.settings()
    return page(
        "form.html",
        language,
        status,
        uploads=uploads,
        steps=STEPS,
        labels={f.id: f.label for step in STEPS for f in step.fields},
        missing_message=missing_message,
        values=values,
        errors=errors or {},
        summary=_ordered(errors or {}),
        places=_places(language),
        words=_words(language),
        in_words=_dates_in_words(values, language),
        help_line=settings.help_line_in(language),
        submission_key=submission_key
        or form_keys.issue(settings.keyring(Purpose.FORM_KEYS).signer, dt.datetime.now(dt.UTC)),
        fresh=fresh,
        notice=notice,
        uploads_enabled=uploads,
        upload_slots=[int(s) for s in values.get("upload", []) if s in {"1", "2", "3", "4", "5"}],
        max_files=MAX_FILES,
        max_megabytes=MAX_BYTES // (1024 * 1024),
        nojs_megabytes=MAX_MULTIPART_BYTES // (1024 * 1024),
        accepted_types=",".join(ACCEPTED_TYPES),
    )


@bp.route("/", methods=["GET"])
def form() -> Response:
    return stage_root_redirect() or _form(page_language())


@bp.route("/report", methods=["POST"], content_types=ALL_TYPES)
def submit_form() -> Response:
    """The form's own error boundary: whatever goes wrong, the person gets the form back
    with every answer they typed, and can send it again."""
    request = bp.current_request
    language = i18n.pick(query("lang"))
    values: dict[str, list[str]] | None = None
    try:
        try:
            values, sent = posted(request)
        except Unreadable:
            return _unreadable(language)
        return _submit_form(request, language, values, sent)
    except Exception as exc:
        log.error("the form failed: %s (request %s)", describe(exc), request_id(request))
        _ = i18n.gettext_for(language)
        values = values or {}
        return _form(
            i18n.pick((values.get("lang") or [language])[0]),
            status=500,
            values=values,
            submission_key=(values.get("submission_key") or [None])[0],
            notice=_(
                "Something went wrong on our side and the report was not sent. Your "
                "answers are still here: please send it again in a few minutes."
            ),
        )


def _submit_form(
    request, language: str, values: dict[str, list[str]], sent: list[bytes] | None
) -> Response:
    raw = request.raw_body or b""
    media_type = media_type_of(request)
    settings = wiring.settings()
    if cross_site(request, settings.public_url):
        # Another site's page posting its visitors' reports: nothing is read or stored.
        log.info("a cross-site report was refused (request %s)", request_id(request))
        return cross_site_page(i18n.pick((values.get("lang") or [language])[0]), "/report")
    _ = i18n.gettext_for(language)
    if len(raw) > (MAX_MULTIPART_READ if media_type == MULTIPART else MAX_FORM_BYTES):
        return message_page(
            language,
            413,
            _("The report is too long"),
            _("Please shorten the longest answers and send the report again."),
        )
    if media_type not in (FORM_TYPE, MULTIPART):
        return _unreadable(language)
    language = i18n.pick((values.get("lang") or [language])[0])
    key = (values.get("submission_key") or [""])[0]
    # Files sent without JavaScript go to their upload slots first, as a script would have
    # put them, so that a language switch or a refused answer keeps them too.
    refused = keep_files(values, key, sent, source(request)) if sent != [] else None
    switch = (values.pop("switch_lang", None) or [""])[0]
    if switch:
        return _switched(language, i18n.pick(switch), values, refused)
    _ = i18n.gettext_for(language)

    from chalicelib.domain import form_keys
    from chalicelib.services import attachments as files

    state = form_keys.check(settings.keyring(Purpose.FORM_KEYS), key, dt.datetime.now(dt.UTC))
    filed = False
    if state is not form_keys.KeyState.VALID:
        # An expired key still brings back the receipt of the report it filed (a refresh
        # of the receipt the next day); it files nothing new.
        filed = state is form_keys.KeyState.EXPIRED and files.report_exists(wiring.stores(), key)
        if not filed:
            return _expired(language, values)
    # A filled hidden field is a bot: it goes the same way as a person's report (checked,
    # charged, replayed per key), so nothing in the answer tells it apart, but is not kept.
    decoy = bool((values.get(HONEYPOT) or [""])[0])
    return _accept_form(
        language, values, key, source(request), filed=filed, decoy=decoy, files_refused=refused
    )


def _unreadable(language: str) -> Response:
    _ = i18n.gettext_for(language)
    return message_page(
        language,
        415,
        _("The report could not be read"),
        _("Please open the form again and send it from there."),
    )


def _switched(
    language: str, switch_to: str, values: dict[str, list[str]], refused: str | None = None
) -> Response:
    """The form in another language with every answer (and its key and files) kept; the
    language to use with the reporter follows the page's, unless they chose another."""
    if (values.get("reporter.preferred_language") or [language])[0] == language:
        values["reporter.preferred_language"] = [switch_to]
    values["lang"] = [switch_to]
    return _form(
        switch_to,
        values=values,
        submission_key=(values.get("submission_key") or [None])[0],
        # A file the switch brought along and could not keep is said in the new language.
        errors={"uploads": upload_refusal(refused, switch_to)} if refused else None,
    )


def _expired(language: str, values: dict[str, list[str]]) -> Response:
    """The form again with every answer and a fresh key; files must be added again, since
    they were uploaded under the old key."""
    _ = i18n.gettext_for(language)
    had_files = bool(values.pop("upload", None))
    notice = (
        _(
            "The time to fill in this form ran out. Please check your answers, add your "
            "photos and documents again, and send it."
        )
        if had_files and _uploads_enabled()
        else _(
            "The time to fill in this form ran out. Please check your answers and send it again."
        )
    )
    return _form(language, status=400, values=values, notice=notice)


def _accept_form(
    language: str,
    values: dict[str, list[str]],
    key: str,
    source: str,
    *,
    filed: bool,
    decoy: bool = False,
    files_refused: str | None = None,
) -> Response:
    from pydantic import ValidationError

    from chalicelib.domain.attachments import FileRefused
    from chalicelib.domain.case import fingerprint
    from chalicelib.domain.report import Report, problems_across_fields
    from chalicelib.services import attachments as files
    from chalicelib.services import intake

    _ = i18n.gettext_for(language)
    stores = wiring.stores()
    reading = read_form(values)
    body = reading.body
    # What the form found itself (a date that is no date) comes first: it is the cause.
    errors: dict[str, str] = {field: _(message) for field, message in reading.errors.items()}
    try:
        report = Report.model_validate(body)
    except ValidationError as exc:
        problems = [
            (tuple(error["loc"]), _message(error, language))
            for error in exc.errors(include_url=False, include_input=False)
        ]
        # Every problem at once: the checks that join fields too, which the models run
        # only once the rest is valid.
        problems += [
            (loc, i18n.error_message({"type": "value_error", "msg": message}, language))
            for loc, message in problems_across_fields(body).items()
        ]
        for loc, message in problems:
            # The first problem with a field is the one to fix first.
            errors.setdefault(field_id(loc) or "form", message)
        report = None

    if files_refused:
        errors["uploads"] = upload_refusal(files_refused, language)
    uploads: list = []
    slots = sorted({int(s) for s in values.get("upload", []) if s in {"1", "2", "3", "4", "5"}})
    store = wiring.file_store() if slots else None
    # Once its report is filed a form's files belong to the case and its slots are empty:
    # a second post of the same form is a replay (or a 409), with nothing to check.
    if store is not None and not errors and not (filed or files.report_exists(stores, key)):
        try:
            uploads = files.verify(store, key, slots)
        except FileRefused as refused:
            values["upload"] = [s for s in values.get("upload", []) if s != str(refused.slot)]
            errors["uploads"] = upload_refusal(refused.reason, language)
    if errors or report is None:
        return _form(language, status=422, values=values, errors=errors, submission_key=key)

    submission = intake.Submission(
        report=report,
        # A refresh of the receipt posts the same answers and slots again: same
        # fingerprint, same receipt. Other answers under one key are another report.
        fingerprint=fingerprint({"report": body, "files": slots}),
        idempotency_key=key,
        source=source,
        scope=intake.FORM_SCOPE,
        decoy=decoy,
    )
    try:
        receipt, created = files.file_report(
            submission,
            uploads,
            store=store,
            stores=stores,
            settings=wiring.settings(),
            evidence_files=wiring.evidence_files(),
        )
    except intake.IdempotencyKeyReused:
        return message_page(
            language,
            409,
            _("This report was already sent"),
            _(
                "This form was sent before with other answers, and that first report was "
                "received. To report something new, open a new form."
            ),
        )
    except intake.TooManyRequests as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        return message_page(
            language,
            429,
            _("Too many reports"),
            _(
                "Too many reports were sent from your connection. Please try again in "
                "%(minutes)s minutes. Your answers are still in the form: go back to it."
            )
            % {"minutes": minutes},
            **{"Retry-After": str(max(1, exc.retry_after))},
        )
    if created and not decoy:
        log.info("report accepted from the form as %s (%d files)", receipt.reference, len(uploads))
        wiring.metrics().add("ReportsAccepted")
    return received_page(language, receipt, report, created=created, key=key)


def received_page(language: str, receipt, report, *, created: bool, key: str = "") -> Response:
    """The receipt: the reference and code, the date of birth read back in words, and whom
    to call, first of all when the report is urgent. Nothing typed is shown on it.

    The status code is shown once, on the answer that filed the report: a reload, Back
    and Forward, or a resent form (the same report replayed) show the reference only, so
    that a phone picked up later cannot show the code the receipt says to keep off it.
    Only a double tap without JavaScript, whose first answer the browser never showed,
    shows it again (the receipt's mark, `receipt_shown`, tells them apart)."""
    from chalicelib.domain.words import date_in_words
    from chalicelib.services import intake

    code = created or intake.shows_code_again(wiring.stores(), key)
    child = report.child
    return page(
        "received.html",
        language,
        201 if created else 200,
        reference=receipt.reference,
        status_token=receipt.status_token if code else None,
        shown_mark=key if code else None,
        received_at=receipt.received_at,
        urgent=report.urgent,
        born=date_in_words(child.date_of_birth or child.birth_year, language),
        help_line=wiring.settings().help_line_in(language),
    )
