"""What every /api/v1 route shares: JSON encoding, the error body, the caller's language, request fields and
query parameters checked (BadRequest: 400), and pages with a link to the next one."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from core.catalog import listing as api_reads
from core.text_input import unreadable_in

BASE = "/api/v1"
MAX_LINES = 1000
SERVICE_PAGE = 20
MAX_PAGE = 10_000
PLAIN_DECIMAL = re.compile(r"\s*-?[0-9]+(?:\.[0-9]+)?\s*")


class BadRequest(Exception):
    """Malformed JSON or fields: 400."""


def encode(value: Any) -> Any:
    """JSON-ready data: Decimals as strings, datetimes in ISO 8601, dataclasses as objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation (0E-6)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """The value as compact JSON text, through encode."""
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))


def language(request: web.Request) -> str:
    """zh_CN when Accept-Language puts Chinese first, else English."""
    first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "zh_CN" if first.startswith("zh") else "en"


def error_body(code: str, message: str, **extra: Any) -> str:
    """The JSON error body every refusal carries."""
    return dumps({"error": {"code": code, "message": message, **extra}})


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error response."""
    return web.Response(status=status, text=error_body(code, message), content_type="application/json",
                        headers=headers)


# Request fields


def check_readable(request: web.Request, body: Any = None) -> None:
    """Refuse control characters (NUL, ...) and lone surrogates in the path, the query and the body: BadRequest."""
    if unreadable_in(dict(request.match_info)) or unreadable_in(list(request.query.items())):
        raise BadRequest("the path or query holds control characters")
    if unreadable_in(body):
        raise BadRequest("the body holds control characters or nests too deep")


def text_field(body: dict[str, Any], name: str, *, required: bool = True, default: str = "", limit: int = 500) -> str:
    """A string field of at most `limit` characters."""
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"field {name!r} is required")
        return default
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(f"field {name!r} must be a string of at most {limit} characters")
    return value


def amount_field(value: Any, name: str, *, required: bool = True) -> object:
    """A plain decimal string ("1500", "2.5": no thousands separators, no exponent) or a JSON number (read exactly,
    never through a float), passed on for core to check against its limits."""
    if value is None and not required:
        return None
    plain = isinstance(value, int | Decimal) or (isinstance(value, str) and PLAIN_DECIMAL.fullmatch(value))
    if isinstance(value, bool) or not plain or len(str(value)) > 40:
        raise BadRequest(f"field {name!r} must be a plain decimal string such as \"1500\" or \"2.5\" "
                         "(no thousands separators, no exponent) or a JSON number")
    return value


def known_fields(value: dict[str, Any], allowed: Collection[str], where: str = "the body") -> dict[str, Any]:
    """The object itself when it has no field but those allowed: a field we would ignore is refused instead."""
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r} in {where}; allowed: {', '.join(allowed)}")
    return value


def lines_field(body: dict[str, Any], allowed: Collection[str], *, required: bool = True
                ) -> list[dict[str, Any]] | None:
    """The body's lines: a list of 1 to MAX_LINES objects, each with no field but those allowed."""
    lines = body.get("lines")
    if lines is None and not required:
        return None
    if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
        raise BadRequest(f"field 'lines' must be a list of 1 to {MAX_LINES} objects")
    if not all(isinstance(line, dict) for line in lines):
        raise BadRequest("every line must be an object")
    return [known_fields(line, allowed, f"line {n}") for n, line in enumerate(lines, 1)]


def serials_field(line: dict[str, Any]) -> tuple[str, ...]:
    """A line's serial numbers: a list of at most MAX_LINES strings (none when absent)."""
    value = line.get("serials")
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_LINES or not all(isinstance(s, str) for s in value):
        raise BadRequest(f"field 'serials' must be a list of at most {MAX_LINES} strings")
    return tuple(value)


def unit_field(line: dict[str, Any]) -> str | None:
    """A line's pack unit (箱, box ...: the product's units), None for the base unit."""
    return text_field(line, "unit", required=False, limit=20).strip() or None


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter between low and high."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise BadRequest(f"query parameter {name!r} must be a whole number") from error
    if not low <= value <= high:
        raise BadRequest(f"query parameter {name!r} must be between {low} and {high}")
    return value


def query_text(request: web.Request, name: str) -> str:
    """A text query parameter of at most 64 characters ("" when absent)."""
    value = request.query.get(name, "")
    if len(value) > 64:
        raise BadRequest(f"query parameter {name!r} is too long")
    return value


# Pages


def paged(request: web.Request, fetch: Callable[[int, int], Sequence[Any]]) -> dict[str, Any]:
    """A page of `fetch(offset, limit)` and the link to the next one."""
    page = int_query(request, "page", 1, 1, MAX_PAGE)
    size = int_query(request, "page_size", SERVICE_PAGE, 1, api_reads.MAX_PAGE_SIZE)
    items = list(fetch((page - 1) * size, size + 1))
    following = None
    if len(items) > size:
        query = {**request.query, "page": str(page + 1), "page_size": str(size)}
        following = f"{BASE}{request.path[len(BASE):]}?{urlencode(query)}"
    return {"items": items[:size], "page": page, "page_size": size, "next": following}


def pages(service_page: Callable[[int], Sequence[Any]]) -> Callable[[int, int], list[Any]]:
    """fetch(offset, limit) from a service that returns fixed pages of SERVICE_PAGE rows."""

    def fetch(offset: int, limit: int) -> list[Any]:
        rows: list[Any] = []
        number = offset // SERVICE_PAGE + 1
        skip = offset % SERVICE_PAGE
        while len(rows) < skip + limit:
            got = service_page(number)
            rows.extend(got)
            if len(got) < SERVICE_PAGE:
                break
            number += 1
        return rows[skip:skip + limit]

    return fetch
