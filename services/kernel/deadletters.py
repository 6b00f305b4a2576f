"""Dead letters: count them, and replay them into their inbox once the cause is fixed.

python -m services.kernel.deadletters count
python -m services.kernel.deadletters replay <service>
"""

from __future__ import annotations

import argparse

from kombu import Connection, Producer, Queue

from services.kernel.config import Settings
from services.kernel.topology import SUBSCRIPTIONS, dead_letter_name, inbox_name


def count(amqp_uri: str) -> dict[str, int]:
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        return {
            s: channel.queue_declare(dead_letter_name(s), passive=True).message_count
            for s in SUBSCRIPTIONS
        }


def replay(amqp_uri: str, service: str) -> int:
    """Moves the dead letters of `service` parked when it starts back to its inbox (each
    confirmed, then acked). One that fails again while it runs is parked again and stays:
    replaying it once more is a person's decision, not a loop's."""
    moved = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = Producer(channel)
        parked = channel.queue_declare(dead_letter_name(service), passive=True).message_count
        dead = Queue(dead_letter_name(service), no_declare=True).bind(channel)
        while moved < parked:
            message = dead.get(no_ack=False, accept=["application/json"])
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            producer.publish(
                message.body,
                exchange="",
                routing_key=inbox_name(service),
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                headers=headers,
                message_id=message.properties.get("message_id"),
                serializer=None,
            )
            message.ack()
            moved += 1
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("count")
    replay_parser = sub.add_parser("replay")
    replay_parser.add_argument("service", choices=sorted(SUBSCRIPTIONS))
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.command == "count":
        print(count(settings.amqp_uri))
    else:
        print(f"replayed {replay(settings.amqp_uri, args.service)} message(s)")


if __name__ == "__main__":
    main()
