"""What an aggregate recorded and what a refused command said, as plain values, so a test can
pin every field: who, when, and each value the record keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from services.kernel.errors import Refused

# the library's own bookkeeping, the same for every event
BOOKKEEPING = ("originator_id", "originator_version", "originator_topic", "timestamp")


def recorded(aggregate: Aggregate) -> list[tuple[str, dict[str, Any]]]:
    """The events recorded since the last call, each as (type, every field)."""
    return [
        (type(e).__name__, {k: v for k, v in vars(e).items() if k not in BOOKKEEPING})
        for e in aggregate.collect_events()
    ]


def refusal(command: Callable[[], object]) -> tuple[str, str, str, int]:
    """What the refused command said: (code, Chinese message, English message, status)."""
    with pytest.raises(Refused) as refused:
        command()
    r = refused.value
    return (r.code, r.message_zh, r.message_en, r.status)
