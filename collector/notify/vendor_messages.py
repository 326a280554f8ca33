"""The NOC's mail about the vendor's own network: down (no customer's clock pauses), and back."""

from __future__ import annotations

from datetime import datetime

from collector.notify.messages import Mail


def vendor_network_down(cause: str, since: datetime, recipient: str) -> Mail:
    body = (
        f"Remote access is failing in a way that points at our own network, not at customers "
        f"withholding access.\n\nSince: {since:%Y-%m-%d %H:%M} UTC\nWhy:   {cause}\n\n"
        "No customer's SLA clock pauses for this time: check the vendor-side links.\n"
    )
    return Mail("vendor_network", recipient, "VENDOR NETWORK DOWN: " + cause, body)


def vendor_network_up(cause: str, since: datetime, now: datetime, recipient: str) -> Mail:
    body = (
        f"Remote access looks normal again.\n\nDown:  {since:%Y-%m-%d %H:%M} UTC to "
        f"{now:%Y-%m-%d %H:%M} UTC\nWhy:   {cause}\n"
    )
    return Mail("vendor_network", recipient, "RECOVERED: vendor network", body)
