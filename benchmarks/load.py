"""Load: CLIENTS concurrent clients for SECONDS against real `jxc serve` processes — one on SQLite, two on one
PostgreSQL database (clients alternate between them) — against the same requests sent one at a time in the same
run, before the crowd arrives.

Five kinds of request, the clients dealt out among them round-robin, each client closed-loop (its next request
leaves when the previous one was answered):
- telegram_read / telegram_write: `库存 SKU` / `/out MAIN SKU 1` posted to the webhook as Telegram would; the
  time runs until the reply reaches the fake Bot API (tests.e2e.fake_telegram) that the servers send to. Each
  client is its own chat. Telegram's pacing is off in the servers' config (the fake has no limits), so what is
  measured is the server, not Telegram's 1 message a second per chat.
- web_chat: `库存 SKU` posted by a signed-in browser to /chat/send; the replies come back in the answer.
- rest_read: GET /api/v1/stock?sku=... with a bearer token.
- rest_write: POST /api/v1/sales-orders (two lines, submitted and stock reserved) with an Idempotency-Key.

Per kind: throughput, p50, p99, max and errors (a status other than expected, a reply that never came, a timeout),
and p99/p50 (goal: at most 3) and zero errors; afterwards the books must pass `check_ledger`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.common import Backend, Database, add_products, database
from core.ledger.check import check_ledger
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite, create_login_link, redeem_invite
from core.people.tokens import create_token
from core.stock.moves import LineIn, receive_stock
from tests.e2e.fake_telegram import SENDING, Call, FakeTelegram, message_update
from tests.e2e.served import Served as Server
from tests.e2e.served import free_port, start_served
from tests.e2e.served import stop_served as stop_server

CLIENTS = 50
SECONDS = 60.0
KINDS = ("telegram_read", "telegram_write", "web_chat", "rest_read", "rest_write")
PRODUCTS = 40
SECRET = "load-secret"
TIMEOUT = 60.0
GOAL_TAIL = 3.0
FIRST_CHAT = 20_000


@dataclass
class Stats:
    """What one kind of request took: each answered request's seconds, how many failed, over how long."""

    kind: str
    seconds: float = 0.0
    times: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return len(self.times) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Milliseconds at `share` (nearest rank) of the answered requests; 0 when none was."""
        if not self.times:
            return 0.0
        ordered = sorted(self.times)
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def max(self) -> float:
        return 1000 * max(self.times, default=0.0)

    @property
    def tail(self) -> float:
        """p99 / p50."""
        return self.p99 / self.p50 if self.p50 else 0.0

    def failed(self, why: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or why


@dataclass(frozen=True)
class Result:
    backend: str
    processes: int
    clients: int
    seconds: float
    alone: dict[str, Stats]
    crowd: dict[str, Stats]
    ledger_problems: int
    server_errors: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.crowd.values()) + sum(s.errors for s in self.alone.values())

    @property
    def worst_tail(self) -> float:
        return max(s.tail for s in self.crowd.values())


class Replies(FakeTelegram):
    """The fake Bot API, also telling each waiting chat when a message reached it (without scanning the
    transcript, which grows by thousands of calls in a run)."""

    waiting: dict[str, asyncio.Future[float]]

    async def _record(self, call: Call) -> None:
        await super()._record(call)
        if call.method in SENDING:
            future = self.waiting.pop(call.chat_id, None)
            if future is not None and not future.done():
                future.set_result(call.at)

    def expect(self, chat_id: str) -> asyncio.Future[float]:
        """A future set to the monotonic time of the next message sent to `chat_id`."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future


@dataclass
class Shop:
    """What the clients act with: SKUs, the REST token, browser sessions, Telegram chats."""

    skus: list[str]
    token: str
    browsers: list[tuple[str, str]] = field(default_factory=list)  # (cookie, csrf) per browser client
    chats: int = 0


def server_config(directory: Path, name: str, db_url: str, port: int, fake: FakeTelegram, pool_size: int) -> Path:
    """A `jxc serve` config: the fake Bot API without pacing, the API without a rate limit, the scheduler on."""
    path = directory / f"{name}.toml"
    path.write_text(f"""
[database]
url = {json.dumps(db_url)}
pool_size = {pool_size}

[company]
timezone = "Asia/Shanghai"

[server]
host = "127.0.0.1"
port = {port}
public_url = "https://jxc.example.com"
shutdown_timeout = 10

[api]
rate_per_minute = 0

[telegram]
token = {json.dumps(fake.token)}
mode = "webhook"
webhook_secret = {json.dumps(SECRET)}
api_base_url = {json.dumps(fake.api_base_url)}
api_file_url = {json.dumps(fake.api_file_url)}
chat_per_second = 0
overall_per_second = 0
group_per_minute = 0

[scheduler]
enabled = true
backup_dir = {json.dumps(str(directory / name))}
""", encoding="utf-8")
    return path


async def start_server(directory: Path, name: str, db_url: str, fake: FakeTelegram, pool_size: int) -> Server:
    """`python -m bot.cli serve` with its own config, once it answers /healthz."""
    port = free_port()
    config = server_config(directory, name, db_url, port, fake, pool_size)
    return await start_served(name, config, port, directory / f"{name}.log", directory)


def server_errors(servers: Sequence[Server]) -> tuple[str, ...]:
    """The ERROR lines and the last lines of tracebacks the servers logged."""
    wrong = re.compile(r"^(ERROR|CRITICAL) |^\w+(\.\w+)*(Error|Exception): ")
    return tuple(line for server in servers for line in server.log.read_text(errors="replace").splitlines()
                 if wrong.match(line))


def prepare(db: Database, clients: int) -> tuple[list[str], str, int]:
    """Products with plenty of stock, a customer for the API's orders, a sales token, Telegram chats bound to
    managers; returns the SKUs, the token's secret and how many chats."""
    skus = add_products(db, "LOAD", PRODUCTS)
    receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, "10000000", "1") for s in skus])
    token = create_token(db.uow, db.admin, "load-shop", "sales").secret
    create_customer(db.uow, db.admin, NewCustomer("WEB", "Online shop", salesperson="api:load-shop"))
    chats = clients + 1
    for n in range(chats):
        code = create_invite(db.uow, db.admin, f"tg-{n}", roles=("manager",)).code
        redeem_invite(db.uow, "telegram", str(FIRST_CHAT + n), str(FIRST_CHAT + n), code)
    return skus, token, chats


async def sign_in(http: aiohttp.ClientSession, server: Server, db: Database, name: str) -> tuple[str, str]:
    """A browser session for a new employee `name`: its cookie and CSRF token."""
    create_invite(db.uow, db.admin, name, roles=("sales",))
    code = create_login_link(db.uow, db.admin, name).code
    async with http.get(f"{server.url}/chat/login?token={code}", allow_redirects=False) as response:
        assert response.status == 303, response.status
        cookie = response.cookies["jxc_session"].value
    async with http.get(f"{server.url}/chat", headers={"Cookie": f"jxc_session={cookie}"}) as page:
        found = re.search(r'<meta name="csrf-token" content="([^"]+)">', await page.text())
        assert page.status == 200 and found is not None
    return cookie, found[1]


Request = Callable[[], Awaitable[str | None]]  # None when answered as expected, else what went wrong


class Client:
    """One client of one kind, pointed at one server: `request()` sends its next request and waits for the answer."""

    def __init__(self, kind: str, n: int, server: Server, http: aiohttp.ClientSession, fake: Replies, shop: Shop,
                 update_ids: itertools.count[int], browser: tuple[str, str] | None, chat: int) -> None:
        self.kind, self.n, self.server, self.http, self.fake, self.shop = kind, n, server, http, fake, shop
        self.update_ids, self.browser, self.chat = update_ids, browser, chat
        self.sent = 0
        self.request: Request = getattr(self, kind)

    def sku(self) -> str:
        self.sent += 1
        return self.shop.skus[(self.n * 7 + self.sent) % len(self.shop.skus)]

    async def _telegram(self, text: str) -> str | None:
        chat = str(self.chat)
        arrived = self.fake.expect(chat)
        update = message_update(next(self.update_ids), self.chat, text)
        async with self.http.post(f"{self.server.url}/telegram/webhook", json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            if response.status != 200:
                return f"webhook {response.status}"
        await asyncio.wait_for(arrived, TIMEOUT)
        return None

    async def telegram_read(self) -> str | None:
        return await self._telegram(f"库存 {self.sku()}")

    async def telegram_write(self) -> str | None:
        return await self._telegram(f"/out MAIN {self.sku()} 1")

    async def web_chat(self) -> str | None:
        assert self.browser is not None
        cookie, csrf = self.browser
        body = {"id": str(uuid.uuid4()), "text": f"库存 {self.sku()}"}
        async with self.http.post(f"{self.server.url}/chat/send", json=body,
                                  headers={"Cookie": f"jxc_session={cookie}", "X-CSRF-Token": csrf}) as response:
            answer = await response.json()
            if response.status != 200 or not answer.get("replies"):
                return f"chat {response.status} {str(answer)[:200]}"
        return None

    async def rest_read(self) -> str | None:
        async with self.http.get(f"{self.server.url}/api/v1/stock", params={"sku": self.sku()},
                                 headers={"Authorization": f"Bearer {self.shop.token}"}) as response:
            answer = await response.json()
            if response.status != 200 or not answer.get("items"):
                return f"stock {response.status} {str(answer)[:200]}"
        return None

    async def rest_write(self) -> str | None:
        body = {"customer": "WEB", "warehouse": "MAIN",
                "lines": [{"sku": self.sku(), "qty": "1"}, {"sku": self.sku(), "qty": "2"}]}
        headers = {"Authorization": f"Bearer {self.shop.token}", "Idempotency-Key": str(uuid.uuid4())}
        async with self.http.post(f"{self.server.url}/api/v1/sales-orders", json=body, headers=headers) as response:
            text = await response.text()
            if response.status != 201:
                return f"sales order {response.status} {text[:200]}"
        return None


async def timed(client: Client, stats: Stats) -> None:
    """One request, its time or its failure added to `stats`."""
    start = time.perf_counter()
    try:
        problem = await asyncio.wait_for(client.request(), TIMEOUT)
    except (TimeoutError, aiohttp.ClientError, AssertionError, ValueError) as error:
        problem = f"{type(error).__name__}: {error}"
    if problem is None:
        stats.times.append(time.perf_counter() - start)
    else:
        stats.failed(problem)


async def alone(clients: Sequence[Client], seconds: float) -> dict[str, Stats]:
    """One request at a time, cycling through the kinds (and the servers), for `seconds` and whole cycles: every
    kind is sent at least once however slow the machine is."""
    stats = {kind: Stats(kind) for kind in KINDS}
    deadline = time.perf_counter() + seconds
    while True:
        for client in clients:
            start = time.perf_counter()
            await timed(client, stats[client.kind])
            stats[client.kind].seconds += time.perf_counter() - start
        if time.perf_counter() >= deadline:
            return stats


async def crowd(clients: Sequence[Client], seconds: float) -> dict[str, Stats]:
    """Every client at once, each sending its next request as soon as the last was answered, for `seconds`."""
    stats = {kind: Stats(kind) for kind in KINDS}
    started = time.perf_counter()
    deadline = started + seconds

    async def loop(client: Client) -> None:
        while time.perf_counter() < deadline:
            await timed(client, stats[client.kind])

    await asyncio.gather(*(loop(c) for c in clients))
    elapsed = time.perf_counter() - started
    for s in stats.values():
        s.seconds = elapsed
    return stats


async def run(db: Database, directory: Path, processes: int, clients: int, seconds: float) -> Result:
    skus, token, chats = prepare(db, clients)
    url = db.engine.url.render_as_string(hide_password=False)
    fake = Replies()
    fake.waiting = {}
    await fake.start()
    servers: list[Server] = []
    try:
        for n in range(processes):
            servers.append(await start_server(directory, f"server-{n}", url, fake, pool_size=clients // processes + 4))
        shop = Shop(skus, token, chats=chats)
        update_ids = itertools.count(1)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
            crowd_clients = []
            for n in range(clients):
                kind, server = KINDS[n % len(KINDS)], servers[n % processes]
                browser = await sign_in(http, server, db, f"web-{n}") if kind == "web_chat" else None
                crowd_clients.append(Client(kind, n, server, http, fake, shop, update_ids, browser,
                                            FIRST_CHAT + n))
            lone_browser = await sign_in(http, servers[0], db, "web-alone")
            lone = [Client(kind, clients + k, servers[k % processes], http, fake, shop, update_ids,
                           lone_browser if kind == "web_chat" else None, FIRST_CHAT + clients)
                    for k, kind in enumerate(KINDS)]
            await alone(lone, min(2.0, seconds / 4))  # warm up: imports, caches, connections
            sequential = await alone(lone, max(2.0, seconds / 4))
            together = await crowd(crowd_clients, seconds)
    finally:
        for server in servers:
            stop_server(server)
        await fake.stop()
    return Result(db.backend, processes, clients, seconds, sequential, together,
                  len(db.uow.read(check_ledger)), server_errors(servers))


def measure(backend: Backend, clients: int = CLIENTS, seconds: float = SECONDS) -> Result:
    """One server process on SQLite, two on PostgreSQL."""
    processes = 1 if backend.name == "sqlite" else 2
    with tempfile.TemporaryDirectory(prefix="jxc-load-") as directory, \
            database(backend, "load", migrated=True) as db:
        return asyncio.run(run(db, Path(directory), processes, clients, seconds))


def report(result: Result) -> str:
    head = (f"load {result.backend}: {result.clients} clients for {result.seconds:.0f} s against "
            f"{result.processes} server process{'es' if result.processes > 1 else ''}")
    rows = [head, f"  {'kind':<15}{'':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'p99/p50':>9}"
                  f"{'errors':>8}"]
    for kind in KINDS:
        for label, s in (("alone", result.alone[kind]), ("crowd", result.crowd[kind])):
            rows.append(f"  {kind:<15}{label:>9}{s.per_second:>8.1f}{s.p50:>9.0f}{s.p99:>9.0f}{s.max:>9.0f}"
                        f"{s.tail:>9.1f}{s.errors:>8}" + (f"  first: {s.first_error}" if s.first_error else ""))
    total = sum(len(s.times) for s in result.crowd.values()) / result.seconds
    rows.append(f"  all kinds crowd {total:.0f} req/s; worst p99/p50 {result.worst_tail:.1f} (goal <= {GOAL_TAIL:g}); "
                f"errors {result.errors} (goal 0); server log errors {len(result.server_errors)}; "
                f"ledger problems {result.ledger_problems}")
    return "\n".join(rows)


def main(backends: Sequence[Backend]) -> None:
    clients = int(os.environ.get("JXC_LOAD_CLIENTS", CLIENTS))
    seconds = float(os.environ.get("JXC_LOAD_SECONDS", SECONDS))
    for backend in backends:
        print(report(measure(backend, clients, seconds)), flush=True)
