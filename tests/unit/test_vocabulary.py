"""One status vocabulary: every status the item can reach is in the kernel's list with its
label, the item itself follows the kernel's STATUS_AFTER, and the API documents them all."""

from __future__ import annotations

from gateway.openapi import openapi_document
from gateway.routes import served
from services.kernel.vocabulary import STATUS_AFTER, STATUS_LABELS, STATUSES


def test_every_status_an_event_leads_to_is_in_the_vocabulary_with_its_label():
    assert set(STATUS_AFTER.values()) == set(STATUSES)
    assert set(STATUS_LABELS) == set(STATUSES)


def test_the_api_documents_every_status_in_its_item_and_its_list_filter():
    document = openapi_document(served(manual_clock=False))
    item_status = document["components"]["schemas"]["Item"]["properties"]["status"]
    documented = next(a["enum"] for a in item_status["anyOf"] if "enum" in a)
    assert documented == list(STATUSES)
    (status_filter,) = [
        p for p in document["paths"]["/api/v1/items"]["get"]["parameters"] if p["name"] == "status"
    ]
    assert status_filter["schema"]["enum"] == list(STATUSES)
