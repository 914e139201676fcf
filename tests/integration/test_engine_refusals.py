"""A step refused with a domain error: the engine says why in the reader's words, the flow asks again, the state
stays as it was before the step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.engine import Engine
from bot.engine.flow import Command, Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Reply
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.errors import DomainError
from core.numbers import parse_quantity
from core.people.accounts import create_invite
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.chat import Chat


class GuessFlow(Flow):
    """Test-only: asks for a quantity, counting tries in its state in place before parsing (as a careless flow
    might)."""

    name = "guess"
    key = "gs"

    def start(self, ctx: Context, args: str) -> Step:
        return Step([Reply("how many?")], {"step": "qty", "tries": 0})

    def steps(self) -> Mapping[str, StepHandler]:
        return {"qty": self._qty}

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        return [Reply(f"how many? (try {state['tries'] + 1})")]

    def _qty(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        state["tries"] += 1
        qty = parse_quantity(event.text)
        return Step([Reply(f"{qty.normalize()} after {state['tries']} tries")])


def test_a_refused_step_answers_the_refusal_then_the_hint_and_keeps_the_state_it_had(
    uow: UnitOfWork, admin: Actor
) -> None:
    texts = Texts()
    engine = Engine(uow, texts, [*default_flows(), GuessFlow()], (*COMMANDS, Command("guess", ("guess",), "test")))
    chat = Chat(engine, user_id="4004", chat_id="4004")
    code = create_invite(uow, admin, "sales-1", roles=("sales",)).code
    chat.send(f"/start {code}")
    assert chat.send("guess") == ["how many?"]
    refused = chat.send("heaps")
    assert refused[0].startswith("数量「heaps」无效") and refused[1:] == ["how many? (try 1)"]
    assert chat.send("-2")[1:] == ["how many? (try 1)"]
    assert chat.send("3") == ["3 after 1 tries"]


def test_text_with_control_characters_is_refused_in_the_readers_words_and_the_flow_waits(
    uow: UnitOfWork, admin: Actor
) -> None:
    engine = Engine(uow, Texts(), default_flows(), COMMANDS)
    chat = Chat(engine, user_id="4005", chat_id="4005")
    chat.send(f"/start {create_invite(uow, admin, 'sales-2', roles=('sales',)).code}")
    for text in ("\x00", "库存 \x00", "保温杯\x07 2", "\ud800"):
        answer = chat.send(text)
        assert answer and "控制字符" in answer[0], text
    assert "控制字符" in chat.press("ap:1\x00:y")[0]
    assert chat.send("库存 \tA\n") and "控制字符" not in chat.replies[0].text, "tabs and line breaks are text"
    english = Chat(engine, user_id="4006", chat_id="4006")
    english.send(f"/start {create_invite(uow, admin, 'sales-3', roles=('sales',), language='en').code}")
    assert "control characters" in english.send("stock \x00")[0]
