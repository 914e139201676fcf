"""API tokens for integrations (hashed, per role, revocable) and the stored answers behind Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from core.catalog.products import warehouse_in
from core.errors import DomainError, DuplicateCode, PermissionDenied, UnknownEmployee
from core.models import ROLES, ApiToken, Employee, EmployeeRole, EmployeeWarehouse, IdempotencyRecord
from core.people.audit import record
from core.permissions import ROLE_PERMISSIONS, Actor, Permission
from core.uow import Tx, UnitOfWork

TOKEN_PREFIX = "jxc_"
EMPLOYEE_PREFIX = "api:"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the secret is shown once and never stored."""

    name: str
    role: str
    secret: str


@dataclass(frozen=True)
class TokenView:
    name: str
    role: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """An authenticated integration: its token row and the actor it acts as."""

    token_id: int
    name: str
    actor: Actor


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as stored for replays: status and JSON body text."""

    status: int
    body: str
    replayed: bool = False
    conflict: bool = False


def hash_secret(secret: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def scopes_of(role: str) -> tuple[str, ...]:
    """The permissions a role grants, as the token's scopes."""
    return tuple(sorted(p.value for p in ROLE_PERMISSIONS.get(role, frozenset())))


def create_token(
    uow: UnitOfWork, actor: Actor, name: str, role: str, warehouses: tuple[str, ...] = ()
) -> IssuedToken:
    """A bearer token for an integration acting with one role (admins only), in the warehouses named (codes in
    any case, as everywhere; an unknown one is refused); the secret is returned once."""
    actor.require(Permission.PEOPLE_ADMIN)
    name = name.strip()
    if role not in ROLES or not name or len(name) > 90:
        raise PermissionDenied(reason="unknown_role", roles=[role])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(tx: Tx) -> IssuedToken:
        taken = tx.session.scalar(select(ApiToken.id).where(ApiToken.name == name))
        if taken is not None or tx.session.scalar(select(Employee.id).where(Employee.name == EMPLOYEE_PREFIX + name)):
            raise DuplicateCode(kind="api_token", code=name)
        ids = sorted({warehouse_in(tx, code).id for code in warehouses})  # any case; UnknownWarehouse otherwise
        employee = Employee(name=EMPLOYEE_PREFIX + name, language="en", created_at=tx.now)
        employee.roles = [EmployeeRole(role=role)]
        employee.warehouses = [EmployeeWarehouse(warehouse_id=i) for i in ids]
        tx.session.add(employee)
        tx.session.flush()
        token = ApiToken(name=name, token_hash=hash_secret(secret), role=role, scopes=",".join(scopes_of(role)),
                         employee_id=employee.id, created_by=actor.employee_id, created_at=tx.now)
        tx.session.add(token)
        tx.session.flush()
        record(tx, actor, "api_token.create", "api_token", token.id, name=name, role=role)
        return IssuedToken(name, role, secret)

    return uow.run(work)


def list_tokens(uow: UnitOfWork, actor: Actor) -> list[TokenView]:
    """Every token, newest first, without secrets (admins only)."""
    actor.require(Permission.PEOPLE_ADMIN)

    def work(tx: Tx) -> list[TokenView]:
        rows = tx.session.scalars(select(ApiToken).order_by(ApiToken.id.desc()))
        return [TokenView(t.name, t.role, tuple(s for s in t.scopes.split(",") if s), t.created_at, t.revoked_at,
                          t.last_used_at) for t in rows]

    return uow.read(work)


def revoke_token(uow: UnitOfWork, actor: Actor, name: str) -> TokenView:
    """Refuse a token from now on (admins only); its integration's employee is deactivated too."""
    actor.require(Permission.PEOPLE_ADMIN)

    def work(tx: Tx) -> TokenView:
        token = tx.session.scalar(select(ApiToken).where(ApiToken.name == name.strip()).with_for_update())
        if token is None:
            raise UnknownEmployee(employee=name[:40], reason="unknown_api_token")
        if token.revoked_at is None:
            token.revoked_at = tx.now
            tx.session.execute(update(Employee).where(Employee.id == token.employee_id).values(active=False))
            record(tx, actor, "api_token.revoke", "api_token", token.id, name=token.name)
        return TokenView(token.name, token.role, tuple(token.scopes.split(",")), token.created_at, token.revoked_at,
                         token.last_used_at)

    return uow.run(work)


def authenticate(uow: UnitOfWork, secret: str, *, touch_every_seconds: float = 60.0) -> Caller | None:
    """The caller a bearer secret belongs to, or None (unknown, revoked, or its employee inactive)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)

    def work(tx: Tx) -> tuple[Caller, bool] | None:
        rows = tx.conn.execute(  # one row per warehouse of the token's employee (one with None for none)
            select(ApiToken.id, ApiToken.name, ApiToken.token_hash, ApiToken.role, ApiToken.employee_id,
                   ApiToken.revoked_at, ApiToken.last_used_at, Employee.name, Employee.active,
                   EmployeeWarehouse.warehouse_id)
            .join(Employee, Employee.id == ApiToken.employee_id)
            .outerjoin(EmployeeWarehouse, EmployeeWarehouse.employee_id == ApiToken.employee_id)
            .where(ApiToken.token_hash == digest)
        ).all()
        if not rows:
            return None
        row = rows[0]
        if not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None or not row.active:
            return None
        warehouses = {r.warehouse_id for r in rows if r.warehouse_id is not None}
        stale = row.last_used_at is None or (tx.now - row.last_used_at).total_seconds() >= touch_every_seconds
        actor = Actor(employee_id=row.employee_id, name=row[7], roles=frozenset({row.role}),
                      warehouse_ids=frozenset(warehouses), language="en", channel="api")
        return Caller(row.id, row.name, actor), stale

    found = uow.read(work)
    if found is None:
        return None
    caller, stale = found
    if stale:
        uow.run(lambda tx: tx.session.execute(
            update(ApiToken).where(ApiToken.id == caller.token_id).values(last_used_at=tx.now)))
    return caller


class _Taken(Exception):
    """The key was claimed by a transaction that has committed since."""


def run_idempotent(
    uow: UnitOfWork, token_id: int, key: str, request_hash: str, action: Callable[[], tuple[int, str]],
    refusal: Callable[[DomainError], tuple[int, str]],
) -> Answer:
    """Claim (token, key) first, then run `action` in the same transaction and store its answer with the claim.

    A concurrent retry's claim waits on the unique key until the first commits, then replays the stored
    answer; the same key with another request body is a conflict. A refusal (`action` raises DomainError) drops
    the whole transaction, claim and work, and the answer `refusal` makes of it is then stored alone (unless a
    retry has claimed the key meanwhile): the work needs no savepoint of its own.
    """

    def claimed(tx: Tx, status: int = 0, body: str = "") -> int | None:
        claim_id: int | None = tx.conn.execute(
            tx.insert(IdempotencyRecord).on_conflict_do_nothing(index_elements=["token_id", "key"])
            .returning(IdempotencyRecord.id),
            {"token_id": token_id, "key": key, "request_hash": request_hash, "status": status, "body": body,
             "created_at": tx.now},
        ).scalar_one_or_none()
        return claim_id

    def work(tx: Tx) -> Answer:
        claim_id = claimed(tx)
        if claim_id is None:  # a key already taken ends this transaction anyway
            raise _Taken()
        status, body = action()
        tx.conn.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == claim_id)
                        .values(status=status, body=body))
        return Answer(status, body)

    try:
        return uow.run(work)
    except _Taken:
        pass
    except DomainError as error:
        status, body = refusal(error)
        if uow.run(lambda tx: claimed(tx, status, body)) is not None:
            return Answer(status, body)
    stored = uow.read(lambda tx: tx.session.execute(
        select(IdempotencyRecord.request_hash, IdempotencyRecord.status, IdempotencyRecord.body)
        .where(IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key)).one())
    if not hmac.compare_digest(stored.request_hash, request_hash):
        return Answer(422, "", replayed=True, conflict=True)
    return Answer(stored.status, stored.body, replayed=True)


def purge_idempotency_records(uow: UnitOfWork, older_than: datetime) -> int:
    """Forget the stored answers of Idempotency-Keys first used before `older_than` (a retry after that runs the
    request again); how many were forgotten. A system job: no actor, no audit row."""
    return uow.run(lambda tx: tx.conn.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)).rowcount)
