"""The contract's example report as the web form posts it (field name -> value)."""

from __future__ import annotations

from urllib.parse import urlencode

from helpers import EXAMPLE_REPORT

FORM = "application/x-www-form-urlencoded"


def form_fields(report: dict | None = None, **extra: str) -> dict[str, str]:
    report = report or EXAMPLE_REPORT
    fields: dict[str, str] = {}
    for part, values in report.items():
        if not isinstance(values, dict):
            if values:
                fields[part] = "yes"
            continue
        for name, value in values.items():
            key = f"{part}.{name}"
            if value is None:
                continue
            if isinstance(value, bool):
                if part == "reporter":
                    fields[key] = "yes" if value else "no"
                elif value:
                    fields[key] = "yes"
            elif isinstance(value, list):
                fields[key] = ", ".join(value)
            else:
                fields[key] = str(value)
    fields.update({"lang": "uk", "submission_key": "form-key-00000001", "website": ""})
    fields.update(extra)
    return fields


def post_form(client, fields: dict, *, lang: str = "uk", body: str | None = None, headers=None):
    return client.http.post(
        f"/report?lang={lang}",
        headers={"Content-Type": FORM, **(headers or {})},
        body=body if body is not None else urlencode(fields, doseq=True),
    )
