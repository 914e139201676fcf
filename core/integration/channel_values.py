"""Small values a channel shares between its processes (an API access token, the choices last offered to a
person, a card waiting for its decision), each with an optional expiry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select

from core.models import ChannelValue
from core.uow import Tx, UnitOfWork


def channel_value(uow: UnitOfWork, channel: str, key: str) -> str | None:
    """The value kept under `key`, None when there is none or it has expired."""

    def work(tx: Tx) -> str | None:
        row = tx.session.execute(select(ChannelValue.value, ChannelValue.expires_at).where(
            ChannelValue.channel == channel, ChannelValue.key == key)).one_or_none()
        if row is None or (row.expires_at is not None and row.expires_at <= tx.now):
            return None
        return str(row.value)

    return uow.read(work)


def channel_values(uow: UnitOfWork, channel: str, prefix: str) -> list[str]:
    """The values not yet expired whose key starts with `prefix`."""
    return uow.read(lambda tx: list(tx.session.scalars(select(ChannelValue.value).where(
        ChannelValue.channel == channel, ChannelValue.key.startswith(prefix, autoescape=True),
        or_(ChannelValue.expires_at.is_(None), ChannelValue.expires_at > tx.now)))))


def keep_channel_value(uow: UnitOfWork, channel: str, key: str, value: str, ttl: timedelta | None) -> None:
    """Insert or replace one value, kept for `ttl` (for ever with None); one statement, so concurrent writers
    do not collide."""

    def work(tx: Tx) -> None:
        expires_at = None if ttl is None else tx.now + ttl
        tx.session.execute(tx.insert(ChannelValue).values(
            channel=channel, key=key, value=value, expires_at=expires_at,
        ).on_conflict_do_update(index_elements=["channel", "key"], set_={"value": value, "expires_at": expires_at}))

    uow.run(work)


def forget_channel_value(uow: UnitOfWork, channel: str, key: str) -> None:
    """Drop the value kept under `key`, if any."""
    uow.run(lambda tx: tx.session.execute(delete(ChannelValue).where(
        ChannelValue.channel == channel, ChannelValue.key == key)))
