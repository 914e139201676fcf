"""Where an approval request stands: who must decide it now, whether it is still open, who decided it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from core.models import ApprovalDecision, ApprovalRequest, Employee, EmployeeRole
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class Awaiting:
    """Who is to decide a pending approval now: the role and the active employees holding it."""

    role: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class LastDecision:
    """The latest decision on a request: who took it and what it was ("approve" or "reject")."""

    employee: str
    decision: str


def awaiting_approval(uow: UnitOfWork, doc_type: str, number: str) -> Awaiting | None:
    """The role (and its holders) that must decide the pending approval of a document, if one is pending."""

    def work(tx: Tx) -> Awaiting | None:
        request = tx.session.execute(
            select(ApprovalRequest.current_role, ApprovalRequest.escalated_to)
            .where(ApprovalRequest.doc_type == doc_type, ApprovalRequest.number == number,
                   ApprovalRequest.status == "pending")).one_or_none()
        if request is None:
            return None
        role = request.escalated_to or request.current_role
        names = tx.session.scalars(
            select(Employee.name).join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
            .where(EmployeeRole.role == role, Employee.active).order_by(Employee.name).limit(5))
        return Awaiting(role, tuple(names))

    return uow.read(work)


def waiting_role(uow: UnitOfWork, request_id: int) -> str | None:
    """The role whose decision a request waits for now (None for an unknown request)."""
    return uow.read(lambda tx: tx.session.scalar(
        select(ApprovalRequest.current_role).where(ApprovalRequest.id == request_id)))


def decided_requests(uow: UnitOfWork, request_ids: Iterable[int]) -> frozenset[int]:
    """Those of `request_ids` that somebody has decided (at any level)."""
    wanted = sorted(set(request_ids))
    if not wanted:
        return frozenset()
    return frozenset(uow.read(lambda tx: tx.session.scalars(
        select(ApprovalDecision.request_id).where(ApprovalDecision.request_id.in_(wanted))).all()))


def last_decision(uow: UnitOfWork, request_id: int) -> LastDecision | None:
    """Who decided a request last, and how; None while nobody has."""
    row = uow.read(lambda tx: tx.session.execute(
        select(Employee.name, ApprovalDecision.decision)
        .join(Employee, Employee.id == ApprovalDecision.employee_id)
        .where(ApprovalDecision.request_id == request_id)
        .order_by(ApprovalDecision.id.desc()).limit(1)).one_or_none())
    return None if row is None else LastDecision(str(row.name), str(row.decision))
