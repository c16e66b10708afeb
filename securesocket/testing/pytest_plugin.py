"""pytest plugin (entry point ``securesocket``): fixtures for the fixture PKI and its servers.

Installed with securesocket, so these fixtures are available in any test suite:

- ``securesocket_ca``: a fresh `CA` (root); ``securesocket_pki``: root → intermediate → a
  leaf for localhost and 127.0.0.1.
- ``openssl_server`` / ``python_tls_server``: factories; call them with a `LeafCert` (and
  the servers' keyword arguments) to get a started server, stopped at teardown.
- ``ocsp_responder`` and ``crl_server``: started Python servers on 127.0.0.1.
- ``live_scenario``: parametrize it indirectly with a scenario name,
  ``@pytest.mark.parametrize("live_scenario", ["good"], indirect=True)``; or use one of the
  named fixtures, one per catalogue scenario: ``scenario_good``, ``scenario_expired_leaf``, ...
- ``no_leftover_servers``: fails the test if it leaves a thread or a child process behind.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ._service import Service
from .ca import CA, LeafCert
from .crl_server import CRLServer
from .ocsp_servers import OCSPResponder
from .scenarios import SCENARIOS, LiveScenario
from .tls_servers import OpenSSLServer, PythonTLSServer


_S = TypeVar("_S", bound=Service)


@dataclass(frozen=True)
class FixturePKI:
    """root → intermediate → leaf (localhost, 127.0.0.1)."""

    root: CA
    intermediate: CA
    leaf: LeafCert


@pytest.fixture
def securesocket_ca() -> CA:
    """A fresh root CA."""
    return CA()


@pytest.fixture
def securesocket_pki() -> FixturePKI:
    """A fresh root → intermediate → leaf for localhost and 127.0.0.1."""
    root = CA()
    intermediate = root.create_child_ca(path_length=0)
    return FixturePKI(root, intermediate, intermediate.issue_cert("localhost", "127.0.0.1"))


def _started(server_class: Callable[..., _S]) -> Iterator[Callable[..., _S]]:
    """A factory fixture's body: start servers on request, stop them all at teardown."""
    started: list[_S] = []

    def start(leaf: LeafCert, **options: Any) -> _S:
        server = server_class(leaf, **options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def openssl_server() -> Iterator[Callable[..., OpenSSLServer]]:
    """Factory: ``openssl_server(leaf, **options)`` → a started ``openssl s_server``."""
    yield from _started(OpenSSLServer)


@pytest.fixture
def python_tls_server() -> Iterator[Callable[..., PythonTLSServer]]:
    """Factory: ``python_tls_server(leaf, **options)`` → a started stdlib ssl echo server."""
    yield from _started(PythonTLSServer)


@pytest.fixture
def ocsp_responder() -> Iterator[OCSPResponder]:
    """A started OCSP responder answering for no CA yet (``add_ca``)."""
    with OCSPResponder() as responder:
        yield responder


@pytest.fixture
def crl_server() -> Iterator[CRLServer]:
    """A started CRL server with nothing published yet (``publish``)."""
    with CRLServer() as server:
        yield server


@pytest.fixture
def live_scenario(request: pytest.FixtureRequest) -> Iterator[LiveScenario]:
    """The scenario named by indirect parametrization, started on 127.0.0.1."""
    name = getattr(request, "param", None)
    if not isinstance(name, str) or name not in SCENARIOS:
        raise pytest.UsageError(
            "parametrize live_scenario indirectly with a scenario name, one of: "
            + ", ".join(SCENARIOS)
        )
    with SCENARIOS[name].start() as live:
        yield live


def _scenario_fixture(name: str) -> Callable[[], Iterator[LiveScenario]]:
    def fixture() -> Iterator[LiveScenario]:
        with SCENARIOS[name].start() as live:
            yield live

    fixture.__doc__ = f"The {name!r} scenario, started: {SCENARIOS[name].description}"
    fixture.__name__ = f"scenario_{name.replace('-', '_')}"
    return pytest.fixture(name=fixture.__name__)(fixture)


# One named fixture per scenario (urllib3's scenario-named server fixtures, STYLE.md §12).
for _name in SCENARIOS:
    globals()[f"scenario_{_name.replace('-', '_')}"] = _scenario_fixture(_name)


def _child_processes() -> set[int]:
    me = str(os.getpid())
    found: set[int] = set()
    if not Path("/proc/self/stat").exists():  # not Linux: only threads are checked
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if fields[1] == me and fields[0] != "Z":
            found.add(int(entry.name))
    return found


@pytest.fixture
def no_leftover_servers() -> Iterator[None]:
    """Fail the test if it leaves a thread or a (non-zombie) child process running.

    Request it before the server fixtures, so that it is torn down after them.
    """
    threads, children = set(threading.enumerate()), _child_processes()
    yield
    left_threads = set(threading.enumerate()) - threads
    left_children = _child_processes() - children
    if left_threads or left_children:
        pytest.fail(
            f"left behind: threads {sorted(t.name for t in left_threads)}, "
            f"processes {sorted(left_children)}"
        )
