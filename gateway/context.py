"""What the views need: the settings, the services (RPC), the read model, the evidence store,
who is calling (users, sessions, tokens, the login), the idempotency keys, and a way to
answer a write only once reads show it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

from flask import g
from psycopg.conninfo import make_conninfo

from gateway.accounts import Accounts
from gateway.auth import Passwords, Principal, Sessions, SessionSource, Tokens, signing_secret
from gateway.evidence import EvidenceStore, evidence_store
from gateway.idempotency import IdempotencyKeys
from gateway.login import Login
from gateway.rpc import Services
from gateway.uploads import Uploads
from services.kernel import access, logs
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.errors import NotFound
from services.kernel.store import store_env
from services.reporting.queries import ReadModel

# Every statement of the gateway's own connections: a query or a lock that takes longer is
# cancelled, and the request answered 503, instead of holding a thread and a connection.
STATEMENT_TIMEOUT = "10s"
LOCK_TIMEOUT = "2s"


@dataclass(frozen=True)
class Context:
    settings: Settings
    conninfo: str  # the gateway's own tables (users, the login record) and the manual clock
    services: Services
    reads: ReadModel
    files: EvidenceStore
    uploads: Uploads
    keys: IdempotencyKeys
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
        conninfo = make_conninfo(
            DatabaseAddress.parse(settings.database_url).conninfo(),
            options=f"-c statement_timeout={STATEMENT_TIMEOUT} -c lock_timeout={LOCK_TIMEOUT}",
        )
        passwords = Passwords(settings.login_hash_concurrency)
        wait = settings.gateway_pool_wait_seconds
        return cls(
            settings=settings,
            conninfo=conninfo,
            services=Services(settings.amqp_uri),
            reads=ReadModel(conninfo, settings.read_wait_seconds, settings.gateway_pool_size, wait),
            files=evidence_store(settings.evidence_store, settings.evidence_dir),
            uploads=Uploads(conninfo, wait),
            keys=IdempotencyKeys(conninfo, wait),
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

    def seen_by(self) -> str | None:
        """The unit whose items alone the caller may see (a handler's); None: every item."""
        principal: Principal = g.principal
        return access.seen_by(principal.role, principal.unit)

    def visible_item(self, item_id: UUID) -> dict[str, Any]:
        """The item as the read model shows it, if the caller may see it; else 404, the same
        as for an item that does not exist, so an id tells another unit nothing."""
        item = self.reads.item(item_id, self.seen_by())
        if item is None:
            raise NotFound("事项", "item")
        return item

    def may_read_file(self, sha: str) -> bool:
        """A reader of every item reads every file; a handler one attached to an item its unit
        may see, or one it uploaded itself."""
        unit = self.seen_by()
        if unit is None:
            return True
        return self.reads.file_attached(sha, unit) or self.uploads.by(sha, g.principal.user)

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
