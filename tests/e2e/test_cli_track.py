"""`jxc track SKU lot|serial`: a product starts being tracked from the command line; a wrong one is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli import main as jxc
from core.models import Product
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import url_of
from tests.factories import make_shop


def test_track_sets_tracking_shelf_life_and_alert_and_refuses_nonsense(
        uow: UnitOfWork, admin: Actor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    make_shop(uow, admin)
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))
    assert jxc(["track", "tea-cup", "lot", "--shelf-life", "365", "--alert", "30"]) == 0
    assert capsys.readouterr().out.strip() == "TEA-CUP: tracked by lot"
    stored = uow.read(lambda tx: tx.session.execute(select(Product.tracking, Product.shelf_life_days,
                                                           Product.alert_days).where(Product.sku == "TEA-CUP")).one())
    assert tuple(stored) == ("lot", 365, 30)
    assert jxc(["track", "TEA-CUP", "serial", "--alert", "-3"]) == 2
    refused = capsys.readouterr().err
    assert "“-3”不是有效的天数" in refused and "lot_refused" in refused, refused
