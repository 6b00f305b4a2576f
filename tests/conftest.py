"""Test fixtures: each run gets its own database, database role and RabbitMQ vhost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.run import seed_demo_leaders
from deploy.stack import Stack, isolated_env
from services.kernel.config import DatabaseAddress, Settings
from tests.client import Client


@pytest.fixture(scope="session")
def run_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """This run's own database, role and vhost; all removed afterwards."""
    with isolated_env(
        "sv_test",
        CLOCK="manual",
        BUS_DELIVERY_LIMIT="4",
        BUS_RETRY_BACKOFF_SECONDS="0.05",
        DEADLINE_SCAN_SECONDS="3600",
        READ_WAIT_SECONDS="10",
        EVIDENCE_DIR=str(tmp_path_factory.mktemp("evidence")),
        LOG_LEVEL="INFO",
        # tests name the client's address (X-Forwarded-For); the fuzzer's wrong logins must
        # not throttle the other tests' (tests/integration/test_identity.py sets a low limit)
        TRUSTED_PROXIES="127.0.0.1",
        LOGIN_ADDRESS_FAILURES="1000",
    ) as env:
        yield env


@pytest.fixture(scope="session")
def stack(run_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = Path(os.environ.get("TEST_LOG_DIR") or tmp_path_factory.mktemp("logs"))
    s = Stack(run_env, log_dir)
    s.prepare()
    try:
        s.start()
        seed_demo_leaders(s.gateway_url, s.settings.demo_password)
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
