"""SMS length as carriers count it: GSM-7 when every character allows, UCS-2 otherwise.

Any Cyrillic letter makes the whole message UCS-2: 70 characters in one part, 67 per
part when split. Plain Latin text is GSM-7: 160 in one part, 153 per part.
"""

from __future__ import annotations

import math
from typing import Literal

from chalicelib.domain.alerts import Alert, Channel, Delivery

# Which alerts go by SMS as well as by e-mail: every one, or urgent reports and
# escalations only (an SMS costs about as much as a thousand e-mails).
SmsFor = Literal["all", "urgent"]

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# These take two septets (an escape and the character).
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)


def segments(text: str) -> int:
    if is_gsm7(text):
        septets = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else math.ceil(units / 67)


def under_sms_policy(alert: Alert, deliveries: list[Delivery], sms_for: str) -> list[Delivery]:
    """The deliveries the SMS policy keeps: with "urgent", an SMS to a contact who also
    gets the alert by e-mail goes only for an urgent report or an escalation. A contact
    reachable by SMS alone keeps it: the policy saves money, never an alert."""
    if sms_for == "all" or alert.urgent or alert.level > 0:
        return deliveries
    emailed = {d.contact_id for d in deliveries if d.channel == Channel.EMAIL}
    return [d for d in deliveries if d.channel != Channel.SMS or d.contact_id not in emailed]
