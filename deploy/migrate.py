"""Every component's migrations, in the order they apply (the kernel's first: it creates the
services' role). `python -m deploy.migrate` applies what is pending."""

from __future__ import annotations

import argparse
import logging

from gateway import schema as gateway
from services.assignment import schema as assignment
from services.deadline import schema as deadline
from services.intake import schema as intake
from services.kernel import schema as kernel
from services.kernel.config import Settings
from services.kernel.migrations import migrate
from services.reporting import schema as reporting

MIGRATIONS = [
    *kernel.MIGRATIONS,
    *intake.MIGRATIONS,
    *assignment.MIGRATIONS,
    *deadline.MIGRATIONS,
    *reporting.MIGRATIONS,
    *gateway.MIGRATIONS,
]


def main() -> None:
    argparse.ArgumentParser(description="Apply the database migrations.").parse_args()
    logging.basicConfig(level=logging.INFO)
    applied = migrate(Settings.from_env(), MIGRATIONS)
    print("applied:", [str(m) for m in applied] or "nothing, already current")


if __name__ == "__main__":
    main()
