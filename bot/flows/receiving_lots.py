"""The lot step of receiving in chat, asked only for products tracked by lot or serial: the lot and its expiry
typed ("L2301 2026-12-31") or read from a GS1 scan (GTIN, lot AI 10, expiry AI 17, serial AI 21), serial numbers
typed or scanned one by one until there is one per unit; a serial given twice is refused."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event
from bot.engine.replies import Reply
from bot.flows.entry import refusal
from core.codes.gs1 import parse_gs1
from core.errors import DomainError, LotRefused
from core.stock.lots import lot_code, parse_date

_SEPARATORS = re.compile(r"[\s,，、;；]+")


def needs_lot(line: dict[str, Any], current: dict[str, Any]) -> bool:
    """A tracked line with goods received and its lot (or all its serials) not given yet."""
    tracking = line.get("tracking", "none")
    if tracking == "none" or Decimal(current["received"]) <= 0:
        return False
    if tracking == "serial":
        return Decimal(len(current.get("serials", ()))) != Decimal(current["received"])
    return not current.get("lot")


def ask_lot(ctx: Context, line: dict[str, Any], current: dict[str, Any]) -> Reply:
    """Ask for the lot and expiry, or for the serials still missing."""
    if line.get("tracking") == "serial":
        have = current.get("serials", [])
        return ctx.say("receive_ask_serials", sku=line["sku"], count=Decimal(current["received"]) - len(have),
                       have=have)
    return ctx.say("receive_ask_lot", sku=line["sku"], received=Decimal(current["received"]))


def read_lot(ctx: Context, line: dict[str, Any], current: dict[str, Any],
             event: Event) -> tuple[dict[str, Any], Reply | None]:
    """The line with what was typed or scanned; a reply when something is still missing or was refused."""
    given = [c for c in event.codes or () if c] or _SEPARATORS.split((event.text or "").strip())
    given = [g for g in given if g]
    try:
        current = _serials(current, given) if line.get("tracking") == "serial" else _lot(current, given)
    except DomainError as error:
        return current, refusal(ctx, error, None)
    if needs_lot(line, current):
        return current, ask_lot(ctx, line, current)
    return current, None


def _lot(current: dict[str, Any], given: list[str]) -> dict[str, Any]:
    if not given:
        raise LotRefused(reason="lot_required", sku=current["sku"])
    scan = parse_gs1(given[0])
    if scan is not None:
        if not scan.lot:
            raise LotRefused(reason="lot_required", sku=current["sku"])
        expiry = scan.expiry
        return {**current, "lot": lot_code(scan.lot), "expiry": None if expiry is None else expiry.isoformat()}
    expiry = parse_date(given[1], "expiry") if len(given) > 1 else None
    return {**current, "lot": lot_code(given[0]), "expiry": None if expiry is None else expiry.isoformat()}


def _serials(current: dict[str, Any], given: list[str]) -> dict[str, Any]:
    serials = list(current.get("serials", []))
    for text in given:
        scan = parse_gs1(text)
        serial = lot_code(scan.serial if scan is not None and scan.serial else text)
        if serial in serials:
            raise LotRefused(reason="duplicate_serial", lot=serial, sku=current["sku"])
        serials.append(serial)
    if Decimal(len(serials)) > Decimal(current["received"]):
        raise LotRefused(reason="serial_count", sku=current["sku"], count=len(serials), qty=current["received"])
    return {**current, "serials": serials}
