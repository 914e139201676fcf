"""Page buttons (Button.link): stored and read back with the reply, a Mini App in Telegram on https, a plain link
on http, left out without an address; the page session tokens and Telegram's initData check."""

from __future__ import annotations

import json
import time

from bot.app.auth import PageTokens, sign_init_data, telegram_user
from bot.channels.telegram import keyboard, menu_button
from bot.engine.replies import Reply, buttons, page_button

TOKEN = "42:abc"


def reply() -> Reply:
    return Reply("收货", (*buttons([("全部", "rc:a")]), (page_button("在页面里收货", "/app/receive?po=PO-1"),)))


def test_a_page_button_survives_the_inbox_round_trip() -> None:
    again = Reply.from_json(json.loads(json.dumps(reply().to_json())))
    assert again == reply()
    assert again.buttons[1][0].link == "/app/receive?po=PO-1" and again.buttons[1][0].data == ""


def test_telegram_opens_a_page_as_a_mini_app_on_https_a_link_on_http_and_leaves_it_out_otherwise() -> None:
    https = keyboard(reply(), "https://jxc.example.com").to_dict()["inline_keyboard"]  # type: ignore[union-attr]
    assert https[0] == [{"text": "全部", "callback_data": "rc:a"}]
    assert https[1] == [{"text": "在页面里收货", "web_app": {"url": "https://jxc.example.com/app/receive?po=PO-1"}}]
    http = keyboard(reply(), "http://10.0.0.2:8080").to_dict()["inline_keyboard"]  # type: ignore[union-attr]
    assert http[1] == [{"text": "在页面里收货", "url": "http://10.0.0.2:8080/app/receive?po=PO-1"}]
    assert len(keyboard(reply(), "").to_dict()["inline_keyboard"]) == 1  # type: ignore[union-attr]
    assert menu_button("http://10.0.0.2", "打开页面") is None
    assert menu_button("https://a.b", "打开页面").to_dict()["web_app"] == {"url": "https://a.b/app/"}  # type: ignore[union-attr]


def test_init_data_is_checked_as_telegram_documents() -> None:
    now = int(time.time())
    user = json.dumps({"id": 7, "first_name": "李"}, ensure_ascii=False)
    fields = {"auth_date": str(now), "user": user, "query_id": "Q"}
    signed = sign_init_data(fields, TOKEN)
    assert telegram_user(signed, TOKEN, now) == "7"
    assert telegram_user(signed, "43:abc", now) is None
    assert telegram_user(signed, TOKEN, now + 24 * 3600 + 1) is None, "a day old is stale"
    assert telegram_user(signed.replace("%E6", "%E7"), TOKEN, now) is None
    assert telegram_user("", TOKEN, now) is None and telegram_user("a=b", TOKEN, now) is None


def test_a_page_token_names_its_account_until_it_expires_and_cannot_be_altered() -> None:
    tokens = PageTokens(b"secret")
    token = tokens.issue("wecom", "zhangsan", ttl=60, now=1000)
    account = tokens.check(token, now=1059)
    assert account is not None and (account.channel, account.user_id) == ("wecom", "zhangsan")
    assert tokens.check(token, now=1060) is None
    assert PageTokens(b"other").check(token, now=1000) is None
    body, signature = token.rsplit(".", 1)
    forged = tokens.issue("wecom", "lisi", ttl=60, now=1000).rsplit(".", 1)[0] + "." + signature
    assert tokens.check(forged, now=1000) is None and tokens.check(body, now=1000) is None
