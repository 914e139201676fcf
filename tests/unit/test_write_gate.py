"""SQLite's writers in one process queue at the write gate, first come first served, and always leave it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from core.db import WriteGate, create_db_engine, write_gate
from core.models import Base
from core.uow import UnitOfWork


def _waiting(gate: WriteGate, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(gate._waiting) < count:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.005)


def test_writers_are_let_in_in_the_order_they_arrived() -> None:
    gate = WriteGate()
    assert gate.acquire()
    order: list[str] = []

    def writer(name: str) -> None:
        assert gate.acquire()
        order.append(name)
        gate.release()

    threads = []
    for n, name in enumerate(["first", "second", "third", "fourth"]):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        _waiting(gate, n + 1)
        threads.append(thread)
    gate.release()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second", "third", "fourth"]
    assert gate.acquire(timeout=0), "the gate is open again once everyone went through"


def test_a_writer_that_waited_too_long_gives_up_its_place() -> None:
    gate = WriteGate()
    assert gate.acquire()
    assert gate.acquire(timeout=0.05) is False
    assert not gate._waiting, "the one who gave up is no longer queued"
    gate.release()
    assert gate.acquire(timeout=0)


@pytest.fixture
def uow(tmp_path: Path) -> UnitOfWork:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    Base.metadata.create_all(engine)
    return UnitOfWork(engine)


def test_a_failed_write_transaction_leaves_the_gate_open(uow: UnitOfWork) -> None:
    gate = write_gate(uow.engine)
    assert gate is not None

    def fails(_tx: object) -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError):
        uow.run(fails)
    assert gate.acquire(timeout=0)
    gate.release()


def test_reads_do_not_queue_behind_a_writer(uow: UnitOfWork) -> None:
    gate = write_gate(uow.engine)
    assert gate is not None and gate.acquire()
    try:
        assert uow.read(lambda tx: tx.session.connection().exec_driver_sql("SELECT 1").scalar()) == 1
    finally:
        gate.release()


def test_postgresql_engines_have_no_gate() -> None:
    engine = create_db_engine("postgresql://nobody@127.0.0.1:1/none")
    assert write_gate(engine) is None
