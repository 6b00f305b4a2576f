"""Prometheus metrics of the service processes (names follow Prometheus conventions; label
values are bounded: sources, kinds, actions, never item ids)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

REMINDERS = Counter(
    "supervision_deadline_reminders_total", "Reminders (催办) issued to lead units", ["kind"]
)
OVERDUE = Counter("supervision_deadline_overdue_total", "Items marked overdue (逾期)", ["source"])
ESCALATIONS = Counter(
    "supervision_deadline_escalations_total", "Escalation steps issued", ["action"]
)
DEADLINE_SCANS = Histogram("supervision_deadline_scan_seconds", "Duration of one deadline scan")


def serve(port: int) -> None:
    """Serves /metrics on `port` (0: not at all)."""
    if port:
        start_http_server(port, addr="127.0.0.1")
