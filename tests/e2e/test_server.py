"""The server itself: health check against the database, and a shutdown that finishes the work it accepted."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import select

from bot import server
from bot.channels.telegram import TelegramConfigError, TelegramSettings
from bot.cli import main as cli_main
from bot.composition import build_app_parts
from bot.server import build_app, make_runner
from core.config import Config, load_config
from core.models import InboxMessage
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, message_update
from tests.e2e.stack import SECRET, run, start_stack

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/for/jxc/shop.db",
    "postgresql": "postgresql://jxc:jxc@127.0.0.1:1/jxc?connect_timeout=2",
}


async def health(db_url: str) -> tuple[int, dict[str, str]]:
    parts = build_app_parts(Config(sections={"database": {"url": db_url}}))
    runner = make_runner(build_app(parts))
    await runner.setup()
    site_port = await _start(runner)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{site_port}/healthz") as response:
            return response.status, await response.json()
    finally:
        await runner.cleanup()


async def _start(runner: object) -> int:
    from aiohttp import web

    assert isinstance(runner, web.AppRunner)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return int(runner.addresses[0][1])


def test_healthz_answers_200_when_the_database_answers(db_url: str, engine: SqlEngine) -> None:
    assert asyncio.run(health(db_url)) == (200, {"status": "ok", "database": "ok"})


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_healthz_answers_503_when_the_database_is_unreachable(backend: str) -> None:
    assert asyncio.run(health(UNREACHABLE[backend])) == (503, {"status": "unavailable", "database": "unreachable"})


def test_shutdown_finishes_an_update_accepted_just_before(db_url: str, uow: UnitOfWork) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        fake.send_delay = 1.0
        s = await start_stack(db_url, fake)
        assert await s.post(message_update(42, 6001, "库存 RETRO-CLOCK")) == 200
        assert len(s.parts.in_flight) == 1, "the reply is still on its way"
        await s.stop()
        assert [c.text for c in fake.sent(6001)] == [fake.sent(6001)[0].text]
        assert fake.sent(6001)[0].text.startswith("你还没有绑定员工账号")

    run(scenario)
    assert uow.read(lambda tx: list(tx.session.scalars(select(InboxMessage.status)))) == ["replied"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_jxc_serve_answers_health_and_on_sigterm_finishes_the_reply_in_flight_then_exits_cleanly(
    db_url: str, uow: UnitOfWork, tmp_path: Path
) -> None:
    port = free_port()

    async def scenario(fake: FakeTelegram) -> None:
        fake.send_delay = 1.0
        config = tmp_path / "jxc.toml"
        config.write_text(f"""
[database]
url = "{db_url}"
[server]
host = "127.0.0.1"
port = {port}
public_url = "https://jxc.example.com"
[telegram]
token = "{fake.token}"
webhook_secret = "{SECRET}"
api_base_url = "{fake.api_base_url}"
api_file_url = "{fake.api_file_url}"
""", encoding="utf-8")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")} | {"PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "--config", str(config), "serve", env=environ, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            async with aiohttp.ClientSession() as http:
                deadline = time.monotonic() + 90
                while True:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            assert response.status == 200
                            break
                    except aiohttp.ClientConnectionError:
                        assert time.monotonic() < deadline, "jxc serve did not come up"
                        await asyncio.sleep(0.1)
                assert "setWebhook" in fake.methods()
                async with http.post(f"http://127.0.0.1:{port}/telegram/webhook",
                                     json=message_update(7, 6002, "help"),
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                    assert response.status == 200
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, stderr.decode()
        assert [c.text.startswith("你还没有绑定员工账号") for c in fake.sent(6002)] == [True]

    run(scenario)
    assert uow.read(lambda tx: list(tx.session.scalars(select(InboxMessage.status)))) == ["replied"]


def test_every_server_and_telegram_key_of_the_example_config_is_documented_and_means_the_default() -> None:
    config = load_config(str(ROOT / "config.example.toml"), environ={})
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section in ("server", "telegram"):
        for key in config.section(section):
            assert f"`[{section}] {key}`" in readme, f"[{section}] {key} is not in the README table"
    given = {**config.section("telegram"), "token": "1:x", "webhook_secret": "abc"}
    settings = TelegramSettings.from_section(given, str(config.get("server", "public_url")))
    assert settings == TelegramSettings(token="1:x", webhook_secret="abc", public_url="http://127.0.0.1:8080")
    assert settings.webhook_url == "http://127.0.0.1:8080/telegram/webhook"
    with pytest.raises(TelegramConfigError, match="webhook_secret"):
        TelegramSettings.from_section({"token": "1:x", "webhook_secret": "has space"}, "https://x")
    with pytest.raises(TelegramConfigError, match="mode"):
        TelegramSettings.from_section({"token": "1:x", "mode": "carrier-pigeon"}, "https://x")


def test_jxc_invite_prints_a_deep_link_whose_code_binds_the_telegram_account_and_login_link_a_sign_in_url(
    db_url: str, uow: UnitOfWork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[server]\npublic_url = "https://jxc.example.com/"\n'
                      '[telegram]\nbot_username = "@jxc_shop_bot"\n', encoding="utf-8")
    assert cli_main(["--config", str(config), "invite", "--name", "王芳", "--role", "sales", "--language", "en"]) == 0
    printed = capsys.readouterr().out
    link = re.search(r"https://t\.me/jxc_shop_bot\?start=([A-Z0-9]{10})$", printed, re.MULTILINE)
    assert link, printed
    assert cli_main(["--config", str(config), "invite", "--name", "nobody"]) == 2
    assert "give --role" in capsys.readouterr().err
    assert cli_main(["--config", str(config), "login-link", "王芳"]) == 0
    assert re.fullmatch(r"https://jxc\.example\.com/chat/login\?token=[\w-]{32}\n", capsys.readouterr().out)

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            assert await s.say(6003, f"/start {link.group(1)}") == ['Linked. Welcome, 王芳! Send "help" to begin.']
        finally:
            await s.stop()

    run(scenario)


def test_while_telegram_is_unreachable_the_server_answers_health_refuses_updates_unstored_and_keeps_trying(
    db_url: str, uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "START_RETRY", 0.2)

    async def scenario(fake: FakeTelegram) -> None:
        fake.down = True
        s = await start_stack(db_url, fake)
        try:
            async with s.http.get(f"{s.url}/healthz") as response:
                assert response.status == 200
            assert await s.post(message_update(50, 6004, "help")) == 503, "Telegram will redeliver it"
            fake.down = False
            await fake.wait_for("setWebhook")
            assert await s.post(message_update(50, 6004, "help")) == 200
            await s.settle()
            assert len(fake.sent(6004)) == 1
        finally:
            await s.stop()

    run(scenario)
    assert uow.read(lambda tx: list(tx.session.scalars(select(InboxMessage.external_id)))) == ["50"]
