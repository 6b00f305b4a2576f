"""Assignment's tables behind small ports: PostgreSQL for the service, memory for fast tests."""

from __future__ import annotations

from typing import Any, Protocol


class UnitDirectory(Protocol):
    """The county's units (承办单位) an item can be assigned to."""

    def units(self) -> list[dict[str, str]]: ...

    def unknown(self, codes: list[str]) -> list[str]:
        """Those of `codes` that name no unit."""
        ...


class PostgresUnitDirectory:
    def __init__(self, recorder: Any) -> None:
        """`recorder`: the service's ChainedRecorder, whose connection pool this shares."""
        self._datastore = recorder.datastore

    def units(self) -> list[dict[str, str]]:
        with self._datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT code, name, kind FROM assignment.units ORDER BY kind DESC, code"
            ).fetchall()
        return [dict(r) for r in rows]

    def unknown(self, codes: list[str]) -> list[str]:
        with self._datastore.get_connection() as conn:
            known = {
                r["code"]
                for r in conn.execute(
                    "SELECT code FROM assignment.units WHERE code = ANY(%s)", (codes,)
                )
            }
        return [c for c in codes if c not in known]


class MemoryUnitDirectory:
    def __init__(self, units: list[dict[str, str]]) -> None:
        self._units = {u["code"]: u for u in units}

    def units(self) -> list[dict[str, str]]:
        by_code = sorted(self._units.values(), key=lambda u: u["code"])
        return sorted(by_code, key=lambda u: u["kind"], reverse=True)  # as the SQL orders them

    def unknown(self, codes: list[str]) -> list[str]:
        return [c for c in codes if c not in self._units]
