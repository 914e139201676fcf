"""Binding people to chat accounts: one-time invite codes, web sign-in links, sessions, and each one's language."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import select, update

from core.errors import DomainError, UnknownEmployee
from core.models import ROLES, AccessCode, ChatAccount, Employee, EmployeeRole, WebSession
from core.people.audit import record
from core.people.employees import actor_in
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

INVITE_TTL = timedelta(days=3)
LOGIN_TTL = timedelta(minutes=30)
SESSION_TTL = timedelta(days=14)
LANGUAGES = ("zh_CN", "en")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class InvalidCode(DomainError):
    code = "invalid_code"


class UnknownLanguage(DomainError):
    code = "unknown_language"


@dataclass(frozen=True)
class Issued:
    """A one-time secret shown once to the admin who made it."""

    employee: str
    code: str
    expires_at_iso: str


def digest(secret: str) -> str:
    """SHA-256 hex of a secret: what the database keeps instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_invite(
    uow: UnitOfWork, actor: Actor, name: str, roles: tuple[str, ...] = (), language: str = "zh_CN"
) -> Issued:
    """A one-time invite code for an employee, created (with `roles`) when they do not exist yet."""
    actor.require(Permission.PEOPLE_ADMIN)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))

    def work(tx: Tx) -> Issued:
        employee = _employee_named(tx, name) or _new_employee(tx, actor, name, roles, language)
        expires = tx.now + INVITE_TTL
        tx.session.add(AccessCode(purpose="invite", code_hash=digest(code), employee_id=employee.id,
                                  created_by=actor.employee_id, expires_at=expires))
        record(tx, actor, "invite.create", "employee", employee.id, name=employee.name)
        return Issued(employee.name, code, expires.isoformat())

    return uow.run(work)


def redeem_invite(uow: UnitOfWork, channel: str, external_user_id: str, chat_id: str, code: str) -> Actor:
    """Bind a chat account to the invited employee; the code works once and before it expires."""

    def work(tx: Tx) -> Actor:
        access = _take(tx, "invite", code.strip().upper())
        statement = tx.insert(ChatAccount).values(
            channel=channel, external_user_id=external_user_id, chat_id=chat_id,
            employee_id=access.employee_id, created_at=tx.now,
        )
        tx.session.execute(statement.on_conflict_do_update(
            index_elements=["channel", "external_user_id"],
            set_={"employee_id": access.employee_id, "chat_id": chat_id},
        ))
        actor = actor_in(tx, access.employee_id, channel)
        record(tx, actor, "chat_account.bind", "employee", actor.employee_id, channel=channel,
               external_user_id=external_user_id)
        return actor

    return uow.run(work)


def bind_account(
    uow: UnitOfWork, actor: Actor, employee: str, channel: str, external_user_id: str, chat_id: str
) -> None:
    """An admin maps a messenger account (for example a WeCom UserID) to an employee directly."""
    actor.require(Permission.PEOPLE_ADMIN)

    def work(tx: Tx) -> None:
        target = _employee_named(tx, employee)
        if target is None:
            raise UnknownEmployee(employee=employee)
        tx.session.execute(tx.insert(ChatAccount).values(
            channel=channel, external_user_id=external_user_id, chat_id=chat_id, employee_id=target.id,
            created_at=tx.now,
        ).on_conflict_do_update(index_elements=["channel", "external_user_id"],
                                set_={"employee_id": target.id, "chat_id": chat_id}))
        record(tx, actor, "chat_account.map", "employee", target.id, channel=channel,
               external_user_id=external_user_id)

    uow.run(work)


def actor_for_account(tx: Tx, channel: str, external_user_id: str, message_id: str | None = None) -> Actor | None:
    """The employee bound to a messenger account, acting through that channel; None when unbound or inactive."""
    employee_id = tx.session.scalar(
        select(ChatAccount.employee_id).where(ChatAccount.channel == channel,
                                              ChatAccount.external_user_id == external_user_id))
    if employee_id is None:
        return None
    try:
        return actor_in(tx, employee_id, channel, message_id)
    except UnknownEmployee:
        return None


def bound_actor(uow: UnitOfWork, channel: str, external_user_id: str, acting_channel: str) -> Actor | None:
    """The active employee bound to a chat account, acting through `acting_channel` (a page opened from that chat);
    None when the account is unbound or the employee inactive."""

    def work(tx: Tx) -> Actor | None:
        found = actor_for_account(tx, channel, external_user_id)
        return None if found is None else replace(found, channel=acting_channel)

    return uow.read(work)


def chat_ids_of(tx: Tx, employee_id: int) -> list[tuple[str, str]]:
    """The (channel, chat id) pairs where an employee can be reached."""
    rows = tx.session.execute(
        select(ChatAccount.channel, ChatAccount.chat_id).where(ChatAccount.employee_id == employee_id)
        .order_by(ChatAccount.id))
    return [(r.channel, r.chat_id) for r in rows]


def create_login_link(uow: UnitOfWork, actor: Actor, name: str) -> Issued:
    """A one-time browser sign-in token for an employee, valid for half an hour."""
    actor.require(Permission.PEOPLE_ADMIN)
    token = secrets.token_urlsafe(24)

    def work(tx: Tx) -> Issued:
        employee = _employee_named(tx, name)
        if employee is None:
            raise UnknownEmployee(employee=name)
        expires = tx.now + LOGIN_TTL
        tx.session.add(AccessCode(purpose="login", code_hash=digest(token), employee_id=employee.id,
                                  created_by=actor.employee_id, expires_at=expires))
        record(tx, actor, "login_link.create", "employee", employee.id)
        return Issued(employee.name, token, expires.isoformat())

    return uow.run(work)


@dataclass(frozen=True)
class NewSession:
    cookie: str
    csrf_token: str
    actor: Actor


def sign_in(uow: UnitOfWork, token: str) -> NewSession:
    """Trade a one-time sign-in token for a browser session (cookie and CSRF token)."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)

    def work(tx: Tx) -> NewSession:
        access = _take(tx, "login", token.strip())
        tx.session.add(WebSession(session_hash=digest(cookie), csrf_token=csrf, employee_id=access.employee_id,
                                  created_at=tx.now, expires_at=tx.now + SESSION_TTL))
        _bind_web(tx, access.employee_id)
        actor = actor_in(tx, access.employee_id, "web")
        record(tx, actor, "web.sign_in", "employee", actor.employee_id)
        return NewSession(cookie, csrf, actor)

    return uow.run(work)


def session_actor(uow: UnitOfWork, cookie: str) -> tuple[Actor, str] | None:
    """The signed-in employee and the session's CSRF token for a cookie; None when unknown or expired."""

    def work(tx: Tx) -> tuple[Actor, str] | None:
        session = tx.session.execute(
            select(WebSession).where(WebSession.session_hash == digest(cookie))).scalar_one_or_none()
        if session is None or session.expires_at <= tx.now:
            return None
        try:
            return actor_in(tx, session.employee_id, "web"), session.csrf_token
        except UnknownEmployee:
            return None

    return uow.read(work)


def sign_out(uow: UnitOfWork, cookie: str) -> None:
    """End a browser session."""
    uow.run(lambda tx: tx.session.execute(
        update(WebSession).where(WebSession.session_hash == digest(cookie)).values(expires_at=tx.now)))


def set_language(uow: UnitOfWork, actor: Actor, language: str) -> str:
    """Remember the language an employee reads replies in."""
    if language not in LANGUAGES:
        raise UnknownLanguage(language=language[:20], choices=list(LANGUAGES))

    def work(tx: Tx) -> str:
        tx.session.execute(update(Employee).where(Employee.id == actor.employee_id).values(language=language))
        record(tx, actor, "employee.language", "employee", actor.employee_id, language=language)
        return language

    return uow.run(work)


def web_user_id(employee_id: int) -> str:
    """The browser chat's account (and chat) id of an employee: the same on every device they sign in from."""
    return f"emp:{employee_id}"


def _bind_web(tx: Tx, employee_id: int) -> None:
    """Signing in binds the employee's browser chat account, so the engine knows who is writing."""
    account = web_user_id(employee_id)
    tx.session.execute(tx.insert(ChatAccount).values(
        channel="web", external_user_id=account, chat_id=account, employee_id=employee_id, created_at=tx.now,
    ).on_conflict_do_nothing(index_elements=["channel", "external_user_id"]))


def _take(tx: Tx, purpose: str, secret: str) -> AccessCode:
    """Use up a one-time code: a conditional UPDATE, so two simultaneous redemptions cannot both succeed."""
    if not secret or len(secret) > 100:
        raise InvalidCode()
    taken = tx.session.execute(
        update(AccessCode)
        .where(AccessCode.code_hash == digest(secret), AccessCode.purpose == purpose,
               AccessCode.used_at.is_(None), AccessCode.expires_at > tx.now)
        .values(used_at=tx.now)
        .returning(AccessCode.id)
    ).scalar_one_or_none()
    if taken is None:
        raise InvalidCode()
    return tx.session.get_one(AccessCode, taken)


def _employee_named(tx: Tx, name: str) -> Employee | None:
    return tx.session.execute(select(Employee).where(Employee.name == name.strip())).scalar_one_or_none()


def _new_employee(tx: Tx, actor: Actor, name: str, roles: tuple[str, ...], language: str) -> Employee:
    wanted = sorted(set(roles))
    if not name.strip() or not wanted or any(r not in ROLES for r in wanted):
        raise UnknownEmployee(employee=name[:100], reason="new_employee_needs_valid_roles")
    employee = Employee(name=name.strip(), language=language if language in LANGUAGES else "zh_CN")
    employee.roles = [EmployeeRole(role=r) for r in wanted]
    tx.session.add(employee)
    tx.session.flush()
    record(tx, actor, "employee.create", "employee", employee.id, name=employee.name, roles=wanted)
    return employee
