"""`jxc serve` child processes for the end-to-end tests and the load benchmark: a free port, a server started with
its own config and taken as up once /healthz answers (waiting by a deadline, so a busy machine only makes it
later), and stopped with SIGTERM then SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 120.0  # Python's imports alone take seconds when other work shares the machine
STOP_SECONDS = 30.0


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """One `jxc serve` child process and the address it listens on."""

    name: str
    child: subprocess.Popen[bytes]
    url: str
    log: Path


def served_env(config: Path) -> dict[str, str]:
    """This environment without any JXC_ setting but the config's path, with this tree importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    return env | {"JXC_CONFIG": str(config), "PYTHONPATH": str(ROOT)}


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


async def wait_healthy(name: str, url: str, log: Path, alive: Callable[[], bool],
                       seconds: float = START_SECONDS) -> None:
    """Until GET /healthz answers 200; RuntimeError when the process died or the deadline passed."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while True:
            if not alive():
                raise RuntimeError(f"{name} exited: {tail(log)}")
            try:
                async with http.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} never answered /healthz in {seconds:.0f} s: {tail(log)}")
            await asyncio.sleep(0.05)


async def start_served(name: str, config: Path, port: int, log: Path, cwd: Path) -> Served:
    """`python -m bot.cli serve` with `config` (which listens on `port`), once /healthz answers."""
    with log.open("wb") as out:
        child = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=cwd, env=served_env(config),
                                 stdout=out, stderr=subprocess.STDOUT)
    server = Served(name, child, f"http://127.0.0.1:{port}", log)
    try:
        await wait_healthy(name, server.url, log, lambda: child.poll() is None)
    except BaseException:
        stop_served(server)
        raise
    return server


def stop_served(server: Served, seconds: float = STOP_SECONDS) -> None:
    """SIGTERM (a graceful shutdown), SIGKILL when it takes longer than `seconds`."""
    if server.child.poll() is None:
        server.child.send_signal(signal.SIGTERM)
        try:
            server.child.wait(seconds)
        except subprocess.TimeoutExpired:
            server.child.kill()
            server.child.wait()
