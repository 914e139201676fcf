"""What suppliers and customers share: checking entered fields, applying changes, searching and paging."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Select, Table, or_

from core.catalog.search import matching as search_matching
from core.errors import InvalidPartner
from core.models import Base
from core.models.partners import CREDIT_RATINGS
from core.models.searchable import respell
from core.numbers import parse_money

PAGE_SIZE = 20
MAX_DAYS = 3650
LANGUAGES = ("zh_CN", "en")  # the languages a customer's documents print in
LANGUAGE_WORDS = MappingProxyType({"zh_cn": "zh_CN", "zh": "zh_CN", "cn": "zh_CN", "chinese": "zh_CN",
                                   "中文": "zh_CN", "en": "en", "english": "en", "英文": "en", "英语": "en"})
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _text(kind: str, name: str, value: object, limit: int, *, required: bool = False) -> str:
    text = str(value).strip() if value is not None else ""
    if len(text) > limit or (required and not text):
        raise InvalidPartner(kind=kind, field=name, value=text[:40])
    return text


def _days(kind: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPartner(kind=kind, field=name, value=str(value)[:40])
    text = str(value).strip()
    if not text.isdigit() or int(text) > MAX_DAYS:
        raise InvalidPartner(kind=kind, field=name, value=text[:40])
    return int(text)


def document_language(value: object, kind: str = "customer") -> str:
    """The language a person named (zh_CN, 中文, en, English...); InvalidPartner for another."""
    text = str(value if value is not None else "").strip()
    found = LANGUAGE_WORDS.get(text.lower().replace("-", "_"))
    if found is None:
        raise InvalidPartner(kind=kind, field="language", value=text[:40])
    return found


def _code(kind: str, value: object) -> str:
    code = _text(kind, "code", value, 20, required=True).upper()
    if any(ch.isspace() for ch in code):
        raise InvalidPartner(kind=kind, field="code", value=code)
    return code


def clean_fields(kind: str, values: dict[str, object]) -> dict[str, Any]:
    """Validated column values for the fields given (code, names, ratings, days, limits)."""
    limits = {"name": 200, "contact": 100, "phone": 40, "note": 500}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "code":
            clean[name] = _code(kind, value)
        elif name in limits:
            clean[name] = _text(kind, name, value, limits[name], required=name == "name")
        elif name in ("lead_time_days", "payment_terms_days"):
            clean[name] = _days(kind, name, value)
        elif name == "credit_rating":
            rating = str(value).strip().upper()
            if rating not in CREDIT_RATINGS:
                raise InvalidPartner(kind=kind, field=name, value=rating[:10])
            clean[name] = rating
        elif name == "channel":
            clean[name] = _text(kind, name, value, 20, required=True).lower()
        elif name == "credit_limit":
            clean[name] = parse_money(value)
        elif name == "active":
            clean[name] = bool(value)
        elif name == "language":
            clean[name] = document_language(value, kind)
        else:
            clean[name] = value
    return clean


def apply_changes(row: Base, clean: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the fields that differ and return them as {name: [before, after]} for the audit row."""
    changes = {name: [getattr(row, name), value] for name, value in clean.items() if getattr(row, name) != value}
    for name, (_, value) in changes.items():
        setattr(row, name, value)
    if "name" in changes:
        respell(row, str(row.__tablename__))
    return changes


def matching(statement: S, table: Table, query: str) -> S:
    """Rows whose code is `query` or whose code, name, name's pinyin or initials contains it: the exact code first,
    then a whole name (or pinyin), then a name that starts with it."""
    text = query.strip()[:64]
    code = table.c.code
    if not text:
        return statement.order_by(code)
    hit, rank = search_matching(table, text)
    return statement.where(or_(code == text.upper(), hit)).order_by(code != text.upper(), rank, code)


def page_of(statement: S, page: int) -> S:
    """One page of PAGE_SIZE rows, counted from 1."""
    return statement.limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)

