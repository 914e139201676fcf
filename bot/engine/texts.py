"""Words for replies: Jinja2 templates per language, with numbers, money and dates formatted for the locale."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from bot.engine.tables import clip
from core.errors import DomainError

LANGUAGES = ("zh_CN", "en")
QUOTED_COLUMNS = 30  # what a reply quotes back of what someone typed, at most (a pasted page is not echoed whole)
ERROR_VALUE_COLUMNS = 60  # a refusal's values (a code, an amount, a name), at most
UNIT_WORDS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType({  # the standard units, per reader
    "en": MappingProxyType({"个": "pcs", "件": "pcs", "只": "pcs", "支": "pcs", "根": "pcs", "箱": "box",
                            "盒": "box", "包": "pack", "袋": "bag", "瓶": "bottle", "罐": "can", "桶": "bucket",
                            "套": "set", "双": "pair", "台": "unit", "张": "sheet", "卷": "roll", "块": "pc",
                            "口": "pc", "把": "pc", "条": "pc", "打": "dozen", "千克": "kg", "公斤": "kg",
                            "克": "g", "米": "m", "升": "L"}),
    "zh_CN": MappingProxyType({"pcs": "个", "pc": "个", "piece": "个", "pieces": "个", "ea": "个", "each": "个",
                               "box": "箱", "boxes": "箱", "carton": "箱", "ctn": "箱", "case": "箱", "pack": "包",
                               "bag": "袋", "bottle": "瓶", "can": "罐", "set": "套", "pair": "双", "roll": "卷",
                               "sheet": "张", "dozen": "打", "kg": "千克", "g": "克", "m": "米", "l": "升"}),
})
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

    def unit(self, lang: str, unit: str) -> str:
        """A unit in the reader's words where it is a standard one (个 is "pcs" in English, box is 箱 in Chinese)."""
        return unit_word(unit, lang)

    def error(self, lang: str, error: DomainError) -> str:
        """A domain error in words: template error/<code>, else the generic refusal."""
        params = {k: clip(v, ERROR_VALUE_COLUMNS) if isinstance(v, str) else v for k, v in error.params.items()}
        try:
            return self.render(lang, f"error/{error.code}", **{"code": error.code, **params})
        except TemplateNotFound:
            return self.render(lang, "error/_generic", code=error.code, params=params)

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
        env.filters["unit"] = lambda v: unit_word(str(v), locale)
        env.filters["quoted"] = lambda v: clip(" ".join(str(v).split()), QUOTED_COLUMNS)
        env.globals["undo_minutes"] = self.undo_minutes
        return env


def template_folders(folder: Path) -> list[str]:
    """A language's folder and its per-flow subfolders (templates/<lang>/<flow>/): a template is named by its file
    name alone, whichever flow's folder holds it; `error/<code>` stays a path under the language folder."""
    return [str(folder), *(str(sub) for sub in sorted(folder.iterdir()) if sub.is_dir() and sub.name != "error")]


def unit_word(unit: str, lang: str) -> str:
    """A standard unit in `lang`'s words; any other unit as it was written."""
    words = UNIT_WORDS.get(lang, MappingProxyType({}))
    return words.get(unit) or words.get(unit.lower()) or unit


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
