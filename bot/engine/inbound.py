"""An inbound update, as every channel hands it to the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Inbound:
    """Text or a button press from one account in one chat; `external_id` identifies it for deduplication."""

    channel: str
    external_id: str
    chat_id: str
    user_id: str
    text: str | None = None
    button: str | None = None
    file_name: str | None = None
    file_content_b64: str | None = None
    display_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "button": self.button, "file_name": self.file_name,
                "file_content_b64": self.file_content_b64, "display_name": self.display_name}

    @classmethod
    def from_row(cls, channel: str, external_id: str, chat_id: str, user_id: str, payload: dict[str, Any]) -> Inbound:
        return cls(channel, external_id, chat_id, user_id, payload.get("text"), payload.get("button"),
                   payload.get("file_name"), payload.get("file_content_b64"), payload.get("display_name", ""))
