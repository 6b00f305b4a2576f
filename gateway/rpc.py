"""RPC to the services: one Nameko standalone proxy per gateway thread."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from nameko.standalone.rpc import ClusterRpcProxy

import services.kernel.shell  # noqa: F401 - registers refusals so they cross RPC as themselves
from services.kernel import logs

RPC_TIMEOUT_SECONDS = 15


class Services:
    def __init__(self, amqp_uri: str) -> None:
        self._config = {"AMQP_URI": amqp_uri}
        self._local = threading.local()

    def _proxy(self) -> Any:
        proxy = getattr(self._local, "proxy", None)
        if proxy is None:
            self._local.runner = ClusterRpcProxy(self._config, timeout=RPC_TIMEOUT_SECONDS)
            proxy = self._local.proxy = self._local.runner.start()
        return proxy

    def call(self, service: str, method: str, *args: Any) -> Any:
        proxy = self._proxy()
        # travels as a message header; the service's logs and events carry it on
        self._local.runner._worker_ctx.data["correlation_id"] = logs.correlation_id.get()
        try:
            return getattr(getattr(proxy, service), method)(*args)
        except (ConnectionError, OSError):
            self.reset()
            raise

    def reset(self) -> None:
        runner = getattr(self._local, "runner", None)
        self._local.proxy = None
        self._local.runner = None
        if runner is not None:
            with contextlib.suppress(Exception):
                runner.stop()
