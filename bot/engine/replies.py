"""What a flow says back: text, a table, buttons, an image or a file; every channel renders these its own way."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from bot.engine.tables import Table

CALLBACK_LIMIT = 64


@dataclass(frozen=True)
class Button:
    """A choice; `data` is a short id (at most 64 bytes in UTF-8: Telegram's limit), never a name. A button with a
    `link` (a page of this server, `/app/...`) opens that page instead: a Telegram Mini App, a link elsewhere."""

    label: str
    data: str
    link: str = ""

    def __post_init__(self) -> None:
        if len(self.data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"button data over {CALLBACK_LIMIT} bytes: {self.data!r}")


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class Reply:
    """One message: text (plain, channels escape it), an optional table under it, rows of buttons, and an optional
    image or file."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: Attachment | None = None
    file: Attachment | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    table: Table | None = None

    @property
    def plain(self) -> str:
        """The whole message as plain text: the text, then the table's columns aligned for a monospace font."""
        if self.table is None:
            return self.text
        return f"{self.text}\n\n{self.table.as_text()}" if self.text else self.table.as_text()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form, stored with the inbox row until delivered."""
        return {
            "text": self.text,
            "buttons": [[[b.label, b.data, b.link] if b.link else [b.label, b.data] for b in row]
                        for row in self.buttons],
            "image": _attachment_json(self.image),
            "file": _attachment_json(self.file),
            "extra": self.extra,
            **({"table": self.table.to_json()} if self.table is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """The reply back from its stored form."""
        return cls(
            text=data["text"],
            buttons=tuple(tuple(Button(*button) for button in row) for row in data["buttons"]),
            image=_attachment_of(data.get("image")),
            file=_attachment_of(data.get("file")),
            extra=data.get("extra") or {},
            table=Table.from_json(data["table"]) if data.get("table") else None,
        )


def buttons(*rows: list[tuple[str, str]]) -> tuple[tuple[Button, ...], ...]:
    """Rows of buttons from (label, data) pairs."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


def page_button(label: str, link: str) -> Button:
    """A button that opens a page of this server (`/app/sales`, `/app/receive?po=PO-...`)."""
    return Button(label, "", link)


def _attachment_json(attachment: Attachment | None) -> dict[str, str] | None:
    if attachment is None:
        return None
    return {"name": attachment.name, "mime": attachment.mime,
            "content": base64.b64encode(attachment.content).decode()}


def _attachment_of(data: dict[str, str] | None) -> Attachment | None:
    if not data:
        return None
    return Attachment(data["name"], base64.b64decode(data["content"]), data["mime"])
