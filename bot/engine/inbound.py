"""An inbound update, as every channel hands it to the engine."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.reading.text import Reading

LEGACY_CONTENT = "file_content_b64"  # where versions before inbound_file kept a file's bytes, in the row itself


@dataclass(frozen=True)
class Inbound:
    """Text, a button press, a file or a photo's codes from one account in one chat; `external_id` dedupes it.

    A file or photo still on the messenger's side has `file_ref` (Telegram's file_id): the channel downloads it
    when the update is handled. Bytes that came with the update itself (`file_content`) are kept in inbound_file
    until it is processed, never in the inbox row."""

    channel: str
    external_id: str
    chat_id: str
    user_id: str
    text: str | None = None
    button: str | None = None
    file_name: str | None = None
    file_content: bytes | None = field(default=None, repr=False)
    display_name: str = ""
    codes: tuple[str, ...] | None = None  # a photo: the codes read from it (none when unreadable)
    file_ref: str | None = None  # the messenger's id of the file or photo, to download when handled
    file_size: int | None = None  # its size as the messenger declared it
    reading: Reading | None = None  # a photo with no code: the text read on it (a delivery note, say)

    def to_json(self) -> dict[str, Any]:
        """The inbox row's payload: everything but the bytes."""
        return {"text": self.text, "button": self.button, "file_name": self.file_name,
                "display_name": self.display_name, "codes": None if self.codes is None else list(self.codes),
                "file_ref": self.file_ref, "file_size": self.file_size,
                **({"reading": self.reading.to_json()} if self.reading is not None else {})}

    @classmethod
    def from_row(cls, channel: str, external_id: str, chat_id: str, user_id: str, payload: dict[str, Any],
                 content: bytes | None = None) -> Inbound:
        """The update as recorded, with the bytes kept for it (or left in its row by an older version)."""
        codes = payload.get("codes")
        legacy = payload.get(LEGACY_CONTENT)
        if content is None and legacy:
            content = base64.b64decode(legacy)
        return cls(channel, external_id, chat_id, user_id, payload.get("text"), payload.get("button"),
                   payload.get("file_name"), content, payload.get("display_name", ""),
                   None if codes is None else tuple(str(c) for c in codes), payload.get("file_ref"),
                   payload.get("file_size"),
                   Reading.from_json(payload["reading"]) if isinstance(payload.get("reading"), dict) else None)


class PictureReading(Protocol):
    """What reads the text on a photo with no code (bot.reading.PictureReader), off the event loop."""

    async def read(self, content: bytes) -> Reading:
        """The text boxes on the picture, or why it was not read."""


@dataclass(frozen=True)
class Fetched:
    """What a channel downloaded for an update's `file_ref`: a document's bytes (None when it refused them: over
    its size cap) or a photo's codes; `failed` when the download did not succeed after its retries."""

    content: bytes | None = field(default=None, repr=False)
    codes: tuple[str, ...] | None = None
    failed: bool = False
    reading: Reading | None = None  # a photo with no code: its text


@dataclass(frozen=True)
class PendingFile:
    """The file of an unprocessed update that is still to be downloaded: who sent it and the messenger's id."""

    inbox_id: int
    user_id: str
    file_ref: str
    file_size: int | None
    photo: bool  # a photo (its codes are read) rather than a document (its bytes are handed to the flow)
