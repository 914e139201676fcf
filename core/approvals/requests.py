"""Approval requests: rules by document type and amount, submitting, reminders and escalation (deciding a level is
core/approvals/decisions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, exists, or_, select, update

from core.errors import (
    InvalidState,
    PermissionDenied,
    UnknownDocument,
)
from core.integration.outbox import Note, notify, write_notes
from core.models import (
    ROLES,
    ApprovalDecision,
    ApprovalRequest,
    ApprovalRule,
    Employee,
    EmployeeRole,
    Notification,
    Product,
)
from core.numbers import parse_money, round_money
from core.payloads import to_plain
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

ESCALATION: Mapping[str, str] = MappingProxyType({
    "purchaser": "manager", "sales": "manager", "warehouse": "manager", "finance": "manager",
    "manager": "admin", "admin": "admin",
})
FORCED_LEVELS = ("manager",)
REMIND_AFTER = timedelta(hours=4)
ESCALATE_AFTER = timedelta(hours=24)
REQUESTS: Table = ApprovalRequest.__table__  # type: ignore[assignment]
# Built once: every document submitted runs them.
_RULE_LEVELS = (
    select(ApprovalRule.levels)
    .where(ApprovalRule.doc_type == bindparam("doc_type"), ApprovalRule.active,
           ApprovalRule.amount_from <= bindparam("amount"))
    .order_by(ApprovalRule.amount_from.desc()).limit(1)
)
_PENDING_REQUEST = select(REQUESTS.c.id).where(
    REQUESTS.c.doc_type == bindparam("doc_type"), REQUESTS.c.doc_id == bindparam("doc_id"),
    REQUESTS.c.status == "pending")


@dataclass(frozen=True)
class ApprovalOutcome:
    """required=False: no rule applies and the caller treats the document as approved now."""

    required: bool
    request_id: int | None


@dataclass(frozen=True)
class PendingApproval:
    """A request the actor may decide now, with what the approver needs to see."""

    request_id: int
    doc_type: str
    doc_id: int
    number: str
    amount: Decimal
    author_id: int
    author: str
    level: int
    levels: tuple[str, ...]
    role: str
    escalated_to: str | None
    summary: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class DecisionView:
    level: int
    role: str
    employee: str
    channel: str
    decision: str
    reason: str
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class RuleOut:
    id: int
    doc_type: str
    amount_from: Decimal
    levels: tuple[str, ...]
    active: bool


def submit_for_approval(
    tx: Tx, actor: Actor, doc_type: str, doc_id: int, number: str, amount: Decimal, summary: dict[str, Any],
    force: bool = False, *, remind_after: timedelta = REMIND_AFTER, escalate_after: timedelta = ESCALATE_AFTER,
) -> ApprovalOutcome:
    """Open a request by the rule with the highest amount_from <= amount (or a manager when forced); notify."""
    levels = _levels_for(tx, doc_type, amount, force)
    if not levels:
        return ApprovalOutcome(required=False, request_id=None)
    if tx.conn.execute(_PENDING_REQUEST, {"doc_type": doc_type, "doc_id": doc_id}).first() is not None:
        raise InvalidState(reason="approval_pending", number=number)
    request = ApprovalRequest(
        doc_type=doc_type, doc_id=doc_id, number=number, amount=amount, author_id=actor.employee_id,
        status="pending", current_level=0, current_role=levels[0], levels=levels, summary=to_plain(summary),
        remind_at=tx.now + remind_after, escalate_at=tx.now + escalate_after, created_at=tx.now,
    )
    tx.session.add(request)
    tx.session.flush()
    notify_level(tx, request, "approval_requested")
    record(tx, actor, "approval.submit", "approval_request", request.id, doc_type=doc_type, doc_id=doc_id,
           number=number, amount=amount, levels=levels, forced=force)
    return ApprovalOutcome(required=True, request_id=request.id)


def cancel_request(tx: Tx, doc_type: str, doc_id: int) -> None:
    """Withdraw the pending request of a document being cancelled."""
    tx.session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.doc_type == doc_type, ApprovalRequest.doc_id == doc_id,
               ApprovalRequest.status == "pending")
        .values(status="cancelled", decided_at=tx.now)
    )


def withdraw_request(tx: Tx, actor: Actor, doc_type: str, doc_id: int) -> None:
    """The author took the document back: its pending request is cancelled and the cards sent for it say so."""
    request = tx.session.execute(
        select(ApprovalRequest).where(ApprovalRequest.doc_type == doc_type, ApprovalRequest.doc_id == doc_id,
                                      ApprovalRequest.status == "pending").with_for_update()
    ).scalar_one_or_none()
    if request is None:
        return
    request.status = "cancelled"
    request.decided_at = tx.now
    tx.session.flush()
    close_cards(tx, actor, request, request.current_level, "withdraw")
    record(tx, actor, "approval.withdraw", "approval_request", request.id, doc_type=doc_type,
           number=request.number, level=request.current_level, amount=request.amount)


def close_cards(tx: Tx, actor: Actor, request: ApprovalRequest, level: int, decision: str) -> None:
    """Everyone asked to decide `level` (its card, reminder or escalation) hears who decided it and when: the
    dispatcher edits the card it sent them in place, and pushes nothing where it sent none."""
    asked = [Notification.dedupe_key.startswith(f"{kind}:{request.id}:{level}:", autoescape=True)
             for kind in ("approval_requested", "approval_reminder", "approval_escalated")]
    holders = set(tx.session.scalars(select(Notification.recipient_id).where(or_(*asked))))
    payload = {**request_payload(request), "level": level, "decided_by": actor.name,
               "decided_by_id": actor.employee_id, "decided_on": actor.channel,
               "decision": decision, "decided_at": tx.now.isoformat(),
               "status": request.status}
    notify(tx, "approval_decided", holders, payload, f"approval_decided:{request.id}:{level}")


def waiting_for(actor: Actor) -> ColumnElement[bool]:
    """Pending requests at a level the actor may decide, not their own and not already decided by them."""
    condition = and_(ApprovalRequest.status == "pending", ApprovalRequest.author_id != actor.employee_id,
                     ~exists().where(ApprovalDecision.request_id == ApprovalRequest.id,
                                     ApprovalDecision.employee_id == actor.employee_id))
    if "admin" in actor.roles:
        return condition
    roles = sorted(actor.roles) or [""]
    return and_(condition, or_(ApprovalRequest.current_role.in_(roles), ApprovalRequest.escalated_to.in_(roles)))


def pending_for(uow: UnitOfWork, actor: Actor) -> list[PendingApproval]:
    """Requests waiting at a level this actor may decide, oldest first; never their own documents."""

    def work(tx: Tx) -> list[PendingApproval]:
        rows = tx.session.execute(
            select(ApprovalRequest, Employee.name).join(Employee, Employee.id == ApprovalRequest.author_id)
            .where(waiting_for(actor)).order_by(ApprovalRequest.created_at, ApprovalRequest.id)).all()
        names = _product_names(tx, [dict(r.summary) for r, _ in rows])
        return [
            PendingApproval(r.id, r.doc_type, r.doc_id, r.number, round_money(r.amount, tx.money_places), r.author_id,
                            author, r.current_level, tuple(r.levels), r.current_role, r.escalated_to,
                            _named(dict(r.summary), names), r.created_at)
            for r, author in rows
        ]

    return uow.read(work)


def _summary_lines(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    lines = summary.get("lines")
    return [ln for ln in lines if isinstance(ln, dict)] if isinstance(lines, list) else []


def _product_names(tx: Tx, summaries: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str | None]]:
    """The names of the products the summaries' lines name by SKU alone, in one statement."""
    skus = {str(ln["sku"]) for s in summaries for ln in _summary_lines(s) if "sku" in ln and "name_zh" not in ln}
    if not skus:
        return {}
    rows = tx.session.execute(select(Product.sku, Product.name_zh, Product.name_en).where(Product.sku.in_(skus)))
    return {r.sku: (r.name_zh, r.name_en) for r in rows}


def _named(summary: dict[str, Any], names: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    """The summary with each line's product names, so an approver reads what is ordered, not only its SKU."""
    lines = _summary_lines(summary)
    if not lines:
        return summary
    summary["lines"] = [ln if "name_zh" in ln or str(ln.get("sku")) not in names else
                        {**ln, "name_zh": names[str(ln["sku"])][0], "name_en": names[str(ln["sku"])][1]}
                        for ln in lines]
    return summary


def decisions_of(uow: UnitOfWork, actor: Actor, request_id: int) -> list[DecisionView]:
    """Who decided which level of a request, when, through which channel: for its author and its approvers."""

    def work(tx: Tx) -> list[DecisionView]:
        request = tx.session.get(ApprovalRequest, request_id)
        if request is None:
            raise UnknownDocument(request_id=request_id)
        if actor.employee_id != request.author_id and not ({"admin", *request.levels} & actor.roles):
            raise PermissionDenied(employee=actor.name, permission="approval.view", role=request.current_role)
        rows = tx.session.execute(
            select(ApprovalDecision, Employee.name).join(Employee, Employee.id == ApprovalDecision.employee_id)
            .where(ApprovalDecision.request_id == request_id).order_by(ApprovalDecision.level)
        )
        return [DecisionView(d.level, d.role, name, d.channel, d.decision, d.reason, d.amount_at_decision, d.at)
                for d, name in rows]

    return uow.read(work)


def due_reminders(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Remind the current level of every request past its reminder time, once per level; rows written."""

    def work(tx: Tx) -> int:
        at = now or tx.now
        requests = _due(tx, ApprovalRequest.remind_at, ApprovalRequest.reminded_at, at)
        holders = _holders(tx, {r.current_role for r in requests})
        notes = [Note("approval_reminder", e, request_payload(r), f"approval_reminder:{r.id}:{r.current_level}:{e}")
                 for r in requests for e in _recipients(holders, r, r.current_role)]
        written = write_notes(tx, notes)
        if requests:
            tx.session.execute(update(ApprovalRequest).where(ApprovalRequest.id.in_([r.id for r in requests]))
                               .values(reminded_at=at))
        return written

    return uow.run(work)


def due_escalations(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Hand every request past its escalation time to the next role up (manager -> admin), once per level."""

    def work(tx: Tx) -> int:
        at = now or tx.now
        requests = _due(tx, ApprovalRequest.escalate_at, ApprovalRequest.escalated_at, at)
        targets = {r.id: ESCALATION.get(r.current_role, "admin") for r in requests}
        holders = _holders(tx, set(targets.values()))
        notes = [
            Note("approval_escalated", e, {**request_payload(r), "from_role": r.current_role, "to_role": targets[r.id]},
                 f"approval_escalated:{r.id}:{r.current_level}:{e}")
            for r in requests for e in _recipients(holders, r, targets[r.id])
        ]
        written = write_notes(tx, notes)
        if requests:
            tx.session.execute(
                update(REQUESTS).where(REQUESTS.c.id == bindparam("request_id"))
                .values(escalated_at=bindparam("at"), escalated_to=bindparam("to")),
                [{"request_id": r.id, "at": at, "to": targets[r.id]} for r in requests],
            )
        return written

    return uow.run(work)


def set_rule(
    uow: UnitOfWork, actor: Actor, doc_type: str, amount_from: object, levels: Sequence[str],
    active: bool = True,
) -> RuleOut:
    """Create or change the rule for a document type from an amount up: the roles that approve, in order."""
    actor.require(Permission.APPROVAL_RULES_EDIT)
    amount = parse_money(amount_from)
    wanted = [role.strip().lower() for role in levels]
    doc_type = doc_type.strip()
    if not doc_type or len(doc_type) > 30:
        raise InvalidState(reason="invalid_doc_type", doc_type=doc_type[:40])
    if not wanted or any(role not in ROLES for role in wanted):
        raise InvalidState(reason="invalid_levels", levels=wanted)

    def work(tx: Tx) -> RuleOut:
        rule = tx.session.execute(
            select(ApprovalRule).where(ApprovalRule.doc_type == doc_type, ApprovalRule.amount_from == amount)
            .with_for_update()
        ).scalar_one_or_none()
        if rule is None:
            rule = ApprovalRule(doc_type=doc_type, amount_from=amount)
            tx.session.add(rule)
        rule.levels, rule.active, rule.updated_at = wanted, active, tx.now
        tx.session.flush()
        record(tx, actor, "approval.rule", "approval_rule", rule.id, doc_type=doc_type, amount_from=amount,
               levels=wanted, active=active)
        return _rule_out(rule)

    return uow.run(work)


def list_rules(uow: UnitOfWork, actor: Actor, doc_type: str | None = None) -> list[RuleOut]:
    """The approval rules, by document type and amount."""
    actor.require(Permission.APPROVAL_RULES_EDIT)

    def work(tx: Tx) -> list[RuleOut]:
        statement = select(ApprovalRule).order_by(ApprovalRule.doc_type, ApprovalRule.amount_from)
        if doc_type is not None:
            statement = statement.where(ApprovalRule.doc_type == doc_type)
        return [_rule_out(rule) for rule in tx.session.scalars(statement)]

    return uow.read(work)


def levels_for(tx: Tx, doc_type: str, amount: Decimal, force: bool = False) -> list[str]:
    """The approval levels a document of that type and amount would need (a manager first when forced)."""
    return _levels_for(tx, doc_type, amount, force)


def _levels_for(tx: Tx, doc_type: str, amount: Decimal, force: bool) -> list[str]:
    levels: list[str] = tx.conn.execute(_RULE_LEVELS, {"doc_type": doc_type, "amount": amount}).scalar() or []
    if force and not {"manager", "admin"} & set(levels):
        levels = [*FORCED_LEVELS, *levels]
    return list(levels)


def notify_level(tx: Tx, request: ApprovalRequest, event_type: str) -> None:
    """Tell the holders of the request's current role (or, when nobody holds it, of the role above) about it."""
    holders = _holders(tx, {request.current_role, ESCALATION.get(request.current_role, "admin")})
    recipients = _recipients(holders, request, request.current_role)
    if not recipients:
        recipients = _recipients(holders, request, ESCALATION.get(request.current_role, "admin"))
    notify(tx, event_type, recipients, request_payload(request), f"{event_type}:{request.id}:{request.current_level}")


def _due(tx: Tx, deadline: Any, done: Any, at: datetime) -> list[ApprovalRequest]:
    statement = (
        select(ApprovalRequest)
        .where(ApprovalRequest.status == "pending", deadline <= at, done.is_(None))
        .order_by(ApprovalRequest.id).with_for_update(skip_locked=True)
    )
    return list(tx.session.scalars(statement))


def _holders(tx: Tx, roles: set[str]) -> dict[str, list[int]]:
    if not roles:
        return {}
    rows = tx.session.execute(
        select(EmployeeRole.role, EmployeeRole.employee_id)
        .join(Employee, Employee.id == EmployeeRole.employee_id)
        .where(EmployeeRole.role.in_(roles), Employee.active).order_by(EmployeeRole.employee_id)
    )
    holders: dict[str, list[int]] = {role: [] for role in roles}
    for role, employee_id in rows:
        holders[role].append(employee_id)
    return holders


def _recipients(holders: Mapping[str, list[int]], request: ApprovalRequest, role: str) -> list[int]:
    return [e for e in holders.get(role, []) if e != request.author_id]


def request_payload(request: ApprovalRequest) -> dict[str, Any]:
    """What every notification about a request carries."""
    return {
        "request_id": request.id, "doc_type": request.doc_type, "doc_id": request.doc_id,
        "number": request.number, "amount": str(request.amount), "author_id": request.author_id,
        "level": request.current_level, "levels": list(request.levels), "role": request.current_role,
        "summary": request.summary,
    }


def _rule_out(rule: ApprovalRule) -> RuleOut:
    return RuleOut(rule.id, rule.doc_type, rule.amount_from, tuple(rule.levels), rule.active)

