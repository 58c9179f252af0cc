"""Which contacts an alert reaches, and over which channels."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.alerts import Alert, Delivery
from chalicelib.domain.contacts import ALL_OBLASTS, Contact


def route(alert: Alert, contacts: Iterable[Contact]) -> list[Delivery]:
    """One delivery per contact and channel.

    A first alert reaches the oblast's first-line contacts and the coordinators, the
    catch-all: a report from an oblast with no contact of its own is never left unseen.
    The n-th escalation reaches the oblast's contacts of level n; past the last level
    that has any, it goes to the coordinators again, as an escalation.
    """
    active = sorted((c for c in contacts if c.active), key=lambda c: c.contact_id)

    def covers(contact: Contact) -> bool:
        return alert.oblast in contact.oblasts or ALL_OBLASTS in contact.oblasts

    if alert.level == 0:
        chosen = [c for c in active if (covers(c) and c.escalation_level == 0) or c.coordinator]
    else:
        chosen = [c for c in active if covers(c) and c.escalation_level == alert.level]
        chosen = chosen or [c for c in active if c.coordinator]
    deliveries: list[Delivery] = []
    for contact in chosen:
        for channel in dict.fromkeys(contact.channels):
            address = contact.address(channel)
            if address:
                deliveries.append(
                    Delivery(
                        alert=alert,
                        contact_id=contact.contact_id,
                        agency=contact.agency,
                        channel=channel,
                        address=address,
                        language=contact.language,
                    )
                )
    return deliveries
