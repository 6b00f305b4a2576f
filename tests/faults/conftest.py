"""The fault suite runs on a PostgreSQL cluster and a RabbitMQ node of its own, so it can stop
and kill them; the machine's shared servers are never touched."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from deploy.stack import Stack, stack_env
from services.kernel.config import DatabaseAddress
from tests.client import Client
from tests.faults.audit import Audit
from tests.faults.servers import OwnPostgres, OwnRabbit

# `make soak` raises this: the same faults under a longer, heavier load.
LOAD_SCALE = int(os.environ.get("FAULT_LOAD_SCALE", "1"))


Server = TypeVar("Server", OwnPostgres, OwnRabbit)


def _running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[OwnPostgres]:
    yield from _running(OwnPostgres())


@pytest.fixture(scope="session")
def own_rabbit() -> Iterator[OwnRabbit]:
    yield from _running(OwnRabbit())


@pytest.fixture(scope="session")
def fault_stack(
    own_postgres: OwnPostgres, own_rabbit: OwnRabbit, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = stack_env(
        f"sv_fault_{uuid.uuid4().hex[:8]}",
        own_postgres.port,
        own_rabbit.amqp_uri,
        CLOCK="manual",
        BUS_DELIVERY_LIMIT="4",
        BUS_RETRY_BACKOFF_SECONDS="0.05",
        DEADLINE_SCAN_SECONDS="3600",
        READ_WAIT_SECONDS="5",
        EVIDENCE_DIR=str(tmp_path_factory.mktemp("fault-evidence")),
        LOG_LEVEL="INFO",
    )
    log_dir = Path(os.environ.get("TEST_LOG_DIR") or tmp_path_factory.mktemp("fault-logs"))
    stack = Stack(env, log_dir / "faults" if os.environ.get("TEST_LOG_DIR") else log_dir)
    stack.prepare()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def office(fault_stack: Stack) -> Client:
    return Client(fault_stack.gateway_url).login("supervisor", fault_stack.settings.demo_password)


@pytest.fixture(scope="session")
def audit(fault_stack: Stack) -> Audit:
    conninfo = DatabaseAddress.parse(fault_stack.settings.database_url).conninfo()
    return Audit(conninfo, fault_stack.settings.amqp_uri)


@pytest.fixture
def say(request: pytest.FixtureRequest):
    """Prints a line to the terminal even while pytest captures output: each fault says what
    it did and what it checked."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def line(text: str) -> None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"  [fault] {text}")

    return line
