"""An inbound update, as every channel hands it to the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Inbound:
    """Text, a button press, a file or a photo's codes from one account in one chat; `external_id` dedupes it."""

    channel: str
    external_id: str
    chat_id: str
    user_id: str
    text: str | None = None
    button: str | None = None
    file_name: str | None = None
    file_content_b64: str | None = None
    display_name: str = ""
    codes: tuple[str, ...] | None = None  # a photo: the codes read from it (none when unreadable)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "button": self.button, "file_name": self.file_name,
                "file_content_b64": self.file_content_b64, "display_name": self.display_name,
                "codes": None if self.codes is None else list(self.codes)}

    @classmethod
    def from_row(cls, channel: str, external_id: str, chat_id: str, user_id: str, payload: dict[str, Any]) -> Inbound:
        codes = payload.get("codes")
        return cls(channel, external_id, chat_id, user_id, payload.get("text"), payload.get("button"),
                   payload.get("file_name"), payload.get("file_content_b64"), payload.get("display_name", ""),
                   None if codes is None else tuple(str(c) for c in codes))
