"""The kernel's contracts: what a stored event must say to be published."""

from __future__ import annotations

from services.kernel.contracts import ItemReceived


def test_an_item_received_stored_without_evidence_reads_as_none_attached():
    """Events stored before registration carried photos, or by code that passes none, say
    None; the relay must publish them, not stall on them."""
    contract = ItemReceived.model_validate(
        {"source": "hotline", "title": "噪声扰民", "content": "夜间施工", "evidence": None}
    )
    assert contract.evidence == []
