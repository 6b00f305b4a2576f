"""Refusals a person can understand: each names the reason in Chinese and English."""

from __future__ import annotations


class Refused(Exception):
    """A command was refused; nothing was changed.

    `status` is the HTTP status the gateway answers with (409 conflict with the item's state,
    422 a rule of the plan, 404 unknown, 403 not allowed for this actor).
    """

    def __init__(self, code: str, message_zh: str, message_en: str, status: int = 422) -> None:
        super().__init__(code, message_zh, message_en, status)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        # across RPC the arguments arrive as text (Nameko's serializer makes them safe so)
        self.status = int(status)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message_zh, "message_en": self.message_en}


class NotFound(Refused):
    def __init__(self, what_zh: str, what_en: str) -> None:
        super().__init__("not_found", f"{what_zh}不存在", f"{what_en} not found", 404)
        self.args = (what_zh, what_en)


class OutOfOrder(Exception):
    """A message arrived before an earlier one of the same stream; retry it later."""
