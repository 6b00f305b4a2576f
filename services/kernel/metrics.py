"""Prometheus metrics (names follow Prometheus conventions; label values are bounded:
services, event types, sources, routes — never item ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# deadline
REMINDERS = Counter(
    "supervision_deadline_reminders_total", "Reminders (催办) issued to lead units", ["kind"]
)
OVERDUE = Counter("supervision_deadline_overdue_total", "Items marked overdue (逾期)", ["source"])
ESCALATIONS = Counter(
    "supervision_deadline_escalations_total", "Escalation steps issued", ["action"]
)
DEADLINE_SCANS = Histogram("supervision_deadline_scan_seconds", "Duration of one deadline scan")

# every service
RPC_SECONDS = Histogram(
    "supervision_rpc_seconds", "RPC handling time", ["service", "method", "outcome"]
)
HANDLER_SECONDS = Histogram(
    "supervision_event_handler_seconds", "Event handling time", ["service", "type", "outcome"]
)
EVENTS_PUBLISHED = Counter(
    "supervision_events_published_total", "Events confirmed on the bus", ["origin", "type"]
)
EVENTS_CONSUMED = Counter(
    "supervision_events_consumed_total",
    "Events taken from an inbox, by outcome (applied, duplicate, retried)",
    ["service", "type", "outcome"],
)
OUTBOX_UNPUBLISHED = Counter(
    "supervision_outbox_unpublished_total",
    "Stored events skipped by the outbox relay: they do not fit their contract",
    ["origin", "type"],
)
OUTBOX_LAG = Gauge(
    "supervision_outbox_lag_events", "Events stored but not yet confirmed on the bus", ["origin"]
)
INBOX_MESSAGES = Gauge(
    "supervision_inbox_messages",
    "Messages waiting in a service's inbox (consumer lag)",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "supervision_dead_letters", "Messages parked in a service's dead-letter queue", ["service"]
)

LEADING = Gauge(
    "supervision_leading",
    "1 while this process holds the lock that makes it the one active copy (relay, scan)",
    ["lock"],
)

# reporting
ITEMS_OPEN = Gauge("supervision_items_open", "Items not yet closed", ["source"])
ITEMS_OVERDUE = Gauge("supervision_items_overdue", "Open items that are overdue", ["source"])
READ_MODEL_LAG = Gauge(
    "supervision_read_model_lag_messages", "Item events not yet in the read model"
)

# gateway
HTTP_REQUESTS = Counter(
    "supervision_http_requests_total", "Gateway requests", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "supervision_http_request_seconds", "Gateway request time", ["method", "route"]
)
