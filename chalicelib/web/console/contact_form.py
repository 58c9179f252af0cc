"""The contact form's fields as typed, read as Homeward reads them (web/console/coordination.py
shows and saves the form)."""

from __future__ import annotations

from typing import Any

from chalicelib.web.console.base import Ctx


def typed(ctx: Ctx) -> dict[str, Any]:
    form = ctx.form
    return {
        "contact_id": form.get("contact_id", "").strip(),
        "organisation": form.get("organisation", "").strip(),
        "agency": form.get("agency", "").strip().upper(),
        "kind": form.get("kind", ""),
        "intake_desk": form.get("intake_desk") == "yes",
        "member_state": form.get("member_state", "").strip().upper(),
        "name": form.get("name", "").strip(),
        "email": form.get("email", "").strip() or None,
        "phone": phone(form.get("phone", "")),
        "languages": [lang for lang in ("uk", "en", "ru") if form.get(f"language_{lang}")],
        "channels": [ch for ch in ("email", "sms") if form.get(f"channel_{ch}")],
        "coordinator": form.get("coordinator") == "yes",
        "auditor": form.get("auditor") == "yes",
        "active": form.get("active") == "yes",
        # A service provider's services and the oblasts it covers (the domain refuses
        # them for any other kind); left out, an edit would drop what the CSV set.
        "services": [v for v in ctx.fields.get("services", []) if v],
        "oblasts": [v for v in ctx.fields.get("oblasts", []) if v],
    }


def phone(typed: str) -> str | None:
    """A number as people write it ("050 123 45 67"), read as the public form reads it; what
    does not read as one goes on as typed, for the contact's check to name."""
    from chalicelib.domain.report import phone_in_e164

    return phone_in_e164(typed) or typed.strip() or None


def service_options(ctx: Ctx) -> list[tuple[str, str]]:
    from chalicelib.domain.referrals import ServiceType
    from chalicelib.web.console.aftercare_words import SERVICE_NAMES

    return [(s.value, ctx._(SERVICE_NAMES[s])) for s in ServiceType]


def phone_hint(ctx: Ctx) -> str:
    """How to write a number: the report form's own hint, in its catalog (web/form_fields.py).
    The numbers are read alike, so they are explained alike."""
    from chalicelib.web import form_fields, i18n

    return i18n.gettext_for(ctx.lang)(form_fields.FIELDS["reporter.phone"].help or "")
