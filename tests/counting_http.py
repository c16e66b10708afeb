"""`CountingHTTPServer`: an HTTP server on a loopback address that records every request.

For tests that must show a client asked something, or asked nothing at all: every GET and POST
is recorded (path), then answered with a body, a redirect, or 404.
"""

from __future__ import annotations

import http.server
import threading
from typing import Any, Self

from securesocket.testing._service import Service


class CountingHTTPServer(Service):
    """Records each request's path in `requests`.

    Args:
        host: the loopback address to bind (Linux answers on all of 127.0.0.0/8).
        body: answer 200 with these bytes; with neither `body` nor `redirect`, 404.
        redirect: answer 302 to this URL.
    """

    def __init__(
        self, host: str = "127.0.0.1", *, body: bytes | None = None, redirect: str | None = None
    ) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if redirect is not None:
                    self.send_response(302)
                    self.send_header("Location", redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif body is not None:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                self.do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        # A short poll interval: shutdown() waits up to one interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
