"""Reporting keeps the read models that lists, dashboards and exports are served from."""

from __future__ import annotations

from services.kernel.consumer import Reaction
from services.kernel.contracts import Envelope
from services.kernel.store import LedgerApplication
from services.reporting.projections import campaign_row, is_campaign_event, item_row


class Reporting(LedgerApplication):
    name = "reporting"

    def open_and_overdue(self) -> list[tuple[str, int, int]]:
        """(source, open items, overdue open items) for every source with items."""
        with self.ledger.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT source, count(*) FILTER (WHERE status <> 'closed') AS open,"
                " count(*) FILTER (WHERE status <> 'closed' AND overdue) AS overdue"
                " FROM reporting.items GROUP BY source"
            ).fetchall()
        return [(r["source"], r["open"], r["overdue"]) for r in rows]

    def react(self, envelope: Envelope) -> Reaction:
        if is_campaign_event(envelope):
            return Reaction(projection=campaign_row(envelope, announce=True))
        if envelope.origin != "assignment":
            return Reaction()
        return Reaction(projection=item_row(envelope, announce=True))
