"""`KeyUpdateServer`: `openssl s_server` driven to send a TLS 1.3 KeyUpdate mid-stream."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Self

from cryptography.hazmat.primitives import serialization

from .._service import Service
from ._identity import ServerIdentity
from ._server import HOST, JOIN_TIMEOUT


class KeyUpdateServer(Service):
    """TLS 1.3 `openssl s_server` that sends a KeyUpdate (requesting one back) mid-stream.

    After each handshake it sends ``before\\n``, then a KeyUpdate with update_requested, then
    ``after\\n``.

    Attributes:
        key_updates: KeyUpdates s_server reported as sent successfully.
        output: s_server's output lines after each handshake; the lines the client sends
            appear here too, among s_server's diagnostics.
    """

    BEFORE = b"before\n"
    AFTER = b"after\n"
    _GAP = 0.3  # s_server treats a stdin read as a command only if ``K`` starts the read

    def __init__(self, identity: ServerIdentity) -> None:
        self.identity = identity
        self.host = HOST
        self.port = 0
        self.key_updates = 0
        self.output: list[str] = []
        self.errors: list[BaseException] = []
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.host, self.port

    def start(self) -> Self:
        """Start s_server on a fresh port on 127.0.0.1; return once it accepts."""
        self._dir = Path(tempfile.mkdtemp(prefix="securesocket-keyupdate-"))
        cert, chain, key = self._dir / "cert.pem", self._dir / "chain.pem", self._dir / "key.pem"
        cert.write_bytes(self.identity.leaf.public_bytes(serialization.Encoding.PEM))
        chain.write_bytes(
            b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.identity.chain[1:])
        )
        key.write_bytes(
            self.identity.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        argv = ["openssl", "s_server", "-accept", f"{HOST}:0", "-tls1_3", "-cert", str(cert)]
        argv += ["-key", str(key), "-no_ign_eof"]
        if len(self.identity.chain) > 1:
            argv += ["-cert_chain", str(chain)]
        self._process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self._reader = threading.Thread(target=self._read_output, name="KeyUpdateServer-reader")
        self._reader.start()
        if not self._ready.wait(JOIN_TIMEOUT) or not self.port:
            self.stop()
            raise RuntimeError("openssl s_server did not start")
        return self

    def _read_output(self) -> None:
        process = self._process
        assert process is not None  # noqa: S101 - set in __enter__
        assert process.stdout is not None  # noqa: S101
        try:
            for raw in process.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if match := re.fullmatch(r"ACCEPT .*:(\d+)", line):
                    self.port = int(match.group(1))
                    self._ready.set()
                elif line.startswith("CIPHER is"):
                    self._update_keys(process.stdin)
                elif line == "SSL_do_handshake -> 1":
                    self.key_updates += 1
                elif self.key_updates or line.startswith("Secure Renegotiation"):
                    self.output.append(line)
        except Exception as exc:  # recorded for the test to assert on
            self.errors.append(exc)
        finally:
            self._ready.set()

    def _update_keys(self, stdin: IO[bytes] | None) -> None:
        assert stdin is not None  # noqa: S101
        for command in (self.BEFORE, b"K\n", self.AFTER):
            with contextlib.suppress(BrokenPipeError):
                stdin.write(command)
                stdin.flush()
            time.sleep(self._GAP)

    def stop(self) -> None:
        """End s_server and the reader thread, remove the temporary files (idempotent)."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(JOIN_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
        if self._reader is not None:
            self._reader.join(JOIN_TIMEOUT)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
