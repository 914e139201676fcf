"""Delivering webhooks: tail the books into the integrators' outbox, claim due deliveries, POST them signed.

A delivery goes through core.integration.queue, driven by bot.pump: pending -> (claim, one transaction) leased to a
claim token -> POST -> (mark, a second transaction) sent after a 2xx | pending again with backoff (429 honours
Retry-After; 408, 5xx, timeouts and connection errors back off exponentially) | dead after `max_attempts` or an
answer that will not change (3xx, other 4xx), with one alert to the admins. Nothing is marked sent before the 2xx,
so a process that dies mid-POST leaves the row to be sent again when its lease runs out: receivers dedupe on
X-Jxc-Delivery.

Signature: X-Jxc-Signature = "sha256=" + hex(HMAC-SHA256(secret, X-Jxc-Timestamp + "." + body)).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import ResolveResult

from bot.pump import Failed, Pump, Turn, utcnow
from core.config import Config, ConfigError
from core.errors import DomainError
from core.integration.queue import MAX_BACKOFF, WEBHOOK_QUEUE, Alert, backoff
from core.integration.webhook_policy import DEFAULT_POLICY, SecretUnreadable, WebhookPolicy, is_address
from core.integration.webhooks import EVENTS, SETTLE, dead_alert, has_endpoints, purge_sent, tail
from core.models import WebhookDelivery, WebhookEndpoint
from core.people.employees import SYSTEM_NAME
from core.uow import Tx, UnitOfWork

MAX_ATTEMPTS = 16  # with backoff from 2 s doubling to an hour: about six hours of trying
LEASE = timedelta(seconds=60)
TIMEOUT = 10.0
RETRIED_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "jxc-webhooks/1"
KEEP_SENT = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    """A delivery claimed for sending, with where it goes and its secret as stored (sealed by the policy)."""

    id: int
    endpoint: str
    url: str
    secret: str
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


# ---- the policy ---------------------------------------------------------------------------------------------------

def webhook_policy(config: Config | None) -> WebhookPolicy:
    """[webhooks] secret_key (a Fernet key, also JXC_WEBHOOKS_SECRET_KEY; empty: secrets are stored plain) and
    allow_private_networks (false: no loopback, link-local or private receivers)."""
    if config is None:
        return DEFAULT_POLICY
    allow = config.get("webhooks", "allow_private_networks", False)
    if isinstance(allow, str):
        allow = allow.strip().lower() in ("1", "true", "yes")
    try:
        return WebhookPolicy(str(config.get("webhooks", "secret_key", "") or ""), bool(allow))
    except ValueError as error:
        raise ConfigError("[webhooks] secret_key must be a Fernet key (32 url-safe base64 bytes); "
                          "`jxc webhook new-key` prints one") from error


# ---- signing --------------------------------------------------------------------------------------------------------

def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Jxc-Signature value for a body sent at `timestamp` (Unix seconds, as sent)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode("utf-8", "replace"))


def body_of(due: Due) -> bytes:
    """The JSON sent: the delivery id, the event, when it happened and its data."""
    return json.dumps({"id": due.id, "event": due.event_type, "created_at": due.created_at.isoformat(),
                       "data": due.payload}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), at most an hour; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_BACKOFF.total_seconds())


# ---- the database side ----------------------------------------------------------------------------------------------

def claim(uow: UnitOfWork, token: str, now: datetime, *, limit: int = 50, lease: timedelta = LEASE) -> list[Due]:
    """Take up to `limit` due deliveries of active endpoints, oldest first, skipping rows another process holds;
    each is leased to `token` until now + lease (core.integration.queue)."""

    def work(tx: Tx) -> list[Due]:
        due = (WEBHOOK_QUEUE.due(now, limit, WebhookDelivery.created_at, WebhookEndpoint.name, WebhookEndpoint.url,
                                 WebhookEndpoint.secret)
               .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id).where(WebhookEndpoint.active))
        return [Due(r.id, r.name, r.url, r.secret, r.event_type, r.payload, r.created_at, r.attempts)
                for r in WEBHOOK_QUEUE.take(tx, due, token, now, lease)]

    return uow.run(work)


class PublicResolver(aiohttp.ThreadedResolver):
    """Resolves as usual, then refuses addresses the policy forbids: a name cannot turn private between the
    dispatcher's check and the connection (DNS rebinding)."""

    def __init__(self, policy: WebhookPolicy) -> None:
        super().__init__()
        self.policy = policy

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await super().resolve(host, port, family)
        refused = self.policy.refused_addresses(r["host"] for r in found)
        if refused:
            raise OSError(f"{host} resolves to {', '.join(refused)}, not a public address")
        return found


# ---- the dispatcher -----------------------------------------------------------------------------------------------

class WebhookDispatcher(Pump[Due]):
    """Tails the books into the webhook outbox and POSTs what is due; several may run at once (rows are claimed)."""

    name = "webhooks"

    def __init__(self, uow: UnitOfWork, *, batch: int = 50, lease: timedelta = LEASE, timeout: float = TIMEOUT,
                 max_attempts: int = MAX_ATTEMPTS, concurrency: int = 16, settle: timedelta = SETTLE,
                 clock: Callable[[], datetime] = utcnow, keep_sent: timedelta = KEEP_SENT, mark_every: float = 0.02,
                 backoff_of: Callable[[int], timedelta] = backoff, policy: WebhookPolicy = DEFAULT_POLICY) -> None:
        super().__init__(uow, WEBHOOK_QUEUE, batch=batch, lease=lease, send_timeout=timeout,
                         max_attempts=max_attempts, concurrency=concurrency, clock=clock, mark_every=mark_every,
                         backoff_of=backoff_of)
        self.settle = settle
        self.keep_sent = keep_sent
        self.policy = policy
        self._purged_at: datetime | None = None
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def run(self, stop: asyncio.Event, idle: float = 2.0, parallel: int = 1) -> None:
        """Deliver until `stop` is set, looking again every `idle` seconds when nothing is due."""
        await super().run(stop, idle, parallel)

    async def prepare(self) -> bool:
        """Nothing to do without an active endpoint; else tail the books into the outbox first."""
        if not await asyncio.to_thread(has_endpoints, self.uow):
            return False
        self.stats.enqueued += await asyncio.to_thread(tail, self.uow, self.clock(), settle=self.settle)
        return True

    async def tidy(self) -> None:
        """Purge old sent deliveries (at most once every PURGE_EVERY)."""
        await self.purge()

    async def purge(self) -> int:
        """Forget sent deliveries older than `keep_sent`, at most once every PURGE_EVERY; returns rows deleted."""
        now = self.clock()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return 0
        self._purged_at = now
        return await asyncio.to_thread(purge_sent, self.uow, now - self.keep_sent)

    def take_batch(self, token: str, now: datetime) -> list[Due]:
        """Due deliveries of active endpoints."""
        return claim(self.uow, token, now, limit=self.batch, lease=self.lease)

    async def send(self, item: Due, turn: Turn) -> None:
        """POST once, signed, to a host that resolves to public addresses only (unless the policy allows private
        networks); a 2xx is sent, anything else raises Failed (permanent for 3xx, most 4xx and private hosts)."""
        body = body_of(item)
        try:
            secret = self.policy.unseal(item.secret)
        except SecretUnreadable as error:
            raise Failed(str(error)) from error
        await self._check_address(item.url)
        async with turn:
            if self._http is None:
                self._http = aiohttp.ClientSession(
                    headers={"User-Agent": USER_AGENT},
                    connector=aiohttp.TCPConnector(resolver=PublicResolver(self.policy)))
            timestamp = str(int(self.clock().timestamp()))
            headers = {"Content-Type": "application/json", "X-Jxc-Event": item.event_type,
                       "X-Jxc-Delivery": str(item.id), "X-Jxc-Timestamp": timestamp,
                       "X-Jxc-Signature": sign(secret, timestamp, body)}
            try:
                async with self._http.post(item.url, data=body, headers=headers, allow_redirects=False,
                                           timeout=aiohttp.ClientTimeout(total=self.send_timeout)) as response:
                    status = response.status
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"), self.clock())
                    await response.read()
            except TimeoutError as error:
                raise Failed(f"timed out after {self.send_timeout:g} s") from error
            except aiohttp.ClientError as error:
                raise Failed(f"{type(error).__name__}: {error}") from error
        if 200 <= status < 300:
            return
        if status >= 500 or status in RETRIED_STATUSES:
            raise Failed(f"HTTP {status}", retry_after=retry_after if status in (429, 503) else None)
        raise Failed(f"HTTP {status}", permanent=True)

    async def _check_address(self, url: str) -> None:
        """Resolve the URL's host and refuse (permanently) one with an address the policy forbids."""
        if self.policy.allow_private_networks:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            self.policy.check_host(host)
            if is_address(host):
                return
            found = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError as error:
            raise Failed(f"cannot resolve {host}: {error}") from error
        except DomainError as error:
            raise Failed(f"refused: {host} is a private address ([webhooks] allow_private_networks)",
                         permanent=True) from error
        refused = self.policy.refused_addresses(str(info[4][0]) for info in found)
        if refused:
            raise Failed(f"refused: {host} resolves to {', '.join(sorted(set(refused)))}, not a public address "
                         "([webhooks] allow_private_networks)", permanent=True)

    def alert(self, item: Due, error: str) -> Alert:
        """One 'webhook_dead' note to each admin."""
        return Alert("webhook_dead", dead_alert(item.endpoint, item.id, item.event_type, item.attempts, error))

    def label(self, item: Due) -> str:
        """"delivery 12 to online-shop"."""
        return f"delivery {item.id} to {item.endpoint}"


@contextlib.asynccontextmanager
async def running(dispatcher: WebhookDispatcher, idle: float) -> AsyncIterator[WebhookDispatcher]:
    """The dispatcher running in the background while the block runs; stopped and closed after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, idle), name="webhooks")
    try:
        yield dispatcher
    finally:
        stop.set()
        await task
        await dispatcher.close()


# ---- the command line: jxc webhook add|list|remove ---------------------------------------------------------------

def cmd_webhook(books: Any, args: argparse.Namespace) -> int:
    """Webhook endpoints: add (the signing secret is printed once), list, remove, replay dead deliveries, seal
    plain secrets under the configured key, and new-key."""
    from cryptography.fernet import Fernet

    from core.integration.webhooks import add_endpoint, list_endpoints, remove_endpoint, replay_dead, seal_secrets
    from core.people.employees import load_actor

    if args.action == "new-key":
        print(Fernet.generate_key().decode())
        print("put it in [webhooks] secret_key (or JXC_WEBHOOKS_SECRET_KEY), then run `jxc webhook seal`",
              file=sys.stderr)
        return 0
    policy = webhook_policy(books.config)
    actor = load_actor(books.uow, args.actor)
    if args.action == "add":
        issued = add_endpoint(books.uow, actor, args.name, args.url, args.events.split(","), policy)
        print(issued.secret)
        print(f"webhook {issued.name!r} -> {issued.url} for {', '.join(issued.events)}: the secret above is shown "
              "once, store it now", file=sys.stderr)
        if not policy.encrypts:
            print("warning: no [webhooks] secret_key, so the secret is stored unencrypted (see `jxc webhook "
                  "new-key`)", file=sys.stderr)
    elif args.action == "list":
        for hook in list_endpoints(books.uow, actor):
            state = "active" if hook.active else "inactive"
            print(f"{hook.name}  {hook.url}  {','.join(hook.events)}  {state}  waiting {hook.pending}"
                  f"  dead {hook.dead}")
    elif args.action == "replay":
        count = replay_dead(books.uow, actor, args.name, args.id or ())
        print(f"{count} dead deliver{'y' if count == 1 else 'ies'} to {args.name!r} will be sent again")
    elif args.action == "seal":
        print(f"{seal_secrets(books.uow, actor, policy)} webhook secret(s) encrypted with [webhooks] secret_key")
    else:
        print(f"webhook {remove_endpoint(books.uow, actor, args.name)!r} removed")
    return 0


def add_webhook_command(sub: Any) -> None:
    """`jxc webhook add NAME URL --events a,b | list | remove NAME | replay NAME [--id N] | seal | new-key`."""
    hook = sub.add_parser("webhook", help="outbound webhooks for integrators").add_subparsers(
        dest="action", required=True)
    add = hook.add_parser("add", help="a new endpoint (its signing secret is printed once)")
    add.add_argument("name", help="integration name, e.g. online-shop")
    add.add_argument("url", help="http:// or https:// URL that receives the POSTs")
    add.add_argument("--events", required=True, help=f"comma-separated: {','.join(EVENTS)}")
    hook.add_parser("list", help="every endpoint with its waiting and dead deliveries, without secrets")
    remove = hook.add_parser("remove", help="delete an endpoint and its waiting deliveries")
    remove.add_argument("name")
    replay = hook.add_parser("replay", help="send an endpoint's given-up (dead) deliveries again")
    replay.add_argument("name")
    replay.add_argument("--id", type=int, action="append", help="only this delivery (may be repeated)")
    hook.add_parser("seal", help="encrypt the secrets stored plain with [webhooks] secret_key")
    hook.add_parser("new-key", help="print a new key for [webhooks] secret_key")
    for command in hook.choices.values():
        command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
        command.set_defaults(run=cmd_webhook)


__all__ = ["Due", "WebhookDispatcher", "add_webhook_command", "body_of", "claim", "retry_after_seconds", "running",
           "sign", "verify"]
