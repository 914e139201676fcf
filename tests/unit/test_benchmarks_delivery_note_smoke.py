"""The delivery-note benchmark at its smallest: one note read once, its ten lines matched on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import delivery_note
from benchmarks.common import Backend


def test_the_delivery_note_benchmark_reads_times_and_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    delivery_note.main([Backend("sqlite", directory=tmp_path)], notes=1, rounds=1)
    out = capsys.readouterr().out
    assert out.startswith("delivery note reading (1280x960, 10 lines, 1 reads): p50 ")
    assert "sqlite: 10 of 10 lines matched without a correction (100 %), " in out
