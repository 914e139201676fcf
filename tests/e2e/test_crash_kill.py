"""SIGKILL at random moments of a burst: `jxc serve` takes REST sales orders (each with an Idempotency-Key),
Telegram webhook updates (quick receipts) and browser chat messages (quick receipts) from concurrent clients, and
is killed and started again several times. Every request that was acknowledged is applied exactly once; every
one that was not is retried as its sender would (the same key, update_id or message id) until it is, and is then
applied exactly once too (at most once before its retry). The books pass `jxc check` afterwards.

A kill lands at a random point of the burst's progress (after a seeded random number of acknowledgements, while
requests are under way), never by the clock alone: a fast machine would finish the burst before a timed kill.
The seed is printed; JXC_CRASH_SEED replays a run."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.cli import main
from core.ledger.check import check_ledger
from core.models import IdempotencyRecord, InboxMessage, SalesOrder
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import bind_account, create_login_link, web_user_id
from core.people.employees import create_employee
from core.people.tokens import create_token
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, message_update
from tests.e2e.forked_servers import Forked, Forker
from tests.e2e.stack import SECRET
from tests.e2e.test_two_servers import free_port, write_config
from tests.factories import make_shop
from tests.integration.chat_shop import on_hand

PER_LANE = 20  # requests of each kind
WORKERS = 3  # concurrent clients of each kind
KILLS = 4
EXTRA_KILLS = 4  # further kills, only while none has cut a request short yet
SELLER_TG = 7301  # warehouse-1's Telegram account
SETTINGS: dict[str, dict[str, Any]] = {
    "server": {"inbox_lease": 1.5},
    "scheduler": {"sweep_seconds": 0.3, "lease_seconds": 1.5, "renew_seconds": 0.5},
    "api": {"rate_per_minute": 100_000},
}
TIMEOUT = aiohttp.ClientTimeout(total=8)


@dataclass
class Request:
    """One request a client keeps sending until it is acknowledged; `tries` counts the sends."""

    kind: str  # rest | telegram | web
    key: str  # the Idempotency-Key, the update_id, the browser's message id
    tries: int = 0
    acked_on: int = 0  # the try that was acknowledged (1: the first)
    answer: str = ""
    sending: bool = False  # a try is under way


@dataclass
class Burst:
    """The clients' side: what is still to be acknowledged, and the server the clients talk to now."""

    token: str
    cookie: str
    csrf: str
    todo: list[Request]
    server: Forked | None = None
    done: list[Request] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


def _seed() -> int:
    return int(os.environ.get("JXC_CRASH_SEED") or time.time_ns() % 1_000_000)


async def _send(http: aiohttp.ClientSession, burst: Burst, request: Request) -> bool:
    """One try; True when the server acknowledged it (a 2xx with the answer the sender waits for)."""
    assert burst.server is not None
    url = burst.server.url
    request.tries += 1
    request.sending = True
    try:
        if request.kind == "rest":
            body = {"customer": "ACME", "warehouse": "MAIN", "note": request.key,
                    "lines": [{"sku": "TEA-CUP", "qty": "1"}]}
            async with http.post(f"{url}/api/v1/sales-orders", json=body, timeout=TIMEOUT, headers={
                    "Authorization": f"Bearer {burst.token}", "Idempotency-Key": request.key}) as response:
                if response.status != 201:
                    burst.failures[f"rest {response.status} {(await response.text())[:80]}"] += 1
                    return False
                request.answer = str((await response.json())["number"])
        elif request.kind == "telegram":
            update = message_update(int(request.key), SELLER_TG, "入库 MAIN LAMP 1")
            async with http.post(f"{url}/telegram/webhook", json=update, timeout=TIMEOUT,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                if response.status != 200:
                    burst.failures[f"telegram {response.status}"] += 1
                    return False
        else:
            headers = {"Cookie": f"jxc_session={burst.cookie}", "X-CSRF-Token": burst.csrf}
            async with http.post(f"{url}/chat/send", json={"id": request.key, "text": "入库 MAIN RETRO-CLOCK 1"},
                                 headers=headers, timeout=TIMEOUT) as response:
                if response.status != 200:
                    burst.failures[f"web {response.status} {(await response.text())[:80]}"] += 1
                    return False
                request.answer = (await response.json())["replies"][0]["text"]
    except (aiohttp.ClientError, TimeoutError):  # the server died under the request: no answer
        burst.failures[f"{request.kind} no answer"] += 1
        return False
    finally:
        request.sending = False
    request.acked_on = request.tries
    return True


async def _client(http: aiohttp.ClientSession, burst: Burst, kind: str, alive: asyncio.Event) -> None:
    """Send this kind's requests one after the other; an unacknowledged one goes back to the queue's end."""
    while True:
        await alive.wait()
        request = next((r for r in burst.todo if r.kind == kind), None)
        if request is None:
            return
        burst.todo.remove(request)
        if await _send(http, burst, request):
            burst.done.append(request)
        else:
            burst.todo.append(request)
            await asyncio.sleep(0.05)


def _counts(uow: UnitOfWork) -> tuple[Counter[str], dict[str, int], int]:
    """Sales orders per note; inbox rows per (channel, external id); idempotency records."""
    notes = Counter(uow.read(lambda tx: list(tx.session.scalars(select(SalesOrder.note)))))
    rows = uow.read(lambda tx: tx.session.execute(
        select(InboxMessage.channel, InboxMessage.external_id, func.count())
        .group_by(InboxMessage.channel, InboxMessage.external_id)).all())
    keys = uow.read(lambda tx: int(tx.session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0))
    return Counter(notes), {f"{c}:{e}": int(n) for c, e, n in rows}, keys


def _applied(uow: UnitOfWork, cut: list[Request], web_chat: str) -> Counter[str]:
    """Which of the requests a kill cut short (no answer) had taken effect all the same, per kind."""
    keys = {r.key for r in cut if r.kind == "rest"}
    external = {("telegram", r.key) for r in cut if r.kind == "telegram"}
    external |= {("web", f"{web_chat}:{r.key}") for r in cut if r.kind == "web"}
    notes = uow.read(lambda tx: set(tx.session.scalars(select(SalesOrder.note).where(SalesOrder.note.in_(keys)))))
    rows = uow.read(lambda tx: tx.session.execute(select(InboxMessage.channel, InboxMessage.external_id).where(
        InboxMessage.external_id.in_([e for _, e in external]))).all())
    return Counter(["rest"] * len(notes) + [c for c, e in rows if (c, e) in external])


async def _committed_unanswered(uow: UnitOfWork, requests: list[Request], kind: str, web_chat: str,
                                limit: float) -> bool:
    """Wait (at most `limit` seconds) for the moment a request of this kind under way has been committed but not
    answered yet: the window a kill must not turn into a double effect. True when it came."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        under_way = [r for r in requests if r.sending and r.kind == kind]
        if under_way and _applied(uow, under_way, web_chat):
            return True
        await asyncio.sleep(0.005)
    return False


async def _under_way_after(burst: Burst, requests: list[Request], acknowledged: int, limit: float) -> None:
    """Wait until at least `acknowledged` requests were acknowledged and one is under way (or `limit` seconds)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(burst.done) >= acknowledged and any(r.sending for r in requests):
            return
        await asyncio.sleep(0.002)


async def _all_answered(uow: UnitOfWork, timeout: float) -> None:
    """Every update of the inbox processed and its replies sent (what a dead process left, by the sweep)."""
    query = select(func.count()).select_from(InboxMessage).where(InboxMessage.status != "replied")
    deadline = time.monotonic() + timeout
    while uow.read(lambda tx: tx.session.scalar(query)):
        assert time.monotonic() < deadline, "updates left unanswered"
        await asyncio.sleep(0.1)


def test_a_server_killed_at_random_moments_of_a_burst_applies_every_request_exactly_once(
        uow: UnitOfWork, admin: Actor, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = _seed()
    rng = random.Random(seed)
    make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 1000, "3.3")])
    bind_account(uow, admin, "warehouse-1", "telegram", str(SELLER_TG), str(SELLER_TG))
    token = create_token(uow, admin, "shop-api", "manager").secret
    web_chat = web_user_id(create_employee(uow, admin, "warehouse-2", ["warehouse"], warehouses=["MAIN"]))
    login = create_login_link(uow, admin, "warehouse-2").code
    before = {sku: on_hand(uow, sku) for sku in ("LAMP", "RETRO-CLOCK", "TEA-CUP")}
    requests = ([Request("rest", f"order-{n:04d}") for n in range(PER_LANE)]
                + [Request("telegram", str(6_000_000 + 3 * n)) for n in range(PER_LANE)]
                + [Request("web", str(uuid.uuid4())) for n in range(PER_LANE)])
    kills: list[tuple[float, int]] = []  # (seconds into the round, requests acknowledged before the kill)
    started = time.monotonic()
    cut_short: Counter[str] = Counter()  # requests a kill left without an answer (each is retried)
    applied: Counter[str] = Counter()  # those of them that had taken effect before their retry
    starts: list[float] = []
    caught = 0  # kills sent once a request was seen committed and not yet answered (its answer may still win)

    async def scenario() -> None:
        fake = await FakeTelegram().start()
        forker = Forker()
        server: Forked | None = None
        nonlocal caught

        async def start(n: int) -> Forked:
            boot = time.monotonic()
            port = free_port()
            config = write_config(tmp_path, f"crash-{n}", db_url, port, fake, SETTINGS)
            forked = await forker.start(f"crash-{n}", config, f"http://127.0.0.1:{port}",
                                        tmp_path / f"crash-{n}.log")
            starts.append(round(time.monotonic() - boot, 1))
            return forked

        try:
            server = await start(0)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{server.url}/chat/login?token={login}", allow_redirects=False) as signed:
                    cookie = signed.cookies["jxc_session"].value
                async with http.get(f"{server.url}/chat", headers={"Cookie": f"jxc_session={cookie}"}) as page:
                    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', await page.text())[1]  # type: ignore[index]
                burst = Burst(token, cookie, csrf, list(requests), server)
                alive = asyncio.Event()
                alive.set()
                clients = [asyncio.create_task(_client(http, burst, kind, alive))
                           for kind in ("rest", "telegram", "web") for _ in range(WORKERS)]
                counted: set[str] = set()
                share = len(requests) // (KILLS + 1)
                round_, round_start = 0, time.monotonic()
                while round_ < KILLS or (not cut_short and round_ < KILLS + EXTRA_KILLS
                                                    and len(burst.done) < len(requests)):
                    round_ += 1
                    within = (round_ - 1) * share + rng.randrange(1, share)  # somewhere in this round's share
                    target = within if round_ <= KILLS else len(burst.done) + 1
                    await _under_way_after(burst, requests, target, 20)
                    moment = time.monotonic() - round_start
                    if round_ % 2 == 0:  # every other kill lands just after a commit, before its answer
                        kind = "rest" if round_ % 4 == 2 else "web"
                        caught += await _committed_unanswered(uow, requests, kind, web_chat, 3)
                    alive.clear()  # the clients send nothing new; the kill cuts short what they are sending
                    server.kill()
                    kills.append((round(moment, 2), len(burst.done)))
                    await asyncio.sleep(0.2)  # the clients see their requests cut short
                    cut = [r for r in burst.todo if r.tries and not r.acked_on and r.key not in counted]
                    counted.update(r.key for r in cut)
                    cut_short.update(r.kind for r in cut)
                    applied.update(_applied(uow, cut, web_chat))
                    server = burst.server = await start(round_)  # what the dead process left: start-up or sweep
                    round_start = time.monotonic()
                    alive.set()
                last = time.monotonic()
                finished, _ = await asyncio.wait(clients, timeout=40)
                assert len(finished) == len(clients), (f"seed {seed}: still unacknowledged "
                                                       f"{Counter(r.kind for r in burst.todo)} after "
                                                       f"{dict(burst.failures)}; kills {kills}")
                burst_end = time.monotonic()
                await _all_answered(uow, 20)
                replies = Counter(c.text.split("\n", 1)[0] for c in fake.sent(SELLER_TG))
                with capsys.disabled():
                    print(f"\nseed {seed}: kills at (s into the round, acknowledged) {kills}; failed tries "
                          f"{dict(burst.failures)}; telegram replies {sum(replies.values())} for {PER_LANE} updates; "
                          f"server starts {starts} s, the rest of the burst {burst_end - last:.1f} s, the sweep "
                          f"{time.monotonic() - burst_end:.1f} s; {time.monotonic() - started:.1f} s in all; cut "
                          f"short by a kill {dict(cut_short)}, of which had taken effect before their retry "
                          f"{dict(applied)}; {caught} of {round_ // 2} kills sent on a commit seen unanswered")
                assert len(burst.done) == len(requests) and not burst.todo
                retried = [r for r in burst.done if r.acked_on > 1]
                assert retried and sum(cut_short.values()), "no kill cut a request short: the test proved nothing"
                assert sum(replies.values()) >= PER_LANE, "every update was answered"
        finally:
            if server is not None:
                server.kill(signal.SIGTERM)
            forker.close()
            await fake.stop()

    asyncio.run(scenario())
    notes, rows, keys = _counts(uow)
    assert notes == Counter({r.key: 1 for r in requests if r.kind == "rest"}), "one order per Idempotency-Key"
    assert keys == PER_LANE
    numbers = {r.key: r.answer for r in requests if r.kind == "rest"}
    stored = dict(uow.read(lambda tx: tx.session.execute(select(SalesOrder.note, SalesOrder.number)).all()))
    assert stored == numbers, "a retried request was answered with the order its first try made"
    assert {k: n for k, n in rows.items() if k.startswith("telegram:")} == {
        f"telegram:{r.key}": 1 for r in requests if r.kind == "telegram"}
    assert len([k for k in rows if k.startswith("web:")]) == PER_LANE and set(rows.values()) == {1}
    receipt = re.compile(r"已入库 (RC-\d{4}-\d{6})：MAIN RETRO-CLOCK 复古闹钟 \+1，现库存 \d+。\n.*", re.S)
    receipts = [receipt.fullmatch(r.answer) for r in requests if r.kind == "web"]
    assert all(receipts) and len({m[1] for m in receipts if m}) == PER_LANE, "each message answered with its receipt"
    attempts = uow.read(lambda tx: set(tx.session.scalars(select(InboxMessage.attempts))))
    assert attempts == {1}, "every update was processed once"
    assert on_hand(uow, "LAMP") == before["LAMP"] + PER_LANE, "each Telegram receipt posted once"
    assert on_hand(uow, "RETRO-CLOCK") == before["RETRO-CLOCK"] + PER_LANE, "each browser receipt posted once"
    assert on_hand(uow, "TEA-CUP") == before["TEA-CUP"] == Decimal(1000)
    assert uow.read(check_ledger) == []
    assert main(["check", "--config", str(tmp_path / f"crash-{len(starts) - 1}.toml")]) == 0, "jxc check"
    assert capsys.readouterr().out.splitlines()[-1].startswith("ledger OK")

