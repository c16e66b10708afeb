"""`ManagedProcess`: a child process (an ``openssl`` server) that is ready before it is used.

# Model
The process writes its listening address to stdout (``ACCEPT host:port``). A reader thread
drains stdout for the whole life of the process (a full pipe would stall the server), keeps the
last lines for error messages, and signals readiness when the ready pattern appears. Start-up
waits on that signal, never on a sleep.

# Invariants
After `stop()` the process has exited and been reaped, the reader thread has ended, and the
pipe is closed, whatever state the process was in.

`ProcessServer` is the base of the servers that are such a process (``openssl s_server``,
``openssl ocsp``): it owns the process and a private temporary directory for its files, and
removes both on `stop()`, also when start-up fails.
"""

from __future__ import annotations

import collections
import re
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Self

from ._service import Service


__all__ = ["ManagedProcess", "ProcessServer", "ServerStartError"]


class ServerStartError(RuntimeError):
    """A fixture server did not become ready (its recent output is in the message)."""


class ManagedProcess(Service):
    """Runs ``argv``; `start()` returns once a stdout line matches ``ready`` (in `match`)."""

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

    def start(self) -> Self:
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
        return self

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


class ProcessServer(Service):
    """A server that is a child process working in a private temporary directory.

    A subclass's `start` writes its files into `_workdir()` and then calls `_launch`.
    """

    _prefix = "securesocket-"

    def __init__(self) -> None:
        self.port = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: ManagedProcess | None = None

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self._process.pid if self._process else None

    @property
    def output(self) -> str:
        """Recent output of the process (for diagnosing a failed test)."""
        return self._process.output if self._process else ""

    def _workdir(self) -> Path:
        """A fresh private directory for this run's files."""
        self._dir = tempfile.TemporaryDirectory(prefix=self._prefix)
        return Path(self._dir.name)

    def _launch(self, argv: Sequence[str], *, ready: str) -> re.Match[str]:
        """Run ``argv`` in the work directory until ``ready`` matches; on failure leave nothing."""
        self._process = ManagedProcess(argv, ready=ready, cwd=self._dir.name if self._dir else None)
        try:
            match = self._process.start().match
        except BaseException:
            self.stop()
            raise
        assert match is not None  # noqa: S101 - start() returns only once it matched
        return match

    def stop(self) -> None:
        """Stop the process and remove its files; idempotent."""
        if self._process is not None:
            self._process.stop()
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
