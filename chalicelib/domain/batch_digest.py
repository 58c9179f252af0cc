"""The one message an import batch sends each of its recipients.

It says what an SMS alert says of each case (reference, category, oblast, urgency) and
never names a child or a reporter: a digest may list hundreds of cases, and whoever may
see them opens them in the staff API, where the disclosure policy decides the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from chalicelib.domain.alerts import Alert

# An e-mail lists at most this many references; the rest are counted.
LISTED = 200


@dataclass(frozen=True)
class DigestLine:
    reference: str
    category: str
    oblast: str
    urgent: bool

    @classmethod
    def of(cls, alert: Alert) -> DigestLine:
        return cls(alert.reference, alert.category, alert.oblast, alert.urgent)


@dataclass(frozen=True)
class BatchDigest:
    subject: str
    text: str


_WORDS = {
    "en": {
        "subject": "Homeward: {n} reports imported from {partner} ({urgent} urgent)",
        "intro": "{partner} imported {n} reports that reach you; {urgent} of them urgent.",
        "by": "By category:",
        "list": "The reports (open them in the staff console):",
        "more": "... and {n} more.",
        "sms": "Homeward: {n} reports imported from {partner}, {urgent} urgent. See e-mail or "
        "the staff console.",
    },
    "uk": {
        "subject": "Homeward: імпортовано {n} повідомлень від {partner} ({urgent} термінових)",
        "intro": "{partner} імпортував {n} повідомлень, що стосуються вас; термінових: {urgent}.",
        "by": "За категоріями:",
        "list": "Повідомлення (відкрийте їх у консолі персоналу):",
        "more": "... і ще {n}.",
        "sms": "Homeward: імпортовано {n} повідомлень від {partner}, термінових: {urgent}. "
        "Див. e-mail або консоль.",
    },
}


def render_batch_digest(
    partner: str, lines: list[DigestLine], language: str, *, sms: bool = False
) -> BatchDigest:
    words = _WORDS.get(language, _WORDS["en"])
    values = {"n": len(lines), "partner": partner, "urgent": sum(1 for x in lines if x.urgent)}
    subject = words["subject"].format(**values)
    if sms:
        return BatchDigest(subject, words["sms"].format(**values))
    # Urgent first, then as they came.
    ordered = sorted(lines, key=lambda x: not x.urgent)
    counts = Counter(x.category for x in lines)
    text = [words["intro"].format(**values), "", words["by"]]
    text += [f"  {category}: {n}" for category, n in sorted(counts.items())]
    text += ["", words["list"]]
    text += [
        f"  {x.reference}  {x.category}  {x.oblast}{'  URGENT' if x.urgent else ''}"
        for x in ordered[:LISTED]
    ]
    if len(ordered) > LISTED:
        text.append(words["more"].format(n=len(ordered) - LISTED))
    return BatchDigest(subject, "\n".join(text) + "\n")
