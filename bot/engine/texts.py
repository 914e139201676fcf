"""Words for replies: Jinja2 templates per language, with numbers, money and dates formatted for the locale."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from core.errors import DomainError

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class Texts:
    """Renders named templates in a language; one Jinja2 environment per language, built once."""

    def __init__(self, root: Path = TEMPLATES, timezone: str = "Asia/Shanghai", currency: str = "CNY",
                 undo_minutes: int = 10) -> None:
        self.zone = ZoneInfo(timezone)
        self.currency = currency
        self.undo_minutes = undo_minutes  # [books] undo_minutes, said in every "a mistake? undo within..." line
        self._envs = {lang: self._environment(root / lang, lang) for lang in LANGUAGES}

    def render(self, lang: str, template: str, **values: Any) -> str:
        """The text of `template` (without .j2) in `lang`, falling back to the default language."""
        env = self._envs.get(lang) or self._envs[DEFAULT_LANGUAGE]
        return env.get_template(f"{template}.j2").render(lang=lang, **values).strip()

    def error(self, lang: str, error: DomainError) -> str:
        """A domain error in words: template error/<code>, else the generic refusal."""
        try:
            return self.render(lang, f"error/{error.code}", **{"code": error.code, **error.params})
        except TemplateNotFound:
            return self.render(lang, "error/_generic", code=error.code, params=error.params)

    def _environment(self, folder: Path, lang: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(template_folders(folder)), undefined=StrictUndefined, autoescape=False,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
        )
        locale = lang
        env.filters["qty"] = lambda v: format_quantity(v, locale)
        env.filters["money"] = lambda v: format_money(v, locale, self.currency)
        env.filters["price"] = lambda v: format_price(v, locale)
        env.filters["when"] = lambda v: format_when(v, locale, self.zone)
        env.filters["day"] = lambda v: format_day(v, locale, self.zone)
        env.globals["undo_minutes"] = self.undo_minutes
        return env


def template_folders(folder: Path) -> list[str]:
    """A language's folder and its per-flow subfolders (templates/<lang>/<flow>/): a template is named by its file
    name alone, whichever flow's folder holds it; `error/<code>` stays a path under the language folder."""
    return [str(folder), *(str(sub) for sub in sorted(folder.iterdir()) if sub.is_dir() and sub.name != "error")]


def format_quantity(value: Decimal | int | None, locale: str) -> str:
    """4 places at most, trailing zeros dropped, grouped: 1,234.5."""
    if value is None:
        return "-"
    return format_decimal(Decimal(value), format="#,##0.####", locale=locale)


def format_money(value: Decimal | int | None, locale: str, currency: str) -> str:
    """Money with its currency in the reader's locale: ¥1,234.50."""
    if value is None:
        return "-"
    return format_currency(Decimal(value), currency, locale=locale)


def format_price(value: Decimal | int | None, locale: str) -> str:
    """A unit price: 2 to 6 places."""
    if value is None:
        return "-"
    return format_decimal(Decimal(value), format="#,##0.00####", locale=locale)


def format_when(value: datetime | str | None, locale: str, zone: ZoneInfo) -> str:
    """A moment in the company's time zone: 2026-11-27 18:30."""
    if value is None:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment.astimezone(zone), "yyyy-MM-dd HH:mm", locale=locale)


def format_day(value: datetime | str | None, locale: str, zone: ZoneInfo) -> str:
    """The day of a moment in the company's time zone, short enough for a card on a phone: 11-27."""
    if value is None:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment.astimezone(zone), "MM-dd", locale=locale)
