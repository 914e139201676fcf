"""The [wecom] section of the config: a WeCom self-built app's ids, secrets and pacing, checked when read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_API = "https://qyapi.weixin.qq.com/cgi-bin/"


class WecomConfigError(ValueError):
    """The [wecom] section cannot work as written."""


@dataclass(frozen=True)
class WecomSettings:
    """The [wecom] section of the config."""

    corp_id: str
    agent_id: int
    secret: str
    token: str
    encoding_aes_key: str
    api_base_url: str = DEFAULT_API
    member_per_minute: float = 30
    member_period: float = 60  # seconds over which member_per_minute counts (tests shorten it)
    timeout: float = 10
    download_attempts: int = 3  # tries of a picture's download before the member is asked to send it again
    download_backoff: float = 1.0  # seconds before the second try, doubled before each further one
    max_age: float = 300  # seconds a callback's signed timestamp may be from now

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> WecomSettings:
        """Settings from [wecom]; corp_id, agent_id, secret, token and encoding_aes_key are required."""
        base = str(section.get("api_base_url", "") or DEFAULT_API)
        settings = cls(
            corp_id=str(section.get("corp_id", "") or ""),
            agent_id=int(section.get("agent_id", 0) or 0),
            secret=str(section.get("secret", "") or ""),
            token=str(section.get("token", "") or ""),
            encoding_aes_key=str(section.get("encoding_aes_key", "") or ""),
            api_base_url=base if base.endswith("/") else base + "/",
            member_per_minute=float(section.get("member_per_minute", cls.member_per_minute)),
            member_period=float(section.get("member_period", cls.member_period)),
            timeout=float(section.get("timeout", cls.timeout)),
            download_attempts=int(section.get("download_attempts", cls.download_attempts)),
            download_backoff=float(section.get("download_backoff", cls.download_backoff)),
            max_age=float(section.get("max_age", cls.max_age)),
        )
        missing = [k for k in ("corp_id", "secret", "token", "encoding_aes_key") if not getattr(settings, k)]
        if missing or not settings.agent_id:
            raise WecomConfigError(f"[wecom] needs {', '.join(missing + ([] if settings.agent_id else ['agent_id']))}")
        if not settings.max_age > 0:
            raise WecomConfigError("[wecom] max_age must be a number of seconds above 0")
        if len(settings.encoding_aes_key) != 43:
            raise WecomConfigError("[wecom] encoding_aes_key must be the 43 characters WeCom shows")
        if not 1 <= settings.download_attempts <= 10 or not 0 <= settings.download_backoff <= 60:
            raise WecomConfigError("[wecom] download_attempts must be 1 to 10 and download_backoff 0 to 60 s")
        return settings
