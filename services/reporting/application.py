"""Reporting keeps the read models that lists, dashboards and exports are served from."""

from __future__ import annotations

from services.kernel.consumer import Reaction
from services.kernel.contracts import Envelope
from services.kernel.store import LedgerApplication
from services.reporting.projections import item_row


class Reporting(LedgerApplication):
    name = "reporting"

    def react(self, envelope: Envelope) -> Reaction:
        if envelope.origin != "assignment":
            return Reaction()
        return Reaction(projection=item_row(envelope))
