"""Starts and stops the whole system as separate processes: used by `make run` and the tests.

Processes are stopped by the process ids this module started, never by name.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from kombu import Connection
from psycopg import sql

from deploy.demo import seed_reference_data
from deploy.migrate import MIGRATIONS
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.migrations import migrate
from services.kernel.topology import declare_all, inbox_name

SERVICES = {
    "intake": "services.intake.service:IntakeService",
    "assignment": "services.assignment.service:AssignmentService",
    "deadline": "services.deadline.service:DeadlineService",
    "reporting": "services.reporting.service:ReportingService",
}
RPC_SERVICES = ("intake", "assignment", "deadline")
INBOXES = ("assignment", "deadline", "reporting")


class Stack:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.settings = Settings.from_env(env)
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def prepare(self) -> None:
        """Migrations, the bus topology and the reference data, before any process starts."""
        migrate(self.settings, MIGRATIONS)
        declare_all(
            self.settings.amqp_uri,
            self.settings.delivery_backstop,
            self.settings.inbox_max_length,
        )
        seed_reference_data(self.settings)

    def metrics_port(self, service: str, copy: int = 1) -> int:
        """Each service process serves /metrics on its own port: METRICS_BASE_PORT + n."""
        base = int(self.env.get("METRICS_BASE_PORT", "9100"))
        return base + list(SERVICES).index(service) + 1 + 10 * (copy - 1)

    def _spawn(
        self, name: str, argv: list[str], extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            argv,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_service(self, service: str, copy: int = 1, **env: str) -> subprocess.Popen[bytes]:
        name = service if copy == 1 else f"{service}-{copy}"
        return self._spawn(
            name,
            [sys.executable, "-m", "services.kernel.launch", SERVICES[service]],
            {"METRICS_PORT": str(self.metrics_port(service, copy)), **env},
        )

    def start_gateway(
        self, copy: int = 1, port: int | None = None, **env: str
    ) -> subprocess.Popen[bytes]:
        port = port or self.settings.gateway_port
        return self._spawn(
            "gateway" if copy == 1 else f"gateway-{copy}",
            [
                sys.executable,
                "-m",
                "gunicorn",
                # one worker (threads share its metrics registry); scale with replicas
                "--workers",
                "1",
                "--threads",
                "16",
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                "gateway.wsgi:app",
            ],
            env,
        )

    def start(self) -> None:
        for service in SERVICES:
            self.start_service(service)
        self.start_gateway()
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every inbox and RPC queue has a consumer and the gateway answers."""
        import requests

        queues = [inbox_name(s) for s in INBOXES] + [f"rpc-{s}" for s in RPC_SERVICES]
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                ready = all(c >= 1 for c in consumer_counts(self.settings.amqp_uri, queues))
                ready = ready and requests.get(f"{self.gateway_url}/readyz", timeout=2).ok
            except Exception:
                ready = False
            if ready:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the stack was not ready within {timeout}s; logs in {self.log_dir}"
                )
            time.sleep(0.2)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.log_dir / (name + '.log')}"
                )

    def stop_process(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self, names: Iterable[str] | None = None, timeout: float = 15) -> None:
        """Asks every named process to stop at once, then waits; kills what lingers."""
        chosen = {n: self.processes.pop(n) for n in list(names or self.processes)}
        for process in chosen.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in chosen.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def consumer_counts(amqp_uri: str, queues: list[str]) -> list[int]:
    with Connection(amqp_uri, connect_timeout=2) as conn:
        channel = conn.channel()
        counts = []
        for queue in queues:
            try:
                counts.append(channel.queue_declare(queue, passive=True).consumer_count)
            except Exception:
                channel = conn.channel()
                counts.append(0)
        return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def isolated_env(prefix: str, **overrides: str) -> Iterator[dict[str, str]]:
    """Settings naming a database, role and vhost of their own, removed afterwards (tests and
    benchmarks on this machine never see each other's data)."""
    run_id = f"{prefix}_{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", run_id)
    rabbitmqctl("set_permissions", "-p", run_id, "guest", ".*", ".*", ".*")
    # a developer may point test runs at a PostgreSQL of their own (TEST_POSTGRES_PORT)
    postgres_port = int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
    env = stack_env(
        run_id, postgres_port, f"amqp://guest:guest@127.0.0.1:5672/{run_id}", **overrides
    )
    try:
        yield env
    finally:
        admin = DatabaseAddress.parse(env["DATABASE_ADMIN_URL"])
        maintenance = DatabaseAddress(admin.host, admin.port, "postgres", admin.user, "")
        with psycopg.connect(maintenance.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(run_id))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(f"{run_id}_app")))
        rabbitmqctl("delete_vhost", run_id)


def stack_env(database: str, postgres_port: int, amqp_uri: str, **overrides: str) -> dict[str, str]:
    """Settings for a whole stack on its own database (and its own role), given a broker."""
    server = f"127.0.0.1:{postgres_port}/{database}"
    return base_env(
        DATABASE_URL=f"postgresql://{database}_app:{database}_app@{server}",
        DATABASE_ADMIN_URL=f"postgresql://postgres@{server}",
        AMQP_URI=amqp_uri,
        GATEWAY_PORT=str(free_port()),
        # below the ephemeral port range, so no client socket holds one of them
        METRICS_BASE_PORT=str(random.randrange(20000, 32000, 100)),
        JWT_SECRET=secrets.token_urlsafe(32),
        **overrides,
    )


def base_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(overrides)
    return env
