"""The loopback TLS server both benchmarked clients talk to (run in its own process).

Stdlib ``ssl``, TLS 1.3 only, no session tickets (every handshake is a full one), ECDSA P-256
chain (leaf + intermediate sent). One connection at a time, as the clients are sequential:

- a client that sends nothing and closes: a handshake-only connection;
- a client that sends ``BULK <n>\\n``: the server sends n bytes in 256 KiB writes, then
  close_notify.

Usage: ``python -m bench.tls_server <key+chain PEM> <port file>``; it writes its port to the
port file once listening and runs until killed.
"""

from __future__ import annotations

import socket
import ssl
import sys
from pathlib import Path


BLOCK = b"\xa5" * 262144


def serve(chain_pem: str, port_file: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.num_tickets = 0
    ctx.load_cert_chain(chain_pem)
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    tmp = Path(port_file + ".tmp")
    tmp.write_text(str(listener.getsockname()[1]))
    tmp.rename(port_file)
    while True:
        raw, _ = listener.accept()
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            with ctx.wrap_socket(raw, server_side=True) as tls:
                handle(tls)
        except (OSError, ssl.SSLError):
            pass  # the client closed without close_notify: normal for a handshake-only run
        finally:
            raw.close()


def handle(tls: ssl.SSLSocket) -> None:
    request = b""
    while not request.endswith(b"\n"):
        data = tls.recv(64)
        if not data:
            return
        request += data
    left = int(request.split()[1])
    view = memoryview(BLOCK)
    while left > 0:
        n = min(left, len(BLOCK))
        tls.sendall(view[:n])
        left -= n
    tls.unwrap()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
