"""The composition root: builds the books, the conversation engine, the channels, the outbox and webhook
dispatchers and the scheduler from config. Nothing else reads config to build a part.

Nothing is built at import time; every process calls these once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import sha256
from secrets import token_bytes
from typing import Any

from sqlalchemy import Engine as DatabaseEngine

from bot import delivery, webhooks
from bot.api import ApiChannel
from bot.app.api import AppApi
from bot.app.channel import AppChannel, AppSettings
from bot.channels import Channel, InFlight, sweep_inboxes
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.channels.web import WebChannel, WebSettings
from bot.channels.wecom import WecomChannel
from bot.channels.wecom_settings import WecomSettings
from bot.delivery import Dispatcher, Pace, Sender, TelegramSender, pending_for_employee, telegram_pace, wecom_pace
from bot.documents import Printer, document_settings
from bot.engine.engine import LEASE, Engine
from bot.engine.flow import Command, Flow
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from bot.quiet_hours import QuietHours
from bot.reading import TIME_LIMIT, PictureReader
from bot.scheduler import Background, SchedulerRunner, SchedulerSettings
from bot.webhooks import WebhookDispatcher, running, webhook_policy
from core.config import Config, book_rules
from core.db import create_db_engine
from core.integration.webhooks import SETTLE
from core.models.base import utcnow
from core.uow import UnitOfWork


@dataclass(frozen=True)
class Books:
    """The database side of jxc, built once per process."""

    config: Config
    uow: UnitOfWork

    def close(self) -> None:
        self.uow.engine.dispose()


def build_books(config: Config) -> Books:
    """Engine and unit of work for the configured database."""
    engine = create_db_engine(
        config.database_url,
        echo=bool(config.get("database", "echo", False)),
        pool_size=int(config.get("database", "pool_size", 10)),
    )
    return books_on(config, engine)


def books_on(config: Config, engine: DatabaseEngine, *, clock: Callable[[], datetime] = utcnow) -> Books:
    """The unit of work on a database engine, carrying the [books] money places and rules to every transaction."""
    uow = UnitOfWork(engine, clock=clock, money_places=int(config.get("books", "money_places", 2)),
                     rules=book_rules(config))
    return Books(config=config, uow=uow)


@dataclass
class AppParts:
    """Everything the server runs: the books, the chat engine, the channels and their shared in-flight tasks."""

    config: Config
    books: Books
    engine: Engine
    in_flight: InFlight
    channels: list[Channel] = field(default_factory=list)
    shutdown_timeout: float = 30.0


def build_chat_engine(books: Books, flows: Sequence[Flow] | None = None,
                      commands: Sequence[Command] | None = None, printer: Printer | None = None) -> Engine:
    """The conversation engine with every flow (or the ones given, for tests and benchmarks)."""
    config = books.config
    texts = Texts(timezone=str(config.get("company", "timezone", "Asia/Shanghai")),
                  currency=str(config.get("books", "currency", "CNY")), undo_minutes=books.uow.rules.undo_minutes)
    if flows is None:
        flows = default_flows(bot_username=str(config.get("telegram", "bot_username", "") or ""),
                              public_url=str(config.get("server", "public_url", "http://127.0.0.1:8080")),
                              printer=printer or Printer(document_settings(config)))
    return Engine(books.uow, texts, list(flows),
                  list(commands) if commands is not None else list(COMMANDS),
                  default_language=str(config.get("company", "language", "zh_CN")), fallback_flow="stock",
                  notices=pending_for_employee,
                  lease=timedelta(seconds=float(config.get("server", "inbox_lease", LEASE.total_seconds()))),
                  reader=PictureReader(time_limit=float(config.get("reading", "time_limit", TIME_LIMIT))))


def build_app_parts(config: Config, *, flows: Sequence[Flow] | None = None,
                    commands: Sequence[Command] | None = None) -> AppParts:
    """Books, engine and every configured channel (Telegram when [telegram] token is set, WeCom when [wecom]
    corp_id is set)."""
    books = build_books(config)
    printer = Printer(document_settings(config))
    engine = build_chat_engine(books, flows, commands, printer)
    in_flight = InFlight()
    public_url = str(config.get("server", "public_url", "") or "").rstrip("/")
    channels: list[Channel] = [WebChannel(engine, WebSettings(public_url))]
    calls = AppApi(books.uow, engine.texts, engine.reader, printer)
    pages = AppChannel(books.uow, engine.texts, app_settings(config), calls.routes(), calls.pdf)
    channels.append(pages)
    telegram = config.section("telegram")
    if str(telegram.get("token", "") or ""):
        settings = TelegramSettings.from_section(telegram, public_url)
        channels.append(TelegramChannel(engine, settings, engine.commands, in_flight))
    wecom = config.section("wecom")
    if str(wecom.get("corp_id", "") or ""):
        wecom_channel = WecomChannel(engine, WecomSettings.from_section(wecom), in_flight)
        wecom_channel.sender.links = lambda user, path: page_link(public_url, path, pages.link_token("wecom", user))
        channels.append(wecom_channel)
    channels.append(ApiChannel(books.uow, engine.texts, float(config.get("api", "rate_per_minute", 600)),
                               webhook_policy(config), printer, engine.reader))
    return AppParts(config=config, books=books, engine=engine, in_flight=in_flight, channels=channels,
                    shutdown_timeout=float(config.get("server", "shutdown_timeout", 30)))


def app_settings(config: Config) -> AppSettings:
    """The Mini App's bot token and the page-session secret: [server] app_secret, else one derived from the bot's
    secrets (the same in every server process), else a new one per process (page sessions end on restart)."""
    token = str(config.get("telegram", "token", "") or "")
    given = str(config.get("server", "app_secret", "") or "")
    secrets = token + str(config.get("wecom", "secret", "") or "")
    secret = given.encode() if given else sha256(secrets.encode()).digest() if secrets else token_bytes(32)
    return AppSettings(bot_token=token, secret=secret)


def page_link(public_url: str, path: str, token: str) -> str:
    """The address of a page with a page session in it (`?k=`), for chats without a Mini App (WeCom)."""
    return f"{public_url}{path}{'&' if '?' in path else '?'}k={token}"


# ---- delivery and scheduled jobs ----------------------------------------------------------------------------------

def build_dispatcher(uow: UnitOfWork, texts: Texts, channels: Sequence[Any],
                     config: Config | None = None) -> Dispatcher:
    """The outbox dispatcher for the server's channels (by their `name`): Telegram wrapped in TelegramSender, paced by
    [delivery] telegram_per_second (30) and 1 a second per chat; WeCom as it is, 30 a minute per member; [delivery]
    batch, max_attempts, lease_seconds, quiet_hours and urgent_amount (bot.quiet_hours), replace_within_minutes."""

    def setting(key: str, default: Any) -> Any:
        return config.get("delivery", key, default) if config is not None else default

    senders: dict[str, Sender] = {}
    paces: dict[str, Pace] = {}
    for channel in channels:
        name = getattr(channel, "name", "")
        if name == "telegram":
            senders[name] = TelegramSender(channel)
            paces[name] = telegram_pace(float(setting("telegram_per_second", 30)))
        elif name == "wecom":  # bot.channels.wecom.WecomChannel is a Sender itself
            senders[name] = channel
            paces[name] = wecom_pace()
    quiet = QuietHours.parse(str(setting("quiet_hours", "") or ""),
                             str(config.get("company", "timezone", "Asia/Shanghai")) if config else "Asia/Shanghai",
                             str(setting("urgent_amount", "") or ""))
    within = timedelta(minutes=float(setting("replace_within_minutes", delivery.REPLACE_WITHIN.total_seconds() / 60)))
    return Dispatcher(uow, texts, senders, paces=paces, batch=int(setting("batch", 100)), quiet=quiet,
                      replace_within=within,
                      max_attempts=int(setting("max_attempts", delivery.MAX_ATTEMPTS)),
                      lease=timedelta(seconds=float(setting("lease_seconds", delivery.LEASE.total_seconds()))))


def build_webhooks(uow: UnitOfWork, config: Config | None = None) -> WebhookDispatcher:
    """The webhook dispatcher from [webhooks]: batch, timeout_seconds, max_attempts, lease_seconds, settle_seconds,
    keep_sent_days, and its policy (webhook_policy)."""

    def setting(key: str, default: Any) -> Any:
        return config.get("webhooks", key, default) if config is not None else default

    return WebhookDispatcher(
        uow, batch=int(setting("batch", 50)), timeout=float(setting("timeout_seconds", webhooks.TIMEOUT)),
        max_attempts=int(setting("max_attempts", webhooks.MAX_ATTEMPTS)),
        lease=timedelta(seconds=float(setting("lease_seconds", webhooks.LEASE.total_seconds()))),
        settle=timedelta(seconds=float(setting("settle_seconds", SETTLE.total_seconds()))),
        keep_sent=timedelta(days=float(setting("keep_sent_days", webhooks.KEEP_SENT.days))),
        policy=webhook_policy(config))


def webhooks_context(uow: UnitOfWork, config: Config) -> Callable[[Any], AsyncIterator[None]]:
    """For aiohttp's `app.cleanup_ctx`: webhooks delivered while the server runs ([webhooks] enabled, poll_seconds)."""

    async def context(_app: Any) -> AsyncIterator[None]:
        if not bool(config.get("webhooks", "enabled", True)):
            yield
            return
        async with running(build_webhooks(uow, config), float(config.get("webhooks", "poll_seconds", 2.0))):
            yield

    return context


def build_scheduler(config: Config, uow: UnitOfWork, sweep: Callable[[], Any] | None = None,
                    inbox_sweep: Callable[[], Any] | None = None) -> SchedulerRunner:
    """The job runner for the server from [scheduler]: `await runner.start()` on startup, `await runner.stop()` on
    shutdown."""
    return SchedulerRunner(uow, SchedulerSettings.from_config(config), config.database_url, sweep=sweep,
                           inbox_sweep=inbox_sweep)


def build_background(config: Config, uow: UnitOfWork, texts: Texts, channels: Sequence[Any],
                     engine: Engine | None = None) -> Background:
    """The dispatcher for the configured channels and the scheduler whose sweep job runs it (and the inbox sweep,
    which also drops the bytes kept for finished updates of `engine`)."""
    dispatcher = build_dispatcher(uow, texts, channels, config)
    return Background(dispatcher, build_scheduler(config, uow, sweep=lambda: dispatcher.drain(parallel=2),
                                                  inbox_sweep=lambda: sweep_inboxes(channels, engine)))
