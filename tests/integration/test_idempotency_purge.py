"""Stored Idempotency-Key answers are forgotten by the nightly job once older than [api] idempotency_days; a refused
request's answer is stored without anything of its work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from bot.scheduler import SchedulerSettings, purge_idempotency
from core.config import Config
from core.errors import UnknownProduct
from core.models import ApiToken, AuditLog, IdempotencyRecord
from core.people.audit import record
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
        answer = run_idempotent(clocked, token_id, key, "hash-" + key, lambda: (runs.append(key), (201, "{}"))[1],
                                lambda error: (422, error.code))
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


def test_a_refusal_after_some_work_leaves_only_its_stored_answer_and_a_retry_replays_it(
        uow: UnitOfWork, admin: Actor) -> None:
    create_token(uow, admin, "webshop", "sales")
    token_id = uow.read(lambda tx: tx.session.scalar(select(ApiToken.id)))
    audits = uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(AuditLog)))
    runs: list[int] = []

    def action() -> tuple[int, str]:
        runs.append(1)
        uow.run(lambda tx: record(tx, admin, "gadget.made", "gadget", 1))  # written, then the request is refused
        raise UnknownProduct(sku="NOPE")

    def post() -> tuple[int, str, bool]:
        answer = run_idempotent(uow, token_id, "order-9", "hash", action, lambda error: (422, error.code))
        return answer.status, answer.body, answer.replayed

    assert post() == (422, "unknown_product", False)
    assert post() == (422, "unknown_product", True), "the refusal is replayed, not run again"
    assert runs == [1]
    assert uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(AuditLog))) == audits
    assert keys(uow) == ["order-9"]
