"""A network receipt printer on 127.0.0.1 that records every byte it is sent (one entry per connection)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class FakePrinter:
    """Listens on a free port; `jobs` holds what each connection sent, once it closed."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = ("127.0.0.1", int(self.server.getsockname()[1]))
        self.jobs: list[bytes] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                received = bytearray()
                while chunk := connection.recv(65536):
                    received += chunk
            self.jobs.append(bytes(received))
            self.done.set()

    def __enter__(self) -> FakePrinter:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.server.close()
        self.thread.join(5)


def closed_port() -> tuple[str, int]:
    """An address on 127.0.0.1 where nothing listens."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return "127.0.0.1", int(probe.getsockname()[1])
