"""The conversation engine under random input (hypothesis): unicode and control characters, command words with
random arguments, forged and replayed buttons, files, sent at every step of every flow by a bound person of every
role. Whatever arrives, every update is finished without an unexpected failure, and the books stay right."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.engine.engine import Engine
from bot.engine.inbound import Inbound
from bot.engine.replies import Reply
from bot.flows import COMMANDS, default_flows
from core.ledger.check import check_ledger
from core.models import InboxMessage
from core.people.accounts import create_invite
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.integration.test_engine import TEXTS

ROLES = ("sales-1", "manager-1", "purchaser-1", "warehouse-1", "finance-1")
WORDS = sorted({w for c in COMMANDS for w in c.words})
CODES = ["RETRO-CLOCK", "TEA-CUP", "LAMP", "MAIN", "NORTH", "PO-2026-000001", "SO-2026-000001", "C001", "box"]
text = st.text(st.characters(codec="utf-8"), max_size=60)
nasty = st.sampled_from(["\x00", "\u202e", "\ufeff", "\r\n", "\t", "𝟙", "²", "١٢", "1,5", "-0", "1e9", "NaN",
                         "9" * 40, "0.0000001", "%s", "{{ 7*7 }}", "<b>", "'; DROP TABLE x; --", " "])
word = st.sampled_from(WORDS)
arguments = st.lists(st.one_of(st.sampled_from(CODES), nasty, text, st.integers(-10**12, 10**12).map(str)),
                     max_size=5).map(" ".join)
typed = st.one_of(text, nasty, st.tuples(word, arguments).map(" ".join), arguments)
forged = st.tuples(st.sampled_from([*sorted({f.key for f in default_flows()}), "", "x"]),
                   st.one_of(text, nasty, st.integers(-2**70, 2**70).map(str),
                             st.lists(st.one_of(nasty, st.integers(0, 2**40).map(str)), max_size=3).map(":".join)))
action = st.one_of(
    typed.map(lambda t: ("text", t)),
    forged.map(lambda kp: ("button", f"{kp[0]}:{kp[1]}")),
    st.integers(0, 20).map(lambda n: ("offered", str(n))),  # press the n-th button last offered, if any
    st.tuples(st.sampled_from(["a.xlsx", "b.csv", "c.png", "d", "导入.txt"]), st.binary(max_size=300))
    .map(lambda f: ("file", f)),
)


@dataclass
class Person:
    """One bound person in their own chat, remembering the buttons they were last offered."""

    engine: Engine
    user_id: str
    offered: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)

    def deliver(self, inbound: Inbound) -> list[Reply]:
        inbox_id = self.engine.record(inbound)
        assert inbox_id is not None
        self.sent.append(inbox_id)
        replies = self.engine.process(inbox_id)
        self.offered = [b.data for r in replies for row in r.buttons for b in row] or self.offered
        return replies


@pytest.fixture
def people(uow: UnitOfWork, admin: Actor) -> list[Person]:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5"), LineIn("TEA-CUP", 40, "3")])
    engine = Engine(uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock")
    found = []
    for n, name in enumerate(ROLES):
        person = Person(engine, str(7000 + n))
        person.deliver(Inbound("test", f"bind-{n}", person.user_id, person.user_id,
                               text=f"/start {create_invite(uow, admin, name).code}"))
        found.append(person)
    return found


_ids = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, len(ROLES) - 1), action), min_size=1, max_size=12))
def test_no_input_at_any_step_leaves_an_update_unfinished_or_failed_and_the_books_stay_right(
        uow: UnitOfWork, people: list[Person], steps: list[tuple[int, tuple[str, object]]]) -> None:
    for person in people:
        person.sent.clear()
    for who, (kind, value) in steps:
        person = people[who]
        external = f"fuzz-{next(_ids)}"
        if kind == "text":
            inbound = Inbound("test", external, person.user_id, person.user_id, text=str(value))
        elif kind == "button":
            inbound = Inbound("test", external, person.user_id, person.user_id, button=str(value))
        elif kind == "offered":
            if not person.offered:
                continue
            data = person.offered[int(str(value)) % len(person.offered)]
            inbound = Inbound("test", external, person.user_id, person.user_id, button=data)
        else:
            assert isinstance(value, tuple)
            name, content = value
            inbound = Inbound("test", external, person.user_id, person.user_id, file_name=name,
                              file_content=content)
        assert person.deliver(inbound), f"{kind} {value!r} got no answer"

    sent = [i for person in people for i in person.sent]
    unfinished = uow.read(lambda tx: tx.session.execute(
        select(InboxMessage.payload, InboxMessage.failure).where(
            InboxMessage.id.in_(sent), (InboxMessage.status == "received") | InboxMessage.failure.is_not(None))
        .limit(3)).all())
    assert unfinished == [], f"updates unfinished or failed: {unfinished}"
    assert uow.read(check_ledger) == []
