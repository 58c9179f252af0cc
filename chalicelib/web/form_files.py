"""The report form's files sent without JavaScript: in the form's own post
(multipart/form-data), put into the form's upload slots as a script's uploads would be,
and checked on submit by the same code (services/attachments.py).
"""

from __future__ import annotations

from chalicelib import wiring
from chalicelib.web import i18n
from chalicelib.web.http import MAX_BODY_BYTES
from chalicelib.web.pages import MULTIPART, posted_fields

# Without JavaScript the files come in the form's own post, through API Gateway into the
# function: Lambda takes at most 6 MB, and a binary body arrives base64-encoded (4/3 as
# large). Up to this much, a post is read and what does not fit is said in words with
# every answer kept; past about 4.5 MB AWS refuses it before Homeward sees it.
MAX_MULTIPART_BYTES = 4 * 1024 * 1024
# The most a multipart post is read at all (a local run has no Lambda limit).
MAX_MULTIPART_READ = 3 * MAX_BODY_BYTES + 5 * 10 * 1024 * 1024


class Unreadable(Exception):
    """A post that says it is a multipart form, and is none."""


# The form's own fields; more is no browser's post (parse_qs's limit on the same form).
MAX_FIELDS = 200


def posted_multipart(raw: bytes, content_type: str) -> tuple[dict[str, list[str]], list[bytes]]:
    """A multipart form post: its fields as `posted_fields` reads them, and the contents of
    the files sent in its `file` input, in order. An input left empty sends a part with
    no bytes, which is no file. Raises ValueError for what no browser sends."""
    from python_multipart.multipart import FormParser, parse_options_header

    media, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media.decode("latin-1") != MULTIPART or not boundary:
        raise ValueError("not a multipart form")
    fields: dict[str, list[str]] = {}
    files: list[bytes] = []
    count = 0

    def counted(name: bytes | None) -> str:
        nonlocal count
        count += 1
        if count > MAX_FIELDS:
            raise ValueError("too many fields")
        return (name or b"").decode("utf-8", errors="replace")

    def on_field(part) -> None:
        name = counted(part.field_name)
        fields.setdefault(name, []).append((part.value or b"").decode("utf-8", errors="replace"))

    def on_file(part) -> None:
        name = counted(part.field_name)
        part.file_object.seek(0)
        data = part.file_object.read()
        part.close()
        if name == "file" and data:
            files.append(data)

    # Kept in memory: the body is in memory already, and nothing is written to /tmp.
    parser = FormParser(
        MULTIPART,
        on_field,
        on_file,
        boundary=boundary,
        config={"MAX_MEMORY_FILE_SIZE": len(raw) + 1},
    )
    parser.write(raw)
    parser.finalize()
    return fields, files


def media_type_of(request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def posted(request) -> tuple[dict[str, list[str]], list[bytes] | None]:
    """The form's fields, and the files sent with it without JavaScript (None: more than
    a post may carry, dropped; the answers are read all the same)."""
    raw = request.raw_body or b""
    if media_type_of(request) != MULTIPART or len(raw) > MAX_MULTIPART_READ:
        return posted_fields(raw if media_type_of(request) != MULTIPART else b""), []
    try:
        values, sent = posted_multipart(raw, request.headers.get("content-type") or "")
    except ValueError:
        # Not what a browser sends (no boundary, broken parts): read as no form at all.
        raise Unreadable() from None
    return values, sent if len(raw) <= MAX_MULTIPART_BYTES else None


def keep_files(
    values: dict[str, list[str]], key: str, sent: list[bytes] | None, source: str
) -> str | None:
    """Put the files sent without JavaScript into the form's free upload slots, each
    through the checks a script's upload passes; why one was not kept (a reason for
    `upload_refusal`), or None.

    A form whose key has run out, was not issued here, or whose report is filed already
    keeps no file: the form comes back for the files to be added again, or the receipt is
    shown again."""
    from chalicelib.domain.attachments import MAX_FILES
    from chalicelib.services import attachments as files
    from chalicelib.services import intake

    store = wiring.file_store()
    if store is None:
        return None
    if sent is None:
        return "together"
    slots = [str(n) for n in range(1, MAX_FILES + 1)]
    free = [int(s) for s in slots if s not in values.get("upload", [])]
    refused = None
    for slot, data in zip(free, sent, strict=False):
        try:
            files.store_upload(
                store,
                key,
                slot,
                data,
                source=source,
                stores=wiring.stores(),
                settings=wiring.settings(),
            )
        except files.UploadRefused as exc:
            if str(exc) == "sent":
                # A second tap: the same slots as the first post, so the same report.
                values.setdefault("upload", []).append(str(slot))
                continue
            if str(exc) in ("expired", "invalid"):
                return None
            refused = refused or str(exc)
            continue
        except intake.TooManyRequests:
            return "rate"
        values.setdefault("upload", []).append(str(slot))
    if len(sent) > len(free):
        refused = refused or "too_many"
    return refused


def upload_refusal(reason: str, language: str) -> str:
    """Why a file was not kept, in words: the same for a script's upload and a post's."""
    from chalicelib.domain.attachments import MAX_FILES
    from chalicelib.domain.questions import FILE_REFUSED

    _ = i18n.gettext_for(language)
    if reason == "together":
        return _(
            "The files were too large to send with the report from this browser (at most "
            "%(size)s MB together) and were not kept. Send the report without them, or "
            "choose fewer or smaller files."
        ) % {"size": MAX_MULTIPART_BYTES // (1024 * 1024)}
    if reason == "too_many":
        return _("At most %(count)s files can be added. The others were not kept.") % {
            "count": MAX_FILES
        }
    if reason == "rate":
        return _(
            "Too many files were sent from your connection. Send the report without them, "
            "or try again later."
        )
    return _(FILE_REFUSED[reason])
