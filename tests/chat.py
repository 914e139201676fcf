"""Talking to the engine the way a channel does, keeping a transcript of what came back."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.engine.engine import Engine
from bot.engine.inbound import Inbound
from bot.engine.replies import Reply
from core.codes.scanning import read_codes

_ids = itertools.count(1)


@dataclass
class Chat:
    """One person in one chat: `send` text or `press` a button; each returns the reply texts (a reply's table in its
    text form under its text, as a text-only channel shows it)."""

    engine: Engine
    user_id: str = "1001"
    chat_id: str = "1001"
    channel: str = "test"
    replies: list[Reply] = field(default_factory=list)

    def send(self, text: str, external_id: str | None = None) -> list[str]:
        return self._deliver(Inbound(self.channel, external_id or f"m{next(_ids)}", self.chat_id, self.user_id,
                                     text=text))

    def photo(self, picture: bytes) -> list[str]:
        """Send a photo as the channels do: the codes read from it (none when nothing is readable)."""
        codes = tuple(code.text for code in read_codes(picture))
        return self._deliver(Inbound(self.channel, f"p{next(_ids)}", self.chat_id, self.user_id, codes=codes))

    def note(self, picture: bytes) -> list[str]:
        """Send a photo with no code as the channels do: with the text read on it (tests.notes caches readings)."""
        from tests.notes import read_picture
        return self._deliver(Inbound(self.channel, f"p{next(_ids)}", self.chat_id, self.user_id, codes=(),
                                     reading=read_picture(picture)))

    def press(self, data: str) -> list[str]:
        return self._deliver(Inbound(self.channel, f"b{next(_ids)}", self.chat_id, self.user_id, button=data))

    def button(self, label_part: str) -> str:
        """The data of the button in the last replies whose label contains `label_part`."""
        for reply in reversed(self.replies):
            for row in reply.buttons:
                for b in row:
                    if label_part in b.label:
                        return b.data
        raise AssertionError(f"no button like {label_part!r} in {[r.buttons for r in self.replies]}")

    def _deliver(self, inbound: Inbound) -> list[str]:
        inbox_id = self.engine.record(inbound)
        if inbox_id is None:
            return []
        self.replies = self.engine.process(inbox_id)
        return [r.plain for r in self.replies]
