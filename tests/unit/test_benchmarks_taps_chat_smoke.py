"""The chat taps benchmark runs its dialogues on SQLite, the books come out as the dialogues said (measure() checks
them), and receiving and counting take no more taps than the issue's baseline (6 taps and 4 messages to receive a
3-line order with one partial line and its rejection; 2 taps to count 10 items and post them)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import taps_chat


def test_receiving_and_counting_in_chat_take_no_more_taps_than_before(tmp_path: Path) -> None:
    tasks = {task.name: task for task in taps_chat.measure(tmp_path)}

    by_line = tasks["receive 3-line PO, one partial, line by line"]
    expected = tasks["receive 3-line PO, one partial, all as expected then change"]
    counting = tasks["count 10 items and post"]
    assert (by_line.taps, by_line.messages) == (4, 2)
    assert (expected.taps, expected.messages) == (5, 2)
    assert (counting.taps, counting.messages) == (2, 11)
    assert (tasks["3-line sales order"].taps, tasks["3-line sales order"].messages) == (2, 4), \
        "the first line chooses the warehouse: one tap fewer than the 3 of before"
    scanning = tasks["count 10 items by scanning and post"]
    assert (scanning.taps, scanning.messages) == (2, 11)
    assert (tasks["approve it"].taps, tasks["approve it"].messages) == (1, 1)
    assert all(task.taps <= 6 and task.steps[-1].startswith("tap") for task in tasks.values())
