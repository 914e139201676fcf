"""Stored Idempotency-Key answers are forgotten by the nightly job once older than [api] idempotency_days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from bot.scheduler import SchedulerSettings, purge_idempotency
from core.config import Config
from core.models import ApiToken, IdempotencyRecord
from core.people.tokens import create_token, run_idempotent
from core.permissions import Actor
from core.uow import UnitOfWork

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def keys(uow: UnitOfWork) -> list[str]:
    return uow.read(lambda tx: sorted(tx.session.scalars(select(IdempotencyRecord.key))))


def test_answers_older_than_the_configured_days_are_purged_and_a_late_retry_runs_again(
        engine: Engine, uow: UnitOfWork, admin: Actor) -> None:
    create_token(uow, admin, "webshop", "sales")
    token_id = uow.read(lambda tx: tx.session.scalar(select(ApiToken.id)))
    now = [T0]
    clocked = UnitOfWork(engine, clock=lambda: now[0])
    runs: list[str] = []

    def post(key: str) -> tuple[int, bool]:
        answer = run_idempotent(clocked, token_id, key, "hash-" + key, lambda: (runs.append(key), (201, "{}"))[1])
        return answer.status, answer.replayed

    assert post("order-1") == (201, False)
    now[0] = T0 + timedelta(days=2)
    assert post("order-2") == (201, False)
    assert post("order-1") == (201, True), "a retry within the days is replayed"

    assert purge_idempotency(uow, T0 + timedelta(days=7) - timedelta(seconds=1)) == 0
    assert keys(uow) == ["order-1", "order-2"]
    assert purge_idempotency(uow, T0 + timedelta(days=7, seconds=1)) == 1
    assert keys(uow) == ["order-2"]
    assert purge_idempotency(uow, T0 + timedelta(days=7, seconds=1)) == 0, "running twice is harmless"
    assert purge_idempotency(uow, T0 + timedelta(days=3), days=0.5) == 1, "the age is a parameter"
    assert keys(uow) == []
    now[0] = T0 + timedelta(days=8)
    assert post("order-1") == (201, False), "a retry after the purge runs the request again"
    assert runs == ["order-1", "order-2", "order-1"]


def test_the_age_comes_from_api_idempotency_days_and_defaults_to_a_week() -> None:
    assert SchedulerSettings.from_config(Config()).idempotency_days == 7
    assert SchedulerSettings.from_config(Config(sections={"api": {"idempotency_days": 2}})).idempotency_days == 2
