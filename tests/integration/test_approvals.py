"""Approvals: rules by amount, levels in order, who may decide, reminders, escalation, and the document hooks.

This module's on_approved/on_rejected are the hooks of the "gadget" document type (HOOKS): they
write audit rows, so the tests see that the hook ran inside the deciding transaction.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.approvals.decisions import decide
from core.approvals.hooks import DocumentHooks
from core.approvals.requests import (
    ApprovalOutcome,
    cancel_request,
    decisions_of,
    due_escalations,
    due_reminders,
    list_rules,
    pending_for,
    set_rule,
    submit_for_approval,
)
from core.errors import AlreadyDecided, OwnDocument, PermissionDenied, ReasonRequired
from core.models import ApprovalDecision, AuditLog, Notification
from core.people.audit import record
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop

SLOW_DOCUMENTS = 1000


def on_approved(tx: Tx, actor: Actor, doc_id: int) -> None:
    if doc_id >= SLOW_DOCUMENTS:
        time.sleep(0.2)
    record(tx, actor, "gadget.approved", "gadget", doc_id)


def on_rejected(tx: Tx, actor: Actor, doc_id: int, reason: str) -> None:
    if reason == "explode":
        raise RuntimeError("the document refused")
    record(tx, actor, "gadget.rejected", "gadget", doc_id, reason=reason)


HOOKS = {"gadget": DocumentHooks(on_approved, on_rejected)}


def submit(uow: UnitOfWork, author: Actor, amount: str, doc_id: int = 7, force: bool = False) -> ApprovalOutcome:
    return uow.run(lambda tx: submit_for_approval(
        tx, author, "gadget", doc_id, f"GD-2026-{doc_id:06d}", D(amount), {"supplier": "Acme", "lines": 2},
        force=force))


def with_rules(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    set_rule(uow, admin, "gadget", "10000", ["manager"])
    set_rule(uow, admin, "gadget", "100000", ["manager", "admin"])
    return shop


def events(uow: UnitOfWork) -> list[tuple[str, int]]:
    return uow.read(lambda tx: [tuple(r) for r in tx.session.execute(
        select(Notification.event_type, Notification.recipient_id).order_by(Notification.id))])


def audited(uow: UnitOfWork, action: str) -> list[int | None]:
    return uow.read(lambda tx: list(tx.session.scalars(select(AuditLog.entity_id).where(AuditLog.action == action))))


def test_below_every_rule_no_approval_is_needed(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    assert submit(uow, shop.purchaser, "9999.99") == ApprovalOutcome(required=False, request_id=None)
    assert events(uow) == []


def test_a_forced_request_goes_to_a_manager_even_without_a_rule(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    outcome = submit(uow, shop.sales, "50", force=True)
    assert outcome.required
    assert [p.role for p in pending_for(uow, shop.manager)] == ["manager"]


def test_the_highest_matching_rule_sets_the_levels_and_the_first_level_is_told(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = with_rules(uow, admin)
    outcome = submit(uow, shop.purchaser, "150000")
    assert outcome.required and outcome.request_id is not None
    assert events(uow) == [("approval_requested", shop.manager.employee_id)]
    [pending] = pending_for(uow, shop.manager)
    assert (pending.number, pending.author, pending.amount, pending.levels, pending.level) == (
        "GD-2026-000007", "purchaser-1", D("150000.00"), ("manager", "admin"), 0)
    assert pending.summary == {"supplier": "Acme", "lines": 2}
    assert pending_for(uow, shop.sales) == []
    assert pending_for(uow, shop.purchaser) == []


def test_two_levels_approve_in_order_then_the_document_hook_runs_and_the_author_is_told(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.purchaser, "150000").request_id
    assert request_id is not None
    first = decide(uow, shop.manager.with_channel("telegram", "m-41"), request_id, True, hooks=HOOKS)
    assert (first.status, first.level, first.next_role) == ("pending", 0, "admin")
    assert audited(uow, "gadget.approved") == []
    with pytest.raises(AlreadyDecided):
        decide(uow, shop.manager, request_id, True, hooks=HOOKS)
    last = decide(uow, admin, request_id, True, hooks=HOOKS)
    assert (last.status, last.level, last.next_role) == ("approved", 1, None)
    assert audited(uow, "gadget.approved") == [7]
    decisions = uow.read(lambda tx: [tuple(r) for r in tx.session.execute(
        select(ApprovalDecision.level, ApprovalDecision.employee_id, ApprovalDecision.channel,
               ApprovalDecision.decision, ApprovalDecision.amount_at_decision).order_by(ApprovalDecision.level))])
    assert decisions == [(0, shop.manager.employee_id, "telegram", "approve", D("150000")),
                         (1, admin.employee_id, "cli", "approve", D("150000"))]
    assert events(uow) == [("approval_requested", shop.manager.employee_id),
                           ("approval_requested", admin.employee_id), ("approval_decided", shop.manager.employee_id),
                           ("approved", shop.purchaser.employee_id), ("approval_decided", admin.employee_id)]
    history = decisions_of(uow, shop.purchaser, request_id)
    assert [(d.level, d.role, d.employee, d.channel, d.decision) for d in history] == [
        (0, "manager", "manager-1", "telegram", "approve"), (1, "admin", "system", "cli", "approve")]
    with pytest.raises(PermissionDenied):
        decisions_of(uow, shop.sales, request_id)


def test_nobody_approves_their_own_document(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.manager, "20000").request_id
    assert request_id is not None
    with pytest.raises(OwnDocument):
        decide(uow, shop.manager, request_id, True, hooks=HOOKS)
    assert pending_for(uow, shop.manager) == []
    assert [p.request_id for p in pending_for(uow, admin)] == [request_id]


def test_only_the_role_of_the_current_level_or_an_admin_may_decide(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.purchaser, "20000").request_id
    assert request_id is not None
    with pytest.raises(PermissionDenied):
        decide(uow, shop.sales, request_id, True, hooks=HOOKS)
    assert decide(uow, admin, request_id, True, hooks=HOOKS).status == "approved"


def test_a_rejection_needs_a_reason_and_tells_the_author(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.purchaser, "150000").request_id
    assert request_id is not None
    with pytest.raises(ReasonRequired):
        decide(uow, shop.manager, request_id, False, "  ", hooks=HOOKS)
    result = decide(uow, shop.manager, request_id, False, "price too high", hooks=HOOKS)
    assert (result.status, result.decision) == ("rejected", "reject")
    assert audited(uow, "gadget.rejected") == [7]
    assert events(uow)[-2:] == [("rejected", shop.purchaser.employee_id),
                                ("approval_decided", shop.manager.employee_id)]
    payload = uow.read(lambda tx: tx.session.scalars(
        select(Notification.payload).where(Notification.event_type == "rejected")).one())
    assert payload["reason"] == "price too high"
    with pytest.raises(AlreadyDecided):
        decide(uow, admin, request_id, True, hooks=HOOKS)


def test_a_failing_document_hook_undoes_the_decision(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.purchaser, "20000").request_id
    assert request_id is not None
    with pytest.raises(RuntimeError):
        decide(uow, shop.manager, request_id, False, "explode", hooks=HOOKS)
    assert [p.request_id for p in pending_for(uow, shop.manager)] == [request_id]
    assert uow.read(lambda tx: tx.session.scalars(select(ApprovalDecision.id)).all()) == []
    assert [e for e, _ in events(uow)] == ["approval_requested"]


def test_the_level_shown_on_the_button_must_still_be_current(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    create_employee(uow, admin, "manager-2", ["manager"])
    request_id = submit(uow, shop.purchaser, "150000").request_id
    assert request_id is not None
    decide(uow, shop.manager, request_id, True, level=0, hooks=HOOKS)
    with pytest.raises(AlreadyDecided):
        decide(uow, load_actor(uow, "manager-2"), request_id, True, level=0, hooks=HOOKS)


def test_a_cancelled_document_leaves_nothing_to_decide(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.purchaser, "20000").request_id
    assert request_id is not None
    uow.run(lambda tx: cancel_request(tx, "gadget", 7))
    assert pending_for(uow, shop.manager) == []
    with pytest.raises(AlreadyDecided):
        decide(uow, shop.manager, request_id, True, hooks=HOOKS)
    assert submit(uow, shop.purchaser, "20000").required


def test_reminders_and_escalation_are_written_once_each_after_their_deadlines(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = with_rules(uow, admin)
    request_id = submit(uow, shop.purchaser, "20000").request_id
    assert request_id is not None
    start = uow.read(lambda tx: tx.now)
    assert due_reminders(uow, start + timedelta(hours=3)) == 0
    assert due_reminders(uow, start + timedelta(hours=5)) == 1
    assert due_reminders(uow, start + timedelta(hours=6)) == 0
    assert due_escalations(uow, start + timedelta(hours=23)) == 0
    assert due_escalations(uow, start + timedelta(hours=25)) == 1
    assert due_escalations(uow, start + timedelta(hours=26)) == 0
    assert events(uow)[1:] == [("approval_reminder", shop.manager.employee_id),
                               ("approval_escalated", admin.employee_id)]
    [escalated] = pending_for(uow, admin)
    assert escalated.escalated_to == "admin"


def test_an_escalated_sales_level_may_be_decided_by_a_manager(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    set_rule(uow, admin, "gadget", "0", ["sales"])
    request_id = submit(uow, shop.purchaser, "10").request_id
    assert request_id is not None
    assert pending_for(uow, shop.manager) == []
    start = uow.read(lambda tx: tx.now)
    assert due_escalations(uow, start + timedelta(days=2)) == 1
    assert [p.request_id for p in pending_for(uow, shop.manager)] == [request_id]
    assert decide(uow, shop.manager, request_id, True, hooks=HOOKS).status == "approved"


def test_rules_are_data_that_only_managers_and_admins_edit(uow: UnitOfWork, admin: Actor) -> None:
    shop = with_rules(uow, admin)
    with pytest.raises(PermissionDenied):
        set_rule(uow, shop.purchaser, "gadget", "0", ["manager"])
    set_rule(uow, shop.manager, "gadget", "10000", ["manager"], active=False)
    assert [(r.amount_from, r.levels, r.active) for r in list_rules(uow, shop.manager, "gadget")] == [
        (D("10000.00"), ("manager",), False), (D("100000.00"), ("manager", "admin"), True)]
    assert not submit(uow, shop.purchaser, "20000").required


def race(uow: UnitOfWork, approvers: list[Actor], request_id: int) -> list[str]:
    """Every approver approves the same request at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(approvers))
    outcomes: list[str] = []

    def approve(approver: Actor) -> None:
        barrier.wait(10)
        try:
            outcomes.append(decide(uow, approver, request_id, True, hooks=HOOKS).status)
        except AlreadyDecided as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=approve, args=(a,)) for a in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_two_managers_approving_at_once_make_one_decision(pg_uow: UnitOfWork) -> None:
    admin = load_actor(pg_uow, "system")
    shop = with_rules(pg_uow, admin)
    managers = [shop.manager, load_actor(pg_uow, create_employee(pg_uow, admin, "manager-2", ["manager"]))]
    for round_no in range(3):
        request_id = submit(pg_uow, shop.purchaser, "20000", doc_id=SLOW_DOCUMENTS + round_no).request_id
        assert request_id is not None
        assert race(pg_uow, managers, request_id) == ["already_decided", "approved"]
    decisions = pg_uow.read(lambda tx: tx.session.scalars(select(ApprovalDecision.request_id)).all())
    assert len(decisions) == len(set(decisions)) == 3
    assert len(audited(pg_uow, "gadget.approved")) == 3


def test_each_level_needs_another_person(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    set_rule(uow, admin, "gadget", "0", ["manager", "manager"])
    request_id = submit(uow, shop.purchaser, "10").request_id
    assert request_id is not None
    decide(uow, shop.manager, request_id, True, hooks=HOOKS)
    assert pending_for(uow, shop.manager) == []
    with pytest.raises(AlreadyDecided) as twice:
        decide(uow, shop.manager, request_id, True, hooks=HOOKS)
    assert twice.value.params["reason"] == "decided_earlier_level"
    manager_2 = load_actor(uow, create_employee(uow, admin, "manager-2", ["manager"]))
    assert [p.level for p in pending_for(uow, manager_2)] == [1]
    assert decide(uow, manager_2, request_id, True, hooks=HOOKS).status == "approved"
