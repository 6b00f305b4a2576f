"""Start one service process: green I/O first, then Nameko.

python -m services.kernel.launch services.intake.service:IntakeService
"""

from __future__ import annotations

import os
import sys

# psycopg's default C wait blocks the whole eventlet hub; the select-based wait is green
# once eventlet has patched `select`, so both must happen before psycopg is imported.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402

from nameko.cli.run import run  # noqa: E402

from services.kernel import logs  # noqa: E402
from services.kernel.config import Settings  # noqa: E402


def main() -> None:
    module_name, _, class_name = sys.argv[1].partition(":")
    service_cls = getattr(importlib.import_module(module_name), class_name)
    logs.configure(service_cls.name)
    settings = Settings.from_env()
    run([service_cls], {"AMQP_URI": settings.amqp_uri, "max_workers": 10})


if __name__ == "__main__":
    main()
