"""The Nameko shell every service shares: its runtime, its event inbox, its RPC errors.

All eventlet and Nameko knowledge stays here and in `launch`; domain and application code
never import them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import eventlet
import kombu.exceptions
from eventlet.queue import Empty, LightQueue
from nameko.exceptions import ContainerBeingKilled, deserialize_to_instance
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer, QueueConsumer
from nameko.rpc import Rpc

from services.kernel import logs, metrics, ops
from services.kernel.clock import Clock, clock_from_settings
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.consumer import HOLD, PARK, Outage, Verdicts
from services.kernel.contracts import Envelope, MalformedMessage, decode
from services.kernel.errors import NotFound, Refused
from services.kernel.leader import LeaderLock
from services.kernel.migrations import Migration
from services.kernel.outbox import OutboxRelay
from services.kernel.store import LedgerApplication
from services.kernel.topology import inbox

log = logging.getLogger(__name__)

# kombu asks whether librabbitmq (a C client this project does not use) can be imported each
# time a connection object is made, and Nameko makes one for every RPC request and reply; a
# failed import searches the whole module path every time. Recorded as absent, it answers at
# once (py-amqp is used either way).
sys.modules.setdefault("librabbitmq", None)  # type: ignore[assignment]

# A refusal crosses RPC as itself, not as a generic RemoteError.
deserialize_to_instance(Refused)
deserialize_to_instance(NotFound)

AppFactory = Callable[[Settings, Clock], LedgerApplication]


class Runtime(DependencyProvider):
    """One application per service process, its clock, and its outbox relay."""

    def __init__(
        self,
        build: AppFactory,
        origin: str,
        migrations: Sequence[Migration],
        observe: Callable[[Any], None] | None = None,
    ) -> None:
        """`migrations`: the service's own steps, all applied before it is ready."""
        self._build = build
        self.origin = origin
        self._migrations = migrations
        self._observe = observe
        self._started: dict[Any, float] = {}

    def setup(self) -> None:
        self.settings = Settings.from_env()
        self.conninfo = DatabaseAddress.parse(self.settings.database_url).conninfo()
        self.clock = clock_from_settings(self.settings.manual_clock, self.conninfo)
        self.app = self._build(self.settings, self.clock)
        self.relay = OutboxRelay(
            self.app,
            self.origin,
            self.settings.amqp_uri,
            self.conninfo,
            self.settings.delivery_backstop,
            self.settings.inbox_max_length,
        )
        self._running = True
        self._wake: LightQueue = LightQueue()
        self.app.on_saved = self._nudge

    def _nudge(self) -> None:
        if self._wake.empty():
            self._wake.put_nowait(None)

    def _wait_for_work(self) -> None:
        """Until this process saves an event, or the poll interval passes (other replicas)."""
        with contextlib.suppress(Empty):
            self._wake.get(timeout=self.settings.relay_interval_seconds)

    def start(self) -> None:
        ops.serve(self.settings, self._migrations)
        self.container.spawn_managed_thread(self._relay_forever)
        self.container.spawn_managed_thread(self._observe_forever)

    def _observe_forever(self) -> None:
        """Refreshes the gauges operations watches; never lets a failure stop the process."""
        while self._running:
            try:
                metrics.OUTBOX_LAG.labels(self.origin).set(self.relay.lag())
                ops.queue_depths(self.settings.amqp_uri)
                if self._observe is not None:
                    self._observe(self.app)
            except Exception:
                log.warning("refreshing gauges of %s failed", self.origin, exc_info=True)
            eventlet.sleep(self.settings.metrics_refresh_seconds)

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx] = time.perf_counter()
        logs.correlation_id.set(worker_ctx.data.get("correlation_id") or worker_ctx.call_id)

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        service = self.container.service_name
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, EventConsumer):
            name = f"{worker_ctx.args[0].origin}.{worker_ctx.args[0].type}"
            outcome = "retried" if exc_info else str(result or "applied")
            metrics.HANDLER_SECONDS.labels(service, worker_ctx.args[0].type, outcome).observe(
                elapsed
            )
            metrics.EVENTS_CONSUMED.labels(service, worker_ctx.args[0].type, outcome).inc()
        elif isinstance(entrypoint, Rpc):
            name = entrypoint.method_name
            outcome = "error" if exc_info else "ok"
            metrics.RPC_SECONDS.labels(service, name, outcome).observe(elapsed)
        else:
            return
        log.info("%s %s %s in %.1f ms", type(entrypoint).__name__, name, outcome, elapsed * 1e3)

    def stop(self) -> None:
        self._running = False

    def _relay_forever(self) -> None:
        # While publishing, the lock's connection is checked once a second, not every batch:
        # a lock lost meanwhile at worst repeats messages, which consumers drop.
        lock = LeaderLock(self.conninfo, f"outbox:{self.origin}", recheck_seconds=1.0)
        leading_since = 0
        while self._running:
            try:
                if not lock.held():
                    eventlet.sleep(1.0)
                    continue
                if lock.generation != leading_since:
                    # (Re)gained the lead: another copy may have moved the position meanwhile.
                    self.relay.forget_position()
                    leading_since = lock.generation
                if self.relay.run_once() < self.relay.batch_size:
                    # Caught up with what was committed when the batch was read; anything
                    # this process saved since has nudged the wake-up queue.
                    self._wait_for_work()
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.origin)
                eventlet.sleep(1.0)
        lock.release()
        self.relay.close()
        self.app.close()

    def get_dependency(self, worker_ctx: Any) -> Runtime:
        return self


class InboxQueueConsumer(QueueConsumer):
    """The connection that feeds a service's inboxes. A body that cannot be decoded (not
    JSON, or a content type not accepted) is dead-lettered, so it can be looked at; kombu's
    default acknowledges it and it vanishes."""

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        log.error("parking undecodable message %s: %s", message.properties.get("message_id"), exc)
        message.reject(requeue=False)


class EventConsumer(Consumer):
    """A service's inbox; what happens to a message is decided by `consumer.Verdicts`:

    - applied (or a repeat): acknowledged;
    - the database or broker failed: the message is held, not handed back, and the inbox
      takes no new message (each waits while the outage lasts) until a retry after a
      growing pause succeeds: an outage never uses up a message's tries;
    - its predecessor has not arrived: handed back after a pause, no try used;
    - it failed on its own content: handed back after a pause, and parked (dead-lettered)
      after BUS_DELIVERY_LIMIT such retries;
    - not a valid event, or not decodable at all: parked at once.
    """

    queue_consumer = InboxQueueConsumer()

    def __init__(self, service: str, **kwargs: Any) -> None:
        self.settings = Settings.from_env()
        self.verdicts = Verdicts(self.settings.delivery_limit)
        self.outage = Outage(
            self.settings.retry_backoff_seconds, self.settings.outage_backoff_max_seconds
        )
        super().__init__(
            queue=inbox(service, self.settings.delivery_backstop, self.settings.inbox_max_length),
            requeue_on_error=True,
            **kwargs,
        )

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            envelope = decode(body)
        except MalformedMessage:
            log.error("dead-lettering malformed message %s", message.properties.get("message_id"))
            message.reject(requeue=False)
            return
        if self.outage.remaining() > 0:
            self.container.spawn_managed_thread(partial(self._when_back, envelope, message))
        else:
            self._spawn(envelope, message)

    def _when_back(self, envelope: Envelope, message: Any) -> None:
        """Waits out the outage's pause, then tries the message again."""
        while (pause := self.outage.remaining()) > 0:
            eventlet.sleep(pause)
        self._spawn(envelope, message)

    def _spawn(self, envelope: Envelope, message: Any) -> None:
        context = {"correlation_id": envelope.correlation_id or str(envelope.event_id)}
        try:
            self.container.spawn_worker(
                self,
                (envelope,),
                {},
                context_data=context,
                handle_result=partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(
        self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        envelope = worker_ctx.args[0]
        message_id = str(envelope.event_id)
        try:
            if exc_info is None:
                self.outage.recovered()
                self.verdicts.settled(message_id)
                self.queue_consumer.ack_message(message)
                return result, exc_info
            verdict = self.verdicts.decide(message_id, exc_info[1])
            if verdict == HOLD:
                self.outage.failed()
                log.warning(
                    "%s: a dependency failed (%s: %s); holding %s, retry in %.1f s",
                    self.container.service_name,
                    type(exc_info[1]).__name__,
                    exc_info[1],
                    message_id,
                    self.outage.remaining(),
                )
                # retried from another green thread, so this worker's slot is freed first
                self.container.spawn_managed_thread(partial(self._when_back, envelope, message))
            elif verdict == PARK:
                log.error(
                    "%s: parking %s %s after %s failures on its content: %s",
                    self.container.service_name,
                    envelope.routing_key,
                    message_id,
                    self.verdicts.content_failures(message_id),
                    exc_info[1],
                )
                self.verdicts.settled(message_id)
                message.reject(requeue=False)
            else:
                tries = max(
                    self.verdicts.content_failures(message_id),
                    int((message.headers or {}).get("x-delivery-count", 0)),
                )
                eventlet.sleep(min(self.settings.retry_backoff_seconds * 2**tries, 2.0))
                self.queue_consumer.requeue_message(message)
        except (kombu.exceptions.OperationalError, OSError):
            # The broker went away while the message was handled: it hands the message out
            # again once back, and the consumer recognises what it already applied. Nameko
            # would stop the whole service over this lost acknowledgement.
            log.warning("could not settle a message with the broker; it will be redelivered")
        return result, exc_info


event_consumer = EventConsumer.decorator


class Command(Rpc):
    """A service's RPC entrypoint. If the broker goes away while a command runs, its reply
    has nowhere to go (the caller's reply queue went with the broker) and the caller will
    retry; Nameko's own entrypoint would stop the whole service over that lost reply."""

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (kombu.exceptions.OperationalError, OSError):
            log.warning("the reply to %s was lost: the broker is unreachable", self.method_name)
            return result, exc_info


rpc = Command.decorator
