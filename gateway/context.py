"""What the views need: the settings, the services (RPC), the read model, the evidence store,
who is calling (users, sessions, tokens, the login), and a way to answer a write only once
reads show it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

from flask import g

from gateway.accounts import Accounts
from gateway.auth import Passwords, Principal, Sessions, SessionSource, Tokens, signing_secret
from gateway.evidence import EvidenceStore, evidence_store
from gateway.login import Login
from gateway.rpc import Services
from services.kernel import logs
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.store import store_env
from services.reporting.queries import ReadModel


@dataclass(frozen=True)
class Context:
    settings: Settings
    conninfo: str  # the gateway's own tables (users, the login record) and the manual clock
    services: Services
    reads: ReadModel
    files: EvidenceStore
    document: dict[str, Any]  # the OpenAPI document of the routes served
    tokens: Tokens
    sessions: SessionSource
    passwords: Passwords
    login: Login

    @classmethod
    def build(
        cls, settings: Settings, document: dict[str, Any], sessions: SessionSource | None = None
    ) -> Context:
        """Touches no server: connections are opened on first use, in the serving process.
        Refuses to build without a signing key (`gateway.auth.signing_secret`)."""
        secret = signing_secret(settings)
        conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
        passwords = Passwords(settings.login_hash_concurrency)
        return cls(
            settings=settings,
            conninfo=conninfo,
            services=Services(settings.amqp_uri),
            reads=ReadModel(conninfo, settings.read_wait_seconds),
            files=evidence_store(settings.evidence_store, settings.evidence_dir),
            document=document,
            tokens=Tokens(secret),
            sessions=sessions or Sessions(conninfo, settings.session_check_seconds),
            passwords=passwords,
            login=Login(
                conninfo,
                passwords,
                settings.trusted_proxies,
                settings.login_address_failures,
            ),
        )

    @cached_property
    def accounts(self) -> Accounts:
        """The gateway's event store; its pool connects when first made."""
        return Accounts(store_env(self.settings.database_url, "gateway", 2, cache_size=0))

    def actor(self) -> dict[str, Any]:
        """Who gives the command, as the services record it."""
        principal: Principal = g.principal
        return {**principal.actor(), "correlation_id": logs.correlation_id.get()}

    def changed(self, view: dict[str, Any], expect_deadline: bool = False) -> dict[str, Any]:
        """The item once the read model shows the service's answer `view` (read your writes);
        the service's own view if it does not catch up in time."""
        item = self.reads.wait_for(
            UUID(view["id"]), view["version"], expect_deadline=expect_deadline
        )
        return item or view
