"""WeCom callbacks carry a signed timestamp: one further than [wecom] max_age seconds from now (a recorded callback
replayed later, one dated 2001) is refused with 403 and nothing is recorded; a fresh one goes through."""

from __future__ import annotations

import itertools
import time

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto

from core.models import InboxMessage
from core.uow import UnitOfWork
from tests.e2e.fake_wecom import AES_KEY, CORP_ID, TOKEN, echo_query, encrypt, signature, text_xml
from tests.e2e.test_wecom import ANNA, Stack, count, run

_ids = itertools.count(8_100_000_000_000_000_001)


def old_echo(echo: str, stamp: str) -> dict[str, str]:
    """WeCom's URL check as it was signed at `stamp`."""
    envelope = WeChatCrypto(TOKEN, AES_KEY, CORP_ID).encrypt_message(echo, "n0nce", stamp)
    encrypted = xmltodict.parse(envelope)["xml"]["Encrypt"]
    return {"msg_signature": signature(TOKEN, stamp, "n0nce", encrypted), "timestamp": stamp, "nonce": "n0nce",
            "echostr": encrypted}


def test_a_callback_older_or_newer_than_max_age_is_refused_and_nothing_is_recorded(
        db_url: str, uow: UnitOfWork) -> None:
    async def scenario(s: Stack) -> None:
        now = int(time.time())
        for stamp in ("978307200", str(now - 121), str(now + 121), "", "12x", "9" * 40):
            signed = encrypt(text_xml(ANNA, "帮助", next(_ids)), timestamp=stamp or None)
            query = signed.query if stamp else {k: v for k, v in signed.query.items() if k != "timestamp"}
            assert await s.post(type(signed)(signed.body, query)) == 403, stamp
        async with s.http.get(f"{s.url}/wecom/callback", params=old_echo("echo-1", "978307200")) as old:
            assert old.status == 403
        async with s.http.get(f"{s.url}/wecom/callback", params=echo_query("echo-2")) as current:
            assert (current.status, await current.text()) == (200, "echo-2")
        assert count(uow, InboxMessage) == 0
        assert await s.post(encrypt(text_xml(ANNA, "帮助", next(_ids)), timestamp=str(now - 100))) == 200

    run(db_url, scenario, max_age=120)
    assert count(uow, InboxMessage) == 1
