"""How people reach jxc: chat accounts bound to employees, one-time codes, web sessions, the inbox, conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class ChatAccount(Base):
    """A messenger account (Telegram numeric user id, WeCom UserID, web) bound to one employee."""

    __tablename__ = "chat_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_user_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)


class AccessCode(Base):
    """A one-time secret (invite code or web sign-in token), stored only as its SHA-256 hash."""

    __tablename__ = "access_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser: the cookie is stored only as its hash, with the CSRF token for its forms."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboxMessage(Base):
    """Every inbound update, recorded once before it is processed; replies are kept until delivered."""

    __tablename__ = "inbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="received")
    replies: Mapped[list[Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure: Mapped[str | None] = mapped_column(String(120))  # the kind of error that ended it, when one did
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # owned by a live process until then

    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbox_message_status", "status", "id"),
        Index("ix_inbox_message_lease", "channel", "status", "lease_until"),
        Index("ix_inbox_message_chat", "channel", "chat_id", "id"),
    )


class InboundFile(Base):
    """The bytes of a file that came with an update (not in its inbox row), kept only until it is processed."""

    __tablename__ = "inbound_file"

    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_message.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Conversation(Base):
    """Where a chat stands in a flow: kept in the database so any process, after any restart, continues it."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    flow: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("channel", "chat_id"),)


class ChannelValue(Base):
    """A small value a channel shares between its processes (a messenger API access token, the numbered
    choices last offered to a person), with an optional expiry."""

    __tablename__ = "channel_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("channel", "key"),)
