"""Quiet hours ([delivery] quiet_hours = "22:00-07:00", in the company's time zone): pushes wait until the hours
end, except urgent approvals: an approval card (asked, reminded or escalated) for an amount of at least [delivery]
urgent_amount. Edits of cards already sent (a decided approval) are silent and go at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

URGENT_EVENTS = frozenset({"approval_requested", "approval_reminder", "approval_escalated"})
SILENT_EVENTS = frozenset({"approval_decided"})
SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class QuietHoursError(ValueError):
    """[delivery] quiet_hours or urgent_amount cannot work as written."""


@dataclass(frozen=True)
class QuietHours:
    """A daily window (it may run past midnight) in `zone`, and the amount from which an approval is urgent."""

    start: time
    end: time
    zone: ZoneInfo
    urgent_amount: Decimal | None = None

    @classmethod
    def parse(cls, span: str, zone: str, urgent_amount: str = "") -> QuietHours | None:
        """From "22:00-07:00" (None when empty: no quiet hours) and an amount ("" : no approval is urgent)."""
        if not span.strip():
            return None
        match = SPAN.match(span)
        if match is None:
            raise QuietHoursError(f'[delivery] quiet_hours must look like "22:00-07:00", not {span!r}')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
            raise QuietHoursError(f"[delivery] quiet_hours {span!r} is not a window of the day")
        try:
            amount = Decimal(urgent_amount.strip()) if urgent_amount.strip() else None
        except InvalidOperation as error:
            raise QuietHoursError(f"[delivery] urgent_amount must be a number, not {urgent_amount!r}") from error
        return cls(time(h1, m1), time(h2, m2), ZoneInfo(zone), amount)

    def until(self, now: datetime) -> datetime | None:
        """When the quiet hours around `now` end; None when `now` is outside them."""
        local = now.astimezone(self.zone)
        moment = local.time().replace(tzinfo=None)
        within = self.start <= moment < self.end
        inside = within if self.start < self.end else moment >= self.start or moment < self.end
        if not inside:
            return None
        day = local.date() if moment < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, self.zone)

    def lets_through(self, event_type: str, payload: Mapping[str, Any]) -> bool:
        """Whether a note goes out during the quiet hours: silent edits, and approvals of an urgent amount."""
        if event_type in SILENT_EVENTS:
            return True
        if event_type not in URGENT_EVENTS or self.urgent_amount is None:
            return False
        try:
            return Decimal(str(payload.get("amount", ""))) >= self.urgent_amount
        except InvalidOperation:
            return False
