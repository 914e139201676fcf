"""Webhook signatures and Retry-After, as an integrator sees them: the README's snippet verifies what we send."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.webhooks import retry_after_seconds, sign, verify

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def readme_verifier() -> Any:
    """The Python snippet of the README's Webhooks section, run as an integrator would paste it."""
    text = Path(__file__).parents[2].joinpath("README.md").read_text(encoding="utf-8")
    section = text.split("## Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    scope: dict[str, Any] = {}
    exec(code.group(1), scope)
    return scope["verified"]


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body_and_the_readme_snippet_checks_it() -> None:
    body = b'{"id":1,"event":"stock.low","data":{"sku":"RETRO-CLOCK","available":"3"}}'
    signature = sign("whsec_test", "1795000000", body)
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)
    assert verify("whsec_test", "1795000000", body, signature)
    headers = {"X-Jxc-Timestamp": "1795000000", "X-Jxc-Signature": signature}
    verified = readme_verifier()
    assert verified("whsec_test", headers, body)
    assert not verified("whsec_test", headers, body.replace(b'"3"', b'"30"'))
    assert not verified("whsec_other", headers, body)
    assert not verified("whsec_test", {**headers, "X-Jxc-Timestamp": "1795000001"}, body)
    assert not verify("whsec_test", "1795000000", body + b" ", signature)


def test_a_signature_header_with_foreign_characters_is_refused_not_an_error() -> None:
    body = b'{"id":1}'
    forged = sign("whsec_test", "1795000000", body)[:-1] + "é"
    assert not verify("whsec_test", "1795000000", body, forged)
    assert not readme_verifier()("whsec_test", {"X-Jxc-Timestamp": "1795000000", "X-Jxc-Signature": forged}, body)


def test_retry_after_is_read_as_seconds_or_an_http_date_and_capped_at_an_hour() -> None:
    assert retry_after_seconds("7", NOW) == 7.0
    assert retry_after_seconds("Fri, 27 Nov 2026 12:00:30 GMT", NOW) == 30.0
    assert retry_after_seconds("Fri, 27 Nov 2026 11:00:00 GMT", NOW) == 0.0
    assert retry_after_seconds("86400", NOW) == 3600.0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None
