"""The pump loop both senders run (the notification dispatcher, the webhook dispatcher): claim a batch from a leased
queue, send each row, mark what went (batched every few milliseconds), record what failed, give back what the lease
left too little time for.

A sender subclasses Pump with its steps: `take_batch` (claim rows, in a worker thread), `send` (one row; raises
Failed, or TooLate from `async with turn`), `alert` (what the admins hear when a row is given up) and, when it needs
them, `prepare` (before a round) and `tidy` (between rounds while running).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Generic, Protocol, TypeVar

from core.integration.queue import Alert, LeasedQueue, backoff
from core.uow import UnitOfWork

log = logging.getLogger(__name__)


class Leased(Protocol):
    """What a pump needs of a claimed row: its id and which attempt this is."""

    @property
    def id(self) -> int: ...

    @property
    def attempts(self) -> int: ...


Item = TypeVar("Item", bound=Leased)


class Failed(Exception):
    """One attempt failed: retried (after `retry_after` seconds when the other side said so) unless `permanent`."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class TooLate(Exception):
    """The lease could run out during the send: the row is given back untried for another round."""


class Turn:
    """A send's turn in a round: one of the pump's concurrent slots, taken only while enough of the lease is left
    (`async with turn:` raises TooLate otherwise)."""

    def __init__(self, gate: asyncio.Semaphore, deadline: datetime, clock: Callable[[], datetime]) -> None:
        self.gate = gate
        self.deadline = deadline
        self.clock = clock

    async def __aenter__(self) -> None:
        await self.gate.acquire()
        if self.clock() > self.deadline:
            self.gate.release()
            raise TooLate

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        self.gate.release()


@dataclass
class PumpStats:
    enqueued: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0


def utcnow() -> datetime:
    """The pumps' default clock."""
    return datetime.now(UTC)


class Pump(ABC, Generic[Item]):
    """Drains one leased queue; several pumps may run at once, in one process or many (rows are claimed)."""

    name = "pump"

    def __init__(self, uow: UnitOfWork, queue: LeasedQueue, *, batch: int, lease: timedelta, send_timeout: float,
                 max_attempts: int, concurrency: int, clock: Callable[[], datetime], mark_every: float,
                 backoff_of: Callable[[int], timedelta] = backoff) -> None:
        self.uow = uow
        self.queue = queue
        self.batch = batch
        self.lease = lease
        self.send_timeout = send_timeout
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.clock = clock
        self.mark_every = mark_every
        self.backoff_of = backoff_of
        self.stats = PumpStats()
        self._sending: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    # ---- the steps of a sender ----------------------------------------------------------------------------------

    @abstractmethod
    def take_batch(self, token: str, now: datetime) -> Sequence[Item]:
        """Claim up to `batch` due rows under `token` (runs in a worker thread)."""

    @abstractmethod
    async def send(self, item: Item, turn: Turn) -> None:
        """Send one row, each request inside `async with turn`; raise Failed when it did not go."""

    def alert(self, item: Item, error: str) -> Alert | None:
        """What the admins hear when `item` is given up (None: nothing)."""
        return None

    def members(self, item: Item) -> Sequence[int]:
        """The rows one send delivers (a sender may fold several into one message)."""
        return (item.id,)

    def label(self, item: Item) -> str:
        """The row as the log names it (never with a secret)."""
        return f"row {item.id}"

    async def prepare(self) -> bool:
        """Work before a round (false: nothing to do this round)."""
        return True

    async def tidy(self) -> None:
        """Housekeeping between rounds while running (not while draining)."""

    # ---- the loop ------------------------------------------------------------------------------------------------

    def _gate(self) -> asyncio.Semaphore:
        """At most `concurrency` sends in flight across all batches (of this event loop): the pace decides when a
        send may start, the gate only keeps the HTTP client's connection pool small (httpcore's pool does work per
        request in proportion to its connections)."""
        loop = asyncio.get_running_loop()
        if self._sending is None or self._sending[0] is not loop:
            self._sending = (loop, asyncio.Semaphore(self.concurrency))
        return self._sending[1]

    async def run_once(self) -> int:
        """Claim one batch and send it; returns how many rows were claimed (0: nothing due)."""
        if not await self.prepare():
            return 0
        token = secrets.token_hex(16)
        started = self.clock()
        claimed = await asyncio.to_thread(self.take_batch, token, started)
        if not claimed:
            return 0
        self.stats.claimed += len(claimed)
        turn = Turn(self._gate(), started + self.lease - timedelta(seconds=self.send_timeout), self.clock)
        done: list[int] = []  # sent, to be marked (every few milliseconds, in one statement)
        finished = asyncio.Event()

        async def flush() -> None:
            if done:
                ids = list(done)
                done.clear()
                self.stats.sent += await asyncio.to_thread(self.queue.mark_sent, self.uow, token, ids, self.clock())

        async def marker() -> None:
            while not finished.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), self.mark_every)
                await flush()

        marking = asyncio.create_task(marker())
        try:
            await asyncio.gather(*(self._one(token, item, turn, done) for item in claimed))
        finally:
            finished.set()
            await marking
            await flush()
        return len(claimed)

    async def drain(self, parallel: int = 1) -> int:
        """Send until nothing is due (`parallel` batches in flight at once); returns rows claimed."""
        return await self._pump(None, parallel, 0.0)

    async def run(self, stop: asyncio.Event, idle: float = 1.0, parallel: int = 1) -> None:
        """Send until `stop` is set, with `parallel` batches in flight, looking again every `idle` seconds when
        nothing is due."""
        await self._pump(stop, parallel, idle)

    async def _pump(self, stop: asyncio.Event | None, parallel: int, idle: float) -> int:
        total = 0
        running: set[asyncio.Task[int]] = set()
        empty = False
        try:
            while True:
                while not empty and len(running) < parallel and not (stop and stop.is_set()):
                    running.add(asyncio.create_task(self._round(tidy=stop is not None)))
                    if parallel > 1:
                        await asyncio.sleep(0)  # let it claim before the next one looks
                if not running:
                    if stop is None or stop.is_set():
                        return total
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), idle)
                    empty = False
                    continue
                finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                claimed = [t.result() for t in finished]
                total += sum(claimed)
                empty = empty or 0 in claimed
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _round(self, *, tidy: bool) -> int:
        try:
            if tidy:
                await self.tidy()
            return await self.run_once()
        except Exception:  # a database or network hiccup must not end delivery
            log.exception("%s: a delivery round failed", self.name)
            return 0

    async def _one(self, token: str, item: Item, turn: Turn, done: list[int]) -> None:
        try:
            await self.send(item, turn)
        except TooLate:
            self.stats.released += await asyncio.to_thread(self.queue.give_back, self.uow, token,
                                                           list(self.members(item)), self.clock())
        except Failed as failure:
            await self._failed(token, item, failure)
        else:
            done.extend(self.members(item))

    async def _failed(self, token: str, item: Item, failure: Failed) -> None:
        error = str(failure)
        retry_after = timedelta(seconds=failure.retry_after) if failure.retry_after is not None else None
        status = await asyncio.to_thread(
            self.queue.mark_failed, self.uow, token, item.id, item.attempts, error, self.clock(),
            max_attempts=self.max_attempts, retry_after=retry_after, permanent=failure.permanent,
            backoff_of=self.backoff_of, alert=self.alert(item, error))
        if status == "dead":
            self.stats.dead += 1
            log.warning("%s: %s dead after %s attempt(s): %s", self.name, self.label(item), item.attempts, error)
        elif status:
            self.stats.retried += 1
