"""Who a page is: Telegram's signed initData checked as Telegram documents, and the page session the server gives
back (a short signed token naming the chat account, so that nothing is stored for a page session)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

INIT_DATA_TTL = 24 * 3600
SESSION_TTL = 12 * 3600
MAX_INIT_DATA = 4096
TOKEN_VERSION = "a1"


@dataclass(frozen=True)
class PageAccount:
    """The chat account a page acts for: (channel, external user id), and until when (unix seconds)."""

    channel: str
    user_id: str
    expires: int


def telegram_user(init_data: str, bot_token: str, now: float | None = None) -> str | None:
    """The Telegram user id that signed `init_data` (Mini App launch parameters), or None when the data is forged,
    stale (auth_date older than a day), or malformed."""
    if not init_data or len(init_data) > MAX_INIT_DATA or not bot_token:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    given = fields.pop("hash", "")
    if len(fields) + 1 != len(pairs) or not given:
        return None  # a repeated key: not what Telegram signs
    checked = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, checked.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        return None
    auth_date = fields.get("auth_date", "")
    current = time.time() if now is None else now
    if not auth_date.isdigit() or not current - INIT_DATA_TTL <= int(auth_date) <= current + 300:
        return None
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        return None
    user_id = user.get("id") if isinstance(user, dict) else None
    return str(user_id) if isinstance(user_id, int) and user_id > 0 else None


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would sign it (for tests and benchmarks that play the Telegram client)."""
    checked = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, checked.encode(), hashlib.sha256).hexdigest()
    from_pairs = [*fields.items(), ("hash", digest)]
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in from_pairs)


class PageTokens:
    """Signs and checks page session tokens with the server's page secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"jxc page session\0" + secret).digest()

    def issue(self, channel: str, user_id: str, ttl: int = SESSION_TTL, now: float | None = None) -> str:
        """A token for the chat account (channel, user id), valid for `ttl` seconds."""
        expires = int(time.time() if now is None else now) + ttl
        body = f"{TOKEN_VERSION}.{_b64(channel)}.{_b64(user_id)}.{expires}"
        return f"{body}.{self._sign(body)}"

    def check(self, token: str, now: float | None = None) -> PageAccount | None:
        """The account a token names, or None when it is forged, expired or malformed."""
        parts = token.split(".")
        if len(token) > 400 or len(parts) != 5 or parts[0] != TOKEN_VERSION or not parts[3].isdigit():
            return None
        body = ".".join(parts[:4])
        if not hmac.compare_digest(self._sign(body), parts[4]):
            return None
        expires = int(parts[3])
        if expires <= (time.time() if now is None else now):
            return None
        try:
            return PageAccount(_unb64(parts[1]), _unb64(parts[2]), expires)
        except ValueError:
            return None

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()

