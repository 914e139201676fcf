"""Deciding an approval request: level by level, each by another person; the last decision runs the document's
hook (core/approvals/hooks) in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.approvals.hooks import DOCUMENT_HOOKS, DocumentHooks
from core.approvals.requests import ESCALATE_AFTER, REMIND_AFTER, close_cards, notify_level, request_payload
from core.errors import AlreadyDecided, InvalidState, OwnDocument, PermissionDenied, ReasonRequired, UnknownDocument
from core.integration.outbox import notify
from core.models import ApprovalDecision, ApprovalRequest
from core.people.audit import record
from core.permissions import Actor
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class DecisionResult:
    """What a decision did: the level decided, the request's status after it, and who is next."""

    request_id: int
    doc_type: str
    doc_id: int
    number: str
    decision: str
    level: int
    status: str
    next_role: str | None


def decide(
    uow: UnitOfWork, actor: Actor, request_id: int, approve: bool, reason: str = "", *,
    level: int | None = None, hooks: Mapping[str, DocumentHooks] | None = None,
    remind_after: timedelta = REMIND_AFTER, escalate_after: timedelta = ESCALATE_AFTER,
) -> DecisionResult:
    """Approve or reject the current level (the one shown to the approver when `level` is given); each level
    needs another person. `hooks`: document types beyond those of core/approvals/hooks."""
    reason = reason.strip()[:500]
    if not approve and not reason:
        raise ReasonRequired(action="reject")
    documents = {**DOCUMENT_HOOKS, **(hooks or {})}

    def work(tx: Tx) -> DecisionResult:
        request = tx.session.execute(
            select(ApprovalRequest).where(ApprovalRequest.id == request_id).with_for_update()
        ).scalar_one_or_none()
        if request is None:
            raise UnknownDocument(request_id=request_id)
        _check_turn(tx, request, actor, level)
        decided = request.current_level
        tx.session.add(ApprovalDecision(
            request_id=request.id, level=decided, role=request.current_role, employee_id=actor.employee_id,
            channel=actor.channel, message_id=actor.message_id, decision="approve" if approve else "reject",
            reason=reason, amount_at_decision=request.amount, at=tx.now))
        if approve and decided + 1 < len(request.levels):
            _advance(tx, request, remind_after, escalate_after)
        else:
            _finish(tx, actor, request, approve, reason, documents)
        close_cards(tx, actor, request, decided, "approve" if approve else "reject")
        record(tx, actor, "approval.approve" if approve else "approval.reject", "approval_request", request.id,
               doc_type=request.doc_type, number=request.number, level=decided, amount=request.amount,
               reason=reason)
        next_role = request.current_role if request.status == "pending" else None
        return DecisionResult(request.id, request.doc_type, request.doc_id, request.number,
                              "approve" if approve else "reject", decided, request.status, next_role)

    return uow.run(work)


def decidable_number(uow: UnitOfWork, actor: Actor, request_id: int) -> str:
    """The document number of a request the actor may decide now (before asking why it is rejected); else the
    refusal `decide` would give, which shows nothing of the request to someone who is none of its deciders."""

    def work(tx: Tx) -> str:
        request = tx.session.get(ApprovalRequest, request_id)
        if request is None:
            raise UnknownDocument(request_id=request_id)
        _check_turn(tx, request, actor, None)
        return request.number

    return uow.read(work)


def _check_turn(tx: Tx, request: ApprovalRequest, actor: Actor, level: int | None) -> None:
    """Not the author, a role among its deciders (before anything of it is told), the level still open, a role
    that may decide it now, and nobody deciding two levels."""
    if request.author_id == actor.employee_id:
        raise OwnDocument(number=request.number, doc_type=request.doc_type)
    allowed = {"admin", request.current_role} | ({request.escalated_to} if request.escalated_to else set())
    if not (allowed | set(request.levels)) & actor.roles:
        raise PermissionDenied(employee=actor.name, permission="approval.decide")
    done = AlreadyDecided(number=request.number, status=request.status, level=request.current_level)
    if request.status != "pending" or (level is not None and level != request.current_level):
        raise done
    if not allowed & actor.roles:
        if set(request.levels[:request.current_level]) & actor.roles:
            raise done
        raise PermissionDenied(employee=actor.name, permission="approval.decide")
    if request.current_level > 0 and tx.session.scalar(select(ApprovalDecision.id).where(
            ApprovalDecision.request_id == request.id, ApprovalDecision.employee_id == actor.employee_id)):
        raise AlreadyDecided(number=request.number, status=request.status, level=request.current_level,
                             reason="decided_earlier_level")


def _advance(tx: Tx, request: ApprovalRequest, remind_after: timedelta, escalate_after: timedelta) -> None:
    request.current_level += 1
    request.current_role = request.levels[request.current_level]
    request.remind_at, request.escalate_at = tx.now + remind_after, tx.now + escalate_after
    request.reminded_at = request.escalated_at = None
    request.escalated_to = None
    tx.session.flush()
    notify_level(tx, request, "approval_requested")


def _finish(
    tx: Tx, actor: Actor, request: ApprovalRequest, approve: bool, reason: str,
    documents: Mapping[str, DocumentHooks],
) -> None:
    hooks = documents.get(request.doc_type)
    if hooks is None:
        raise InvalidState(reason="no_document_module", doc_type=request.doc_type)
    request.status = "approved" if approve else "rejected"
    request.decided_at = tx.now
    tx.session.flush()
    if approve:
        hooks.on_approved(tx, actor, request.doc_id)
    else:
        hooks.on_rejected(tx, actor, request.doc_id, reason)
    payload = {**request_payload(request), "decided_by": actor.name, "reason": reason}
    notify(tx, request.status, [request.author_id], payload, f"{request.status}:{request.id}")
