"""What printing reads from the config: the company's header, the columns not printed, the default layout, the
CJK font and the receipt printer; and finding that font on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Config, ConfigError
from core.documents.model import HIDEABLE

LAYOUTS = ("a4", "80mm")
# Fonts with Chinese glyphs that fpdf2 embeds, where Debian, Fedora, macOS and Windows put them; (path, face index).
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # face 2: Simplified Chinese
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
)


class FontMissing(Exception):
    """No font with Chinese glyphs: [documents] font names none that exists, and none of the usual ones is here."""

    def __init__(self, configured: str) -> None:
        self.configured = configured
        where = f"[documents] font = {configured!r} does not exist" if configured else "[documents] font is empty"
        super().__init__(f"no font with Chinese glyphs to print with: {where}, and none of "
                         f"{', '.join(path for path, _ in FONT_CANDIDATES[:2])} (Debian: apt-get install "
                         "fonts-wqy-microhei) or the other usual ones is installed")


@dataclass(frozen=True)
class Company:
    """The head of every document: [company] name, tax id, address, phone, bank account and logo."""

    name: str = "jxc"
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank_account: str = ""
    logo: str = ""


@dataclass(frozen=True)
class DocumentSettings:
    """[documents] and [company] as printing needs them."""

    company: Company = Company()
    layout: str = "a4"
    hidden: frozenset[str] = frozenset()
    font: str = ""
    printer: tuple[str, int] | None = None
    printer_timeout: float = 5.0
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    bot_username: str = ""  # [telegram] bot_username and [server] public_url: the links a label's QR code opens
    public_url: str = "http://127.0.0.1:8080"

    def font_file(self) -> tuple[Path, int]:
        """The font to embed: [documents] font when set (it must exist), else the first usual one found."""
        if self.font:
            path = Path(self.font).expanduser()
            if not path.is_file():
                raise FontMissing(self.font)
            return path, 0
        for candidate, index in FONT_CANDIDATES:
            if Path(candidate).is_file():
                return Path(candidate), index
        raise FontMissing("")


def document_settings(config: Config) -> DocumentSettings:
    """The settings from [company], [documents] and [books] currency; a wrong value is a ConfigError."""
    company = config.section("company")
    layout = str(config.get("documents", "layout", "a4") or "a4").lower()
    if layout not in LAYOUTS:
        raise ConfigError(f"[documents] layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    return DocumentSettings(
        company=Company(**{key: str(company.get(key, "") or "") for key in
                           ("tax_id", "address", "phone", "bank_account", "logo")},
                        name=str(company.get("name", "jxc") or "")),
        layout=layout, hidden=_hidden(config.get("documents", "hide_columns", ())),
        font=str(config.get("documents", "font", "") or ""),
        printer=printer_address(str(config.get("documents", "printer", "") or "")),
        printer_timeout=float(config.get("documents", "printer_timeout", 5)),
        timezone=str(config.get("company", "timezone", "Asia/Shanghai")),
        currency=str(config.get("books", "currency", "CNY")),
        bot_username=str(config.get("telegram", "bot_username", "") or ""),
        public_url=str(config.get("server", "public_url", "") or "http://127.0.0.1:8080"))


def printer_address(raw: str) -> tuple[str, int] | None:
    """"host:port" as a pair; empty is None; anything else a ConfigError."""
    if not raw.strip():
        return None
    host, colon, port = raw.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"[documents] printer must be host:port, such as 192.168.1.50:9100, not {raw!r}")
    return host.strip("[]"), int(port)


def _hidden(raw: Any) -> frozenset[str]:
    names = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else list(raw or ())
    hidden = frozenset(str(name).lower() for name in names if str(name).strip())
    unknown = sorted(hidden - set(HIDEABLE))
    if unknown:
        raise ConfigError(f"[documents] hide_columns may name {', '.join(HIDEABLE)}, not {', '.join(unknown)}")
    return hidden
