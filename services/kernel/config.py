"""The one configuration loader: every process reads its settings from the environment here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_admin_url: str
    amqp_uri: str
    gateway_port: int
    demo_password: str
    clock: str
    jwt_secret: str
    delivery_limit: int
    delivery_backstop: int
    inbox_max_length: int
    retry_backoff_seconds: float
    outage_backoff_max_seconds: float
    relay_interval_seconds: float
    deadline_scan_seconds: float
    read_wait_seconds: float
    metrics_port: int
    metrics_bind: str
    metrics_refresh_seconds: float
    evidence_dir: Path
    evidence_store: str
    session_check_seconds: float
    trusted_proxies: tuple[str, ...]
    login_address_failures: int
    login_hash_concurrency: int
    gateway_pool_size: int
    gateway_pool_wait_seconds: float

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            database_url=e.get(
                "DATABASE_URL",
                "postgresql://supervision_app:supervision_app@127.0.0.1:5432/supervision",
            ),
            database_admin_url=e.get(
                "DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/supervision"
            ),
            amqp_uri=e.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            gateway_port=int(e.get("GATEWAY_PORT", "8000")),
            demo_password=e.get("DEMO_PASSWORD", "demo"),
            clock=e.get("CLOCK", "system"),
            jwt_secret=e.get("JWT_SECRET", ""),
            delivery_limit=int(e.get("BUS_DELIVERY_LIMIT", "10")),
            delivery_backstop=int(e.get("BUS_DELIVERY_BACKSTOP", "1000")),
            inbox_max_length=int(e.get("BUS_INBOX_MAX_LENGTH", "100000")),
            retry_backoff_seconds=float(e.get("BUS_RETRY_BACKOFF_SECONDS", "0.1")),
            outage_backoff_max_seconds=float(e.get("BUS_OUTAGE_BACKOFF_MAX_SECONDS", "30")),
            relay_interval_seconds=float(e.get("RELAY_INTERVAL_SECONDS", "0.05")),
            deadline_scan_seconds=float(e.get("DEADLINE_SCAN_SECONDS", "5")),
            read_wait_seconds=float(e.get("READ_WAIT_SECONDS", "5")),
            metrics_port=int(e.get("METRICS_PORT", "0")),
            metrics_bind=e.get("METRICS_BIND", "127.0.0.1"),
            metrics_refresh_seconds=float(e.get("METRICS_REFRESH_SECONDS", "15")),
            evidence_dir=Path(e.get("EVIDENCE_DIR", "var/evidence")),
            evidence_store=e.get("EVIDENCE_STORE", "local"),
            session_check_seconds=float(e.get("SESSION_CHECK_SECONDS", "2")),
            trusted_proxies=tuple(
                p.strip() for p in e.get("TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            login_address_failures=int(e.get("LOGIN_ADDRESS_FAILURES", "30")),
            login_hash_concurrency=int(e.get("LOGIN_HASH_CONCURRENCY", "2")),
            gateway_pool_size=int(e.get("GATEWAY_POOL_SIZE", "16")),
            gateway_pool_wait_seconds=float(e.get("GATEWAY_POOL_WAIT_SECONDS", "5")),
        )

    @property
    def manual_clock(self) -> bool:
        return self.clock == "manual"


@dataclass(frozen=True)
class DatabaseAddress:
    host: str
    port: int
    dbname: str
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> DatabaseAddress:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            dbname=parts.path.lstrip("/") or "postgres",
            user=parts.username or "postgres",
            password=parts.password or "",
        )

    def conninfo(self) -> str:
        return (
            f"host={self.host} port={self.port} dbname={self.dbname} "
            f"user={self.user} password={self.password}"
        )
