"""Which contacts an alert reaches, and over which channels."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.alerts import Alert, Delivery
from chalicelib.domain.contacts import ALL_OBLASTS, Contact


def route(alert: Alert, contacts: Iterable[Contact]) -> list[Delivery]:
    """One delivery per contact and channel: the oblast's contacts, plus the coordinators.

    Coordinators are the catch-all: every alert reaches them, so a report from an oblast
    with no contact of its own is never left unseen.
    """
    deliveries: list[Delivery] = []
    for contact in sorted(contacts, key=lambda c: c.contact_id):
        if not contact.active:
            continue
        covers = alert.oblast in contact.oblasts or ALL_OBLASTS in contact.oblasts
        if not (covers or contact.coordinator):
            continue
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
