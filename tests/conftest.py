"""Test fixtures: each run gets its own database, database role and RabbitMQ vhost."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from deploy.stack import Stack, base_env
from services.kernel.config import DatabaseAddress, Settings
from tests.client import Client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def run_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Settings naming this run's own database, role and vhost; all removed afterwards."""
    run_id = f"sv_test_{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", run_id)
    rabbitmqctl("set_permissions", "-p", run_id, "guest", ".*", ".*", ".*")
    env = base_env(
        DATABASE_URL=f"postgresql://{run_id}_app:{run_id}_app@127.0.0.1:5432/{run_id}",
        DATABASE_ADMIN_URL=f"postgresql://postgres@127.0.0.1:5432/{run_id}",
        AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{run_id}",
        GATEWAY_PORT=str(free_port()),
        METRICS_BASE_PORT=str(random.randrange(20000, 32000, 100)),  # below ephemeral ports
        CLOCK="manual",
        BUS_DELIVERY_LIMIT="4",
        BUS_RETRY_BACKOFF_SECONDS="0.05",
        DEADLINE_SCAN_SECONDS="3600",
        READ_WAIT_SECONDS="10",
        JWT_SECRET=uuid.uuid4().hex,
        EVIDENCE_DIR=str(tmp_path_factory.mktemp("evidence")),
        LOG_LEVEL="INFO",
    )
    try:
        yield env
    finally:
        admin = DatabaseAddress.parse(env["DATABASE_ADMIN_URL"])
        with psycopg.connect(
            DatabaseAddress(admin.host, admin.port, "postgres", admin.user, "").conninfo(),
            autocommit=True,
        ) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(run_id))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(f"{run_id}_app")))
        rabbitmqctl("delete_vhost", run_id)


@pytest.fixture(scope="session")
def stack(run_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = Path(os.environ.get("TEST_LOG_DIR") or tmp_path_factory.mktemp("logs"))
    s = Stack(run_env, log_dir)
    s.prepare()
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def settings(stack: Stack) -> Settings:
    return stack.settings


@pytest.fixture(scope="session")
def admin_conninfo(settings: Settings) -> str:
    return DatabaseAddress.parse(settings.database_admin_url).conninfo()


@pytest.fixture(scope="session")
def app_conninfo(settings: Settings) -> str:
    return DatabaseAddress.parse(settings.database_url).conninfo()


@pytest.fixture(scope="session")
def supervisor(stack: Stack) -> Client:
    return Client(stack.gateway_url).login("supervisor", stack.settings.demo_password)


@pytest.fixture(scope="session")
def handler_factory(stack: Stack):
    def make(unit: str) -> Client:
        return Client(stack.gateway_url).login(f"handler-{unit}", stack.settings.demo_password)

    return make
