"""`jxc serve` processes forked from a parent that imported the server once: each starts in its start-up time, not
Python's imports (seconds on a busy machine), so that a test can kill and start servers many times.

The parent (`python -m tests.e2e.forked_servers`) reads lines "<config path>\\t<log path>" and answers each with the
pid of a child running `jxc serve --config <config path>` (stdout and stderr to the log). Children are reaped as they
die; a test kills one with SIGKILL by its pid."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.served import wait_healthy

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Forked:
    """One forked `jxc serve` child and the address it listens on."""

    name: str
    pid: int
    url: str
    log: Path

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self, sig: signal.Signals = signal.SIGKILL, timeout: float = 15) -> None:
        """Send `sig` and wait until the process is gone."""
        if not self.alive():
            return
        os.kill(self.pid, sig)
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
            time.sleep(0.02)


class Forker:
    """The parent process, started once per test; `start` forks a server and waits for its /healthz."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")} | {"PYTHONPATH": str(ROOT)}
        self.parent = subprocess.Popen([sys.executable, "-m", "tests.e2e.forked_servers"], cwd=ROOT, env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    async def start(self, name: str, config: Path, url: str, log: Path) -> Forked:
        assert self.parent.stdin is not None and self.parent.stdout is not None
        self.parent.stdin.write(f"{config}\t{log}\n")
        self.parent.stdin.flush()
        pid = int(await asyncio.to_thread(self.parent.stdout.readline))
        server = Forked(name, pid, url, log)
        await wait_healthy(name, url, log, server.alive)
        return server

    def close(self) -> None:
        if self.parent.stdin is not None:
            self.parent.stdin.close()
        self.parent.wait(15)


def serve_forks() -> None:
    """The parent's loop: import once, fork a server per line read, print its pid."""
    import bot.server  # noqa: F401  (what `jxc serve` imports, once, before any fork)
    from bot.cli import main

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel as they die
    for line in sys.stdin:
        config, log = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.chdir(Path(log).parent)
            os._exit(main(["serve", "--config", config]))
        print(pid, flush=True)


if __name__ == "__main__":
    serve_forks()
