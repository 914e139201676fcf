"""The push story end to end, on PostgreSQL, with two real server processes (`build_app(..., background=True)`,
as under `jxc serve`) and the fake Telegram and WeCom APIs on 127.0.0.1:

a salesperson bound on Telegram writes a sales order over the rule's amount in the chat; the manager, bound on
WeCom, gets an approval template card, clicks Approve (a template_card_event encrypted with wechatpy's real crypto);
the card is updated to show who decided; the salesperson is told on Telegram, once. The morning low-stock digest is
started on both processes at once through the scheduler's run-now entry point (APScheduler's next_run_time) with a
controlled clock: it fires on the lease holder only and reaches the manager once. The holder is killed with SIGKILL;
the other process takes the lease over within its time and sends the next morning's digest, once.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from bot.scheduler import lease_holder
from core.approvals.requests import set_rule
from core.models import Notification, SalesOrder
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, button_update, message_update
from tests.e2e.fake_wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWecom, card_click_xml, encrypt, text_xml
from tests.factories import make_shop

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "story_Webhook-secret"
SELLER = 6101  # Telegram user (and private chat) of sales-1
MANAGER = "li.manager"  # WeCom UserID of manager-1
LEASE, RENEW, SWEEP = 3.0, 0.5, 0.3
DAY_ONE = datetime(2030, 1, 7, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
DAY_TWO = datetime(2030, 1, 8, 0, 0, tzinfo=UTC)
NUMBER = re.compile(r"SO-\d{4}-\d{6}")


# ---- the fakes, on an event loop of their own so that they answer while the test waits --------------------------

@dataclass
class Fakes:
    telegram: FakeTelegram
    wecom: FakeWecom


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def on_loop(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)

    both = Fakes(on_loop(FakeTelegram().start()), on_loop(FakeWecom().start()))
    yield both
    on_loop(both.telegram.stop())
    on_loop(both.wecom.stop())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


# ---- one server process -----------------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    url: str
    holder: str
    err: Path

    def webhook(self, update: dict[str, Any]) -> None:
        answer = requests.post(f"{self.url}/telegram/webhook", json=update, timeout=10,
                               headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert answer.status_code == 200, answer.text

    def wecom(self, plain_xml: str) -> None:
        signed = encrypt(plain_xml)
        answer = requests.post(f"{self.url}/wecom/callback", params=signed.query, data=signed.body, timeout=10,
                               headers={"Content-Type": "text/xml"})
        assert answer.status_code == 200 and answer.content == b"", answer.text

    def run_now(self, job: str, at: datetime) -> None:
        """The scheduler's run-now entry point: the job is due now, and its clock says `at`."""
        answer = requests.post(f"{self.url}/test/run-now", json={"job": job, "at": at.isoformat()}, timeout=10)
        assert answer.status_code == 200, answer.text

    def log(self) -> str:
        return self.err.read_text(errors="replace") if self.err.exists() else ""

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def sections(pg_url: str, fakes: Fakes, tmp_path: Path) -> dict[str, Any]:
    return {
        "database": {"url": pg_url},
        "server": {"public_url": "https://jxc.example.com"},
        "company": {"timezone": "Asia/Shanghai"},
        "telegram": {"token": fakes.telegram.token, "mode": "webhook", "webhook_secret": WEBHOOK_SECRET,
                     "api_base_url": fakes.telegram.api_base_url, "api_file_url": fakes.telegram.api_file_url},
        "wecom": {"corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": SECRET, "token": TOKEN,
                  "encoding_aes_key": AES_KEY, "api_base_url": fakes.wecom.api_base_url},
        "scheduler": {"timezone": "Asia/Shanghai", "sweep_seconds": SWEEP, "lease_seconds": LEASE,
                      "renew_seconds": RENEW, "approvals_seconds": 3600, "backup_dir": str(tmp_path / "backups")},
    }


def start_server(name: str, config_path: Path, fired_log: Path, tmp_path: Path) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.test_push_story", str(config_path), str(fired_log)], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=(tmp_path / f"{name}.err").open("w"), text=True)
    assert process.stdout is not None
    line = process.stdout.readline().split()
    assert line[:1] == ["serving"], f"{name} did not start: {(tmp_path / f'{name}.err').read_text()[-2000:]}"
    return Server(name, process, f"http://127.0.0.1:{line[1]}", line[2], tmp_path / f"{name}.err")


def wait_until(condition: Callable[[], object], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def settled(count: Callable[[], int], start: int, quiet: float = 0.3, timeout: float = 20) -> None:
    """Wait until `count` has grown past `start` and then not changed for `quiet` seconds."""
    wait_until(lambda: count() > start, timeout, "a reply")
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        if count() != last:
            last, since = count(), time.monotonic()


def fired(log: Path, job: str) -> list[str]:
    """Holders that ran `job`, in order (the servers append one line per job run)."""
    if not log.exists():
        return []
    return [holder for line in log.read_text().splitlines() for j, holder in [line.split()] if j == job]


# ---- the story ----------------------------------------------------------------------------------------------------

@pytest.fixture
def shop(pg_uow: UnitOfWork) -> Actor:
    admin = load_actor(pg_uow, "system")
    make_shop(pg_uow, admin)
    receive_stock(pg_uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "9.5")])
    create_customer(pg_uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    set_rule(pg_uow, admin, "sales_order", "100", ["manager"])
    return admin


@pytest.mark.slow
def test_a_wecom_manager_approves_a_telegram_sellers_order_and_the_digest_comes_once_from_two_servers(
        pg_uow: UnitOfWork, pg_url: str, shop: Actor, fakes: Fakes, tmp_path: Path) -> None:
    uow, admin, tg, wc = pg_uow, shop, fakes.telegram, fakes.wecom
    config_path, fired_log = tmp_path / "config.json", tmp_path / "fired.log"
    config_path.write_text(json.dumps(sections(pg_url, fakes, tmp_path)))
    first = start_server("first", config_path, fired_log, tmp_path)
    servers = [first]
    try:
        wait_until(lambda: lease_holder(uow) is not None and lease_holder(uow)[0] == first.holder, 10,  # type: ignore[index]
                   "the first server to lead")
        second = start_server("second", config_path, fired_log, tmp_path)
        servers.append(second)
        updates = iter(range(910_000, 920_000))

        def seller_says(update: dict[str, Any]) -> list[str]:
            before = len(tg.texts(SELLER))
            first.webhook(update)
            try:
                settled(lambda: len(tg.texts(SELLER)), before, timeout=30)
            except AssertionError as error:
                raise AssertionError(f"{error}; the server said: {first.log()[-3000:]}") from None
            return tg.texts(SELLER)[before:]

        def press(label: str) -> list[str]:
            data = next(d for call in reversed(tg.sent(SELLER)) for row in call.buttons for text, d in row
                        if label in text)
            return seller_says(button_update(next(updates), SELLER, data))

        # the salesperson binds on Telegram and writes the order in the chat (first server)
        code = create_invite(uow, admin, "sales-1").code
        assert seller_says(message_update(next(updates), SELLER, f"/start {code}"))[0].startswith("绑定成功")
        seller_says(message_update(next(updates), SELLER, "开单 ACME"))
        press("MAIN")
        assert "¥250.00" in seller_says(message_update(next(updates), SELLER, "RETRO-CLOCK 10 25"))[-1]
        press("完成")
        submitted = press("提交")[-1]
        number = NUMBER.search(submitted).group(0)  # type: ignore[union-attr]
        status = uow.read(lambda tx: tx.session.scalar(select(SalesOrder.status).where(SalesOrder.number == number)))
        assert status == "pending_approval", submitted
        told_before = len(tg.texts(SELLER))

        # the manager binds on WeCom (second server) and gets the approval card from the lease holder's dispatcher
        code = create_invite(uow, admin, "manager-1").code
        second.wecom(text_xml(MANAGER, f"绑定 {code}", 7_100_000_000_000_000_001))
        wait_until(lambda: any(t.startswith("绑定成功") for t in wc.texts(MANAGER)), 20, "the WeCom binding")

        def cards() -> list[dict[str, Any]]:
            return [c.body["template_card"] for c in wc.sent(MANAGER) if c.body.get("msgtype") == "template_card"]

        wait_until(lambda: cards(), 20, "the approval card")
        [card] = cards()
        assert number in card["main_title"]["title"] and card["card_type"] == "button_interaction"
        approve = next(b["key"] for b in card["button_list"] if b["key"].endswith(":y"))

        # Approve on the card; the callback goes to the first server, which did not send the card
        first.wecom(card_click_xml(MANAGER, approve, card["task_id"], "RESPONSE-CODE-STORY"))
        wait_until(lambda: wc.updates(), 20, "the card update")
        [update] = wc.updates()
        assert update.body == {"userids": [MANAGER], "agentid": AGENT_ID, "response_code": "RESPONSE-CODE-STORY",
                               "button": {"replace_name": "manager-1 已同意"}}
        wait_until(lambda: any(number in t for t in tg.texts(SELLER)[told_before:]), 20, "the seller to be told")
        time.sleep(6 * SWEEP)  # a few more sweeps on both servers: nothing is sent again
        told = [t for t in tg.texts(SELLER)[told_before:] if number in t]
        assert told == [f"✅ 销售单 {number}（¥250.00）已由 manager-1 批准。"]
        assert uow.read(lambda tx: tx.session.scalar(
            select(SalesOrder.status).where(SalesOrder.number == number))) == "approved"
        assert wc.updates() == [update], "the card is updated once"

        # the morning digest, started on both servers at once: the holder runs it, the manager gets it once
        set_reorder_rule(uow, load_actor(uow, "purchaser-1"), "RETRO-CLOCK", "MAIN", "50", "100")
        leader = next(s for s in servers if s.holder == lease_holder(uow)[0])  # type: ignore[index]
        follower = next(s for s in servers if s is not leader)
        for server in servers:
            server.run_now("low_stock_digest", DAY_ONE)

        def digests(day: str) -> list[str]:
            return [t for t in wc.texts(MANAGER) if t.startswith(f"📦 {day} 库存预警")]

        wait_until(lambda: digests("2030-01-07"), 20, "the first digest")
        time.sleep(6 * SWEEP)
        assert digests("2030-01-07") == ["📦 2030-01-07 库存预警：1 个商品低于最低库存\n"
                                         "· RETRO-CLOCK 复古闹钟（MAIN）：20 / 最低 50\n\n回复 1 选择「📦 库存预警」"]
        assert fired(fired_log, "low_stock_digest") == [leader.holder], "only the lease holder ran it"

        # the holder dies; the other takes the lease over within its time and carries on
        leader.kill()
        killed = time.monotonic()
        wait_until(lambda: lease_holder(uow)[0] == follower.holder, LEASE + RENEW + 3, "the takeover")  # type: ignore[index]
        took = time.monotonic() - killed
        assert took <= LEASE + RENEW + 1.0, f"taken over after {took:.1f} s"
        # the morning run it was asked for while it waited is due at once on taking over: it runs, coalesced into
        # one, and writes nothing new (one note per reader and day)
        wait_until(lambda: fired(fired_log, "low_stock_digest")[1:] == [follower.holder], 20, "the due digest")
        time.sleep(6 * SWEEP)
        assert len(digests("2030-01-07")) == 1
        follower.run_now("low_stock_digest", DAY_TWO)
        wait_until(lambda: digests("2030-01-08"), 20, "the second digest")
        time.sleep(6 * SWEEP)
        assert len(digests("2030-01-08")) == 1 and len(digests("2030-01-07")) == 1
        assert fired(fired_log, "low_stock_digest") == [leader.holder, follower.holder, follower.holder]
        written = uow.read(lambda tx: tx.session.scalars(select(Notification.dedupe_key).where(
            Notification.event_type == "low_stock_digest").order_by(Notification.dedupe_key)).all())
        manager, purchaser = (load_actor(uow, n).employee_id for n in ("manager-1", "purchaser-1"))
        assert sorted(written) == sorted(f"low_stock_digest:{day}:{who}" for day in ("2030-01-07", "2030-01-08")
                                         for who in (manager, purchaser)), "one note per reader and day"
        print(f"takeover after {took:.2f} s (lease {LEASE} s, renewed every {RENEW} s)")
    finally:
        for server in servers:
            server.kill()


# ---- the server process -------------------------------------------------------------------------------------------

async def serve(config_path: str, fired_log: str) -> None:
    """The real server with the outbox dispatcher and the scheduler, plus one test-only route: POST /test/run-now
    makes a job due now (APScheduler runs it only while this process holds the lease) with its clock set to `at`."""
    from aiohttp import web
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED  # type: ignore[import-untyped]

    from bot.composition import build_app_parts
    from bot.server import BACKGROUND, build_app, make_runner
    from core.config import Config

    parts = build_app_parts(Config(sections=json.loads(Path(config_path).read_text())))
    app = build_app(parts, background=True)

    async def run_now(request: web.Request) -> web.Response:
        body = await request.json()
        runner = request.app[BACKGROUND].runner
        at = datetime.fromisoformat(body["at"])
        runner.runtime.clock = lambda: at
        runner.scheduler.modify_job(body["job"], next_run_time=datetime.now(UTC))
        return web.json_response({"holder": runner.holder})

    async def record_runs(app: web.Application) -> None:
        runner = app[BACKGROUND].runner

        def ran(event: Any) -> None:
            if event.job_id != "outbox_sweep":
                with open(fired_log, "a") as log:
                    log.write(f"{event.job_id} {runner.holder}\n")

        runner.scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    app.router.add_post("/test/run-now", run_now)
    app.on_startup.append(record_runs)
    runner = make_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print("serving", runner.addresses[0][1], app[BACKGROUND].runner.holder, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
