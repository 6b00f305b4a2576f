"""The gateway's routes, grouped by area, each module declaring its own (`gateway/api.py`)."""

from __future__ import annotations

from gateway.api import Route
from gateway.routes import (
    admin,
    auth,
    campaigns,
    files,
    imports,
    items,
    ops,
    overview,
    reports,
    users,
)


def served(manual_clock: bool) -> list[Route]:
    """Every route the gateway serves; the test clock only where every clock is the manual one."""
    areas = [ops.routes, auth.routes, items.routes, files.routes, imports.routes]
    areas += [reports.routes, overview.routes, admin.routes, users.routes, campaigns.routes]
    if manual_clock:
        areas.append(ops.test_clock)
    return [route for area in areas for route in area]
