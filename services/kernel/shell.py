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
from nameko.messaging import Consumer
from nameko.rpc import Rpc

from services.kernel import logs, metrics, ops
from services.kernel.clock import Clock, clock_from_settings
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.contracts import MalformedMessage, decode
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
            self.settings.delivery_limit,
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


class EventConsumer(Consumer):
    """A service's inbox. Failures are retried with backoff through the broker's delivery
    count; a message still failing after the queue's delivery limit is dead-lettered by the
    broker; a message that is not a valid event is dead-lettered at once."""

    def __init__(self, service: str, **kwargs: Any) -> None:
        self.settings = Settings.from_env()
        super().__init__(
            queue=inbox(service, self.settings.delivery_limit), requeue_on_error=True, **kwargs
        )

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            envelope = decode(body)
        except MalformedMessage:
            log.error("dead-lettering malformed message %s", message.properties.get("message_id"))
            message.reject(requeue=False)
            return
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

    def handle_message_processed(
        self, message: Any, result: Any = None, exc_info: Any = None
    ) -> None:
        try:
            if exc_info is None:
                self.queue_consumer.ack_message(message)
                return
            tries = int((message.headers or {}).get("x-delivery-count", 0))
            eventlet.sleep(min(self.settings.retry_backoff_seconds * 2**tries, 2.0))
            self.queue_consumer.requeue_message(message)
        except (kombu.exceptions.OperationalError, OSError):
            # The broker went away while the message was handled: it hands the message out
            # again once back, and the consumer recognises what it already applied. Nameko
            # would stop the whole service over this lost acknowledgement.
            log.warning("could not settle a message with the broker; it will be redelivered")


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
