"""The bus: one topic exchange for events, one durable inbox queue per consuming service.

Every inbox (with its bindings and its dead-letter queue) is declared before any relay
publishes, so an event is never published to an exchange with no queue to keep it.
Inboxes are quorum queues. The consumer itself decides when a message is parked (it counts
only failures caused by the message, see `consumer.Verdicts`); the broker's delivery limit
(`delivery_backstop`, every hand-back counts) is a high backstop only. Dead-lettering is
at-least-once, so the move itself is confirmed. An inbox holds at most `max_length`
messages; when full it refuses new ones (reject-publish), the relay's confirmed publish
fails and the relay retries later: it slows down, nothing is dropped.
"""

from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

from services.kernel.contracts import CAMPAIGN_CONTRACTS

EVENTS = Exchange("supervision.events", type="topic", durable=True)
DEAD_LETTERS = Exchange("supervision.dead", type="direct", durable=True)

# consumer service -> routing keys it subscribes to (origin.EventType)
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "assignment": ("intake.ItemReceived", "deadline.#"),
    "deadline": ("assignment.#",),
    # the ledger follows the items, and the campaigns they came from
    "reporting": ("assignment.#", *(f"intake.{c.__name__}" for c in CAMPAIGN_CONTRACTS)),
}


def inbox_name(service: str) -> str:
    return f"{service}.inbox"


def dead_letter_name(service: str) -> str:
    return f"{service}.inbox.dead"


def inbox(service: str, delivery_backstop: int, max_length: int) -> Queue:
    name = inbox_name(service)
    return Queue(
        name,
        bindings=[binding(EVENTS, routing_key=key) for key in SUBSCRIPTIONS[service]],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_backstop,
            "x-max-length": max_length,
            "x-dead-letter-exchange": DEAD_LETTERS.name,
            "x-dead-letter-routing-key": name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(service: str) -> Queue:
    return Queue(
        dead_letter_name(service),
        exchange=DEAD_LETTERS,
        routing_key=inbox_name(service),
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def declare_all(amqp_uri: str, delivery_backstop: int, max_length: int) -> None:
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        EVENTS(channel).declare()
        DEAD_LETTERS(channel).declare()
        for service in SUBSCRIPTIONS:
            dead_letter_queue(service)(channel).declare()
            inbox(service, delivery_backstop, max_length)(channel).declare()
