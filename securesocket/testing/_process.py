"""`ManagedProcess`: a child process (an ``openssl`` server) that is ready before it is used.

# Model
The process writes its listening address to stdout (``ACCEPT host:port``). A reader thread
drains stdout for the whole life of the process (a full pipe would stall the server), keeps the
last lines for error messages, and signals readiness when the ready pattern appears. Start-up
waits on that signal, never on a sleep.

# Invariants
After `stop()` the process has exited and been reaped, the reader thread has ended, and the
pipe is closed, whatever state the process was in.
"""

from __future__ import annotations

import collections
import re
import subprocess
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import IO, Self


__all__ = ["ManagedProcess", "ServerStartError"]


class ServerStartError(RuntimeError):
    """A fixture server did not become ready (its recent output is in the message)."""


class ManagedProcess:
    """Runs ``argv``; `start()` returns once a stdout line matches ``ready``."""

    def __init__(
        self, argv: Sequence[str], *, ready: str, cwd: str | None = None, timeout: float = 15.0
    ) -> None:
        self.argv = list(argv)
        self._ready_pattern = re.compile(ready)
        self._cwd = cwd
        self._timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._lines: collections.deque[str] = collections.deque(maxlen=50)
        self.match: re.Match[str] | None = None

    @property
    def output(self) -> str:
        """The last lines the process printed."""
        return "\n".join(self._lines)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process else None

    def start(self) -> re.Match[str]:
        """Start the process and wait until it reports it is ready."""
        self._process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self._cwd,
        )
        self._reader = threading.Thread(
            target=self._drain,
            args=(self._process.stdout,),
            name=f"drain {self.argv[0]}",
            daemon=True,
        )
        self._reader.start()
        # The reader sets the event on readiness or at EOF, so this never waits for the timeout
        # when the process dies early.
        if not self._ready.wait(self._timeout) or self.match is None:
            self.stop()
            raise ServerStartError(f"{' '.join(self.argv)} did not start:\n{self.output}")
        return self.match

    def _drain(self, stdout: IO[bytes]) -> None:
        try:
            for raw in stdout:
                line = raw.decode("utf-8", "replace").rstrip()
                self._lines.append(line)
                if self.match is None:
                    found = self._ready_pattern.search(line)
                    if found:
                        self.match = found
                        self._ready.set()
        finally:
            self._ready.set()  # EOF (or a reader failure): stop start() from waiting in vain

    def stop(self) -> None:
        """Terminate (then kill if needed) and reap the process; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        if process is not None and process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
