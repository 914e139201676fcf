"""The message last pushed to a chat on a topic ("low_stock", "approval:12"): a newer push on the topic replaces it
in place where the platform allows (Telegram's message id, WeCom's card response code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.models import SentMessage
from core.uow import Tx, UnitOfWork


def last_sent(uow: UnitOfWork, channel: str, chat_id: str, topic: str, since: datetime | None = None) -> str | None:
    """The platform's id of the message last pushed to this chat on `topic` (first sent at `since` or later when
    given), None when there is none."""
    statement = select(SentMessage.message_id).where(
        SentMessage.channel == channel, SentMessage.chat_id == chat_id, SentMessage.topic == topic)
    if since is not None:
        statement = statement.where(SentMessage.sent_at >= since)
    return uow.read(lambda tx: tx.session.scalar(statement))


def keep_sent(uow: UnitOfWork, employee_id: int, channel: str, chat_id: str, topic: str, message_id: str,
              at: datetime) -> None:
    """Remember the message sent anew on `topic` `at` that moment (by the sender's clock, which `last_sent`'s
    `since` is reckoned by), replacing the one kept before; one statement."""

    def work(tx: Tx) -> None:
        values = {"message_id": message_id[:200], "sent_at": at, "employee_id": employee_id}
        tx.session.execute(tx.insert(SentMessage).values(channel=channel, chat_id=chat_id, topic=topic[:80], **values)
                           .on_conflict_do_update(index_elements=["channel", "chat_id", "topic"], set_=values))

    uow.run(work)
