"""`securesocket audit` as a command: usage errors, exit codes, and hosts that fail to answer."""

from __future__ import annotations

import io
import json
import ssl
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from test_audit_support import (
    fixture_tls_server,
    malformed_name_server,
    plaintext_server,
    refused_port,
    silent_listener,
    version_2,
)

from securesocket.audit.cli import main
from securesocket.audit.schema import audit_schema


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, audit_schema())
    return data


class TestUsage:
    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["audit"], "exactly one of"),
            (["audit", "a.example", "--matrix"], "exactly one of"),
            (["audit", "a.example:0"], "outside 1-65535"),
            (["audit", "a.example", "--timeout", "0"], "--timeout must be a positive"),
            (["audit", "a.example", "--timeout", "inf"], "--timeout must be a positive"),
            (["audit", "a.example", "--timeout", "nan"], "--timeout must be a positive"),
            (["audit", "--matrix", "--timeout", "-1"], "--timeout must be a positive"),
            (["audit", "--hosts", "-", "--timeout", "0"], "--timeout must be a positive"),
            (["audit", "a.example", "--at", "yesterday"], "not an ISO 8601 time"),
            (["audit", "a.example", "--add-cert", "/nonexistent.pem"], "cannot read"),
            (["audit", "a.example", "--concurrency", "3"], "--concurrency needs --hosts"),
            (["audit", "--hosts", "-", "--concurrency", "0"], "at least 1"),
            (["audit", "--hosts", "-", "--concurrency", "5000"], "above 1024 needs --dask"),
            (["audit", "--hosts", "x", "--resume"], "--resume needs --hosts and --output"),
            (["audit", "--hosts", "/nonexistent-list"], "cannot read it"),
            (["audit", "--scenario", "good", "a.example"], "--scenario needs --matrix"),
            (["audit", "a.example", "--servername", "a..b"], "--servername 'a..b'"),
        ],
    )
    def test_usage_errors_exit_2_with_a_message(
        self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Bad arguments exit 2 and say what is wrong on stderr, with nothing on stdout."""
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert message in captured.err
        assert captured.out == ""

    @pytest.mark.parametrize(
        "argv", [["audit", "a.example", "--revocation", "maybe"], ["frobnicate"], []]
    )
    def test_argparse_errors_exit_2(
        self, argv: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Unknown choices and commands are usage errors too."""
        assert main(argv) == 2
        assert "usage:" in capsys.readouterr().err

    def test_add_cert_rejects_a_file_that_is_not_a_certificate(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--add-cert with garbage in the file is a usage error naming the file."""
        junk = tmp_path / "junk.der"
        junk.write_bytes(b"\x00not a certificate")
        assert main(["audit", "a.example", "--add-cert", f"{junk}:trusted"]) == 2
        assert "not a DER or PEM certificate" in capsys.readouterr().err

    def test_help_documents_exit_codes(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help exits 0 and lists every exit code."""
        assert main(["audit", "--help"]) == 0
        out = capsys.readouterr().out
        codes = ("0  trusted", "1  not trusted", "2  usage error", "3  could not reach")
        for line in (*codes, "4  internal error", "130  interrupted"):
            assert line in out


class TestUnreachable:
    def test_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A port that refuses gives exit 3 and a connection-refused result."""
        with refused_port() as port:
            assert main(["audit", f"127.0.0.1:{port}", "--json"]) == 3
        data = _json(capsys)
        assert data["outcome"] == "unreachable"
        assert data["status"] == "invalid"
        assert data["error"] == {
            "reason": "connection-refused",
            "message": f"127.0.0.1 port {port} refused the connection",
            "trace": None,
        }

    def test_never_answers(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A listener that never speaks gives exit 3 and a timeout within --timeout."""
        with silent_listener() as port:
            assert main(["audit", f"127.0.0.1:{port}", "--timeout", "0.5", "--json"]) == 3
        data = _json(capsys)
        assert data["error"]["reason"] == "timeout"  # type: ignore[index]

    def test_not_tls(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A server that answers in plain text gives exit 3 and a TLS handshake failure."""
        with plaintext_server() as port:
            assert main(["audit", f"127.0.0.1:{port}", "--timeout", "5", "--json"]) == 3
        data = _json(capsys)
        assert data["error"]["reason"] == "tls-handshake-failed"  # type: ignore[index]

    def test_unresolvable_name(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A name that does not resolve gives exit 3 and says so (.invalid never resolves)."""
        assert main(["audit", "no-such-host.invalid", "--json"]) == 3
        assert _json(capsys)["error"]["reason"] == "name-not-resolved"  # type: ignore[index]

    def test_console_view_of_a_refusal(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The console view says UNREACHABLE and why, without colour when not a terminal."""
        with refused_port() as port:
            assert main(["audit", f"127.0.0.1:{port}"]) == 3
        out = capsys.readouterr().out
        assert "UNREACHABLE" in out
        assert "refused the connection" in out
        assert "\033[" not in out


class _Terminal(io.StringIO):
    """Captured output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class TestColourOnlyOnATerminal:
    """--color auto (the default) colours stdout only when it is a terminal, unless NO_COLOR
    is set; the non-terminal twin is TestUnreachable.test_console_view_of_a_refusal."""

    def test_a_terminal_gets_colour(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("NO_COLOR", raising=False)
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        with refused_port() as port:
            assert main(["audit", f"127.0.0.1:{port}"]) == 3
        assert "\033[33mUNREACHABLE\033[0m" in terminal.getvalue()

    @pytest.mark.parametrize(("argv", "env"), [(["--color", "never"], {}), ([], {"NO_COLOR": "1"})])
    def test_a_terminal_without_colour_when_asked(
        self, argv: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        with refused_port() as port:
            assert main(["audit", f"127.0.0.1:{port}", *argv]) == 3
        assert "UNREACHABLE" in terminal.getvalue()
        assert "\033[" not in terminal.getvalue()


class TestBadServerName:
    def test_an_unencodable_server_name_is_a_result_not_a_crash(self) -> None:
        """Through the Python API, a server name IDNA cannot encode is reported, not raised."""
        from securesocket.audit.probe import audit_host

        with silent_listener() as port:
            result = audit_host("127.0.0.1", port, server_name="a..b", timeout=2)
        assert result.error is not None
        assert result.error.reason.value == "name-not-resolved"
        assert "cannot be sent as a server name" in result.error.message


class TestSubprocess:
    def test_python_dash_m_runs_the_command(self) -> None:
        """`python -m securesocket audit` runs as a real process: JSON on stdout, exit 3."""
        with refused_port() as port:
            proc = subprocess.run(
                [sys.executable, "-m", "securesocket", "audit", f"127.0.0.1:{port}", "--json"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        assert proc.returncode == 3, proc.stderr
        data = json.loads(proc.stdout)
        jsonschema.validate(data, audit_schema())
        assert data["target"] == {"host": "127.0.0.1", "port": port, "server_name": "127.0.0.1"}


class TestRealServer:
    """One host, end to end over loopback against a fixture-PKI `openssl s_server`."""

    def test_trusted_with_the_root_added(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With the fixture root added as trusted, the server is trusted: exit 0, full report."""
        with fixture_tls_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]
            assert main([*argv, "--add-cert", f"{live.anchor_pem}:trusted"]) == 0
        data = _json(capsys)
        assert data["outcome"] == "trusted"
        assert data["connection"]["protocol"] in ("TLSv1.2", "TLSv1.3")  # type: ignore[index]
        assert len(data["chain_sent"]) == 2  # type: ignore[arg-type]
        assert len(data["path_built"]) == 3  # type: ignore[arg-type]
        assert data["revocation"]["policy"] == "soft-fail"  # type: ignore[index]

    def test_untrusted_without_the_root(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The same server without its root added: exit 1, untrustedSigners, no revocation."""
        with fixture_tls_server(tmp_path) as live:
            assert main(["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]) == 1
        data = _json(capsys)
        assert (data["outcome"], data["status"]) == ("not-trusted", "untrustedSigners")
        assert data["revocation"] is None

    def test_root_added_untrusted_does_not_make_it_trusted(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--add-cert without ':trusted' only helps chain building; it is not an anchor."""
        with fixture_tls_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]
            assert main([*argv, "--add-cert", str(live.anchor_pem)]) == 1
        assert _json(capsys)["status"] == "untrustedSigners"

    def test_wrong_name(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--servername that the certificate does not name gives principalMismatch."""
        with fixture_tls_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--servername", "other.example"]
            argv += ["--trust", "none", "--add-cert", f"{live.anchor_pem}:trusted", "--json"]
            assert main(argv) == 1
        assert _json(capsys)["status"] == "principalMismatch"

    def test_require_rejects_a_certificate_without_revocation_sources(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Under require, no revocation information at all is invalid (CONTRACTS.md table)."""
        with fixture_tls_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]
            argv += ["--add-cert", f"{live.anchor_pem}:trusted", "--revocation", "require"]
            assert main(argv) == 1
        data = _json(capsys)
        assert data["status"] == "invalid"
        assert data["revocation"]["accepted"] is False  # type: ignore[index]

    def test_not_yet_valid_at_an_earlier_time(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--at before the leaf's notBefore (issued today; CAs from 2020) gives notYetValid."""
        with fixture_tls_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]
            argv += ["--add-cert", f"{live.anchor_pem}:trusted", "--at", "2025-01-01T00:00:00"]
            assert main(argv) == 1
        data = _json(capsys)
        assert data["status"] == "notYetValid"
        assert data["settings"]["at"] == "2025-01-01T00:00:00+00:00"  # type: ignore[index]

    def test_console_view_in_colour_when_forced(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The console view shows the chain and the path; --color always adds ANSI codes."""
        with fixture_tls_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--color", "always"]
            assert main([*argv, "--add-cert", f"{live.anchor_pem}:trusted"]) == 0
        out = capsys.readouterr().out
        assert "Chain as sent (2)" in out
        assert "Path as built (3)" in out
        assert "\033[32m" in out


class TestTrustOptions:
    """--servername, --add-cert (DER, chain building) and --trust, each with its failing twin."""

    def test_servername_is_the_name_checked(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A certificate for localhost, served at 127.0.0.1: trusted with --servername
        localhost, principalMismatch without it (the address is then the name checked)."""
        with fixture_tls_server(tmp_path, name="localhost") as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]
            argv += ["--add-cert", f"{live.anchor_pem}:trusted"]
            assert main([*argv, "--servername", "localhost"]) == 0
            named = _json(capsys)
            assert main(argv) == 1
            unnamed = _json(capsys)
        assert (named["status"], named["target"]["server_name"]) == ("trusted", "localhost")  # type: ignore[index]
        assert unnamed["status"] == "principalMismatch"

    def test_der_intermediate_completes_a_chain_the_server_left_short(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The server sends its leaf alone. The intermediate given as a DER --add-cert (not
        trusted) lets the path be built: trusted, with the intermediate in the path though not
        sent. Without it: untrustedSigners."""
        from cryptography.hazmat.primitives.serialization import Encoding

        from securesocket.testing.ca import CA
        from securesocket.testing.tls_servers import OpenSSLServer

        root = CA(common_name="Short Chain Root")
        inter = root.create_child_ca(common_name="Short Chain Intermediate")
        leaf = inter.issue_cert("127.0.0.1")
        (tmp_path / "root.der").write_bytes(root.cert_der)
        (tmp_path / "inter.der").write_bytes(inter.certificate.public_bytes(Encoding.DER))
        with OpenSSLServer(leaf, chain=()) as server:
            argv = ["audit", f"127.0.0.1:{server.port}", "--trust", "none", "--json"]
            argv += ["--add-cert", f"{tmp_path / 'root.der'}:trusted"]
            assert main([*argv, "--add-cert", str(tmp_path / "inter.der")]) == 0
            helped = _json(capsys)
            assert main(argv) == 1
            alone = _json(capsys)
        assert len(helped["chain_sent"]) == 1  # type: ignore[arg-type]
        assert [c["subject"] for c in helped["path_built"]] == [  # type: ignore[attr-defined]
            "CN=127.0.0.1,O=securesocket testing",
            "CN=Short Chain Intermediate,O=securesocket testing",
            "CN=Short Chain Root,O=securesocket testing",
        ]
        assert (helped["settings"]["added_anchors"], helped["settings"]["added_intermediates"]) == (
            1,
            1,
        )  # type: ignore[index]
        assert alone["status"] == "untrustedSigners"

    def test_platform_trust_reads_ssl_cert_file_and_certifi_does_not(self, tmp_path: Path) -> None:
        """In a real process with SSL_CERT_FILE naming the fixture root: --trust platform trusts
        the server (exit 0); --trust certifi (Mozilla's roots only) does not (exit 1)."""
        import os

        with fixture_tls_server(tmp_path) as live:
            env = {**os.environ, "SSL_CERT_FILE": str(live.anchor_pem)}
            env.pop("SSL_CERT_DIR", None)
            codes = {}
            for trust in ("platform", "certifi"):
                argv = ["audit", f"127.0.0.1:{live.port}", "--trust", trust, "--json"]
                proc = subprocess.run(
                    [sys.executable, "-m", "securesocket", *argv, "--revocation", "off"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                    env=env,
                )
                codes[trust] = (proc.returncode, json.loads(proc.stdout)["status"])
        assert codes == {"platform": (0, "trusted"), "certifi": (1, "untrustedSigners")}


class TestMalformedLeaf:
    """A live server whose leaf's subject does not parse (the trust layer still puts that leaf
    in `path`): a verdict about the certificate, never an internal error."""

    def test_json_result_is_invalid_with_the_corruption_named(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exit 1 (not trusted), status invalid, the malformed problem at depth 0, and the
        leaf still described field by field with its subject marked unparsable."""
        with malformed_name_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]
            assert main([*argv, "--add-cert", f"{live.anchor_pem}:trusted"]) == 1
        data = _json(capsys)
        assert (data["outcome"], data["status"], data["error"]) == ("not-trusted", "invalid", None)
        problems = data["problems"]
        assert isinstance(problems, list)
        assert [(p["code"], p["depth"]) for p in problems] == [("malformed", 0)]
        sent, built = data["chain_sent"], data["path_built"]
        assert isinstance(sent, list)
        assert isinstance(built, list)
        assert len(sent) == 2
        assert [c["sha256"] for c in built] == [sent[0]["sha256"]]
        leaf = sent[0]
        assert leaf["subject"].startswith("(unparsable: ")
        assert leaf["issuer"] == "CN=Audit Test Intermediate,O=securesocket testing"
        assert (leaf["key"], leaf["signature_algorithm"]) == ("EC secp256r1", "ecdsa-with-SHA256")
        assert sent[1]["subject"] == "CN=Audit Test Intermediate,O=securesocket testing"

    def test_console_view_names_the_corruption(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The console view reports it like any other untrusted certificate."""
        with malformed_name_server(tmp_path) as live:
            argv = ["audit", f"127.0.0.1:{live.port}", "--trust", "none"]
            assert main([*argv, "--add-cert", f"{live.anchor_pem}:trusted"]) == 1
        out = capsys.readouterr().out
        assert "NOT-TRUSTED (invalid)" in out
        assert "malformed: the certificate is corrupt: unparseable name" in out
        assert "INTERNAL" not in out


class TestUnloadableIntermediate:
    """The server sends an intermediate with an X.509 v2 version, which OpenSSL sends but
    cryptography cannot load at all: the chain is still shown, the verdict is invalid."""

    def test_v2_intermediate_is_shown_and_judged_invalid(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exit 1 and invalid (as SecureSocket, whose verify callback fails on it), not an
        internal error; the good twin is TestRealServer.test_trusted_with_the_root_added."""
        from securesocket.testing.ca import CA
        from securesocket.testing.tls_servers import OpenSSLServer

        root = CA(common_name="V2 Root")
        inter = root.create_child_ca(common_name="V2 Intermediate")
        leaf = inter.issue_cert("127.0.0.1")
        sent = tmp_path / "chain.pem"
        sent.write_bytes(ssl.DER_cert_to_PEM_cert(version_2(inter.certificate)).encode())
        (tmp_path / "root.der").write_bytes(root.cert_der)
        # s_server sends the leaf, then what -cert_chain holds: here the v2 copy.
        with OpenSSLServer(leaf, chain=(), extra_args=["-cert_chain", str(sent)]) as server:
            argv = ["audit", f"127.0.0.1:{server.port}", "--trust", "none", "--json"]
            assert main([*argv, "--add-cert", f"{tmp_path / 'root.der'}:trusted"]) == 1
        data = _json(capsys)
        assert (data["outcome"], data["status"]) == ("not-trusted", "invalid")
        assert [p["code"] for p in data["problems"]] == ["malformed_certificate"]  # type: ignore[attr-defined]
        sent_info = data["chain_sent"]
        assert isinstance(sent_info, list)
        assert len(sent_info) == 2
        assert sent_info[0]["subject"] == "CN=127.0.0.1,O=securesocket testing"
        assert sent_info[1]["subject"].startswith("(unparsable: ")


class TestStaple:
    """The observer handshake asks for a staple and hands it to the revocation layer."""

    @staticmethod
    def _audit(status: str, policy: str) -> dict[str, object]:
        from cryptography.hazmat.primitives.serialization import Encoding

        from securesocket.audit.jsonio import to_jsonable
        from securesocket.audit.probe import audit_host
        from securesocket.testing.ca import CA
        from securesocket.testing.tls_servers import OpenSSLServer

        root = CA(common_name="Staple Root")
        inter = root.create_child_ca(common_name="Staple Intermediate")
        leaf = inter.issue_cert("127.0.0.1")
        staple = inter.ocsp_response(leaf, status=status).public_bytes(Encoding.DER)
        with OpenSSLServer(leaf, staple=staple) as server:
            result = audit_host(
                "127.0.0.1", server.port, revocation=policy, trust="none", anchors=[root.cert_der]
            )
        data: dict[str, object] = to_jsonable(result)
        return data

    def test_revoked_staple_is_caught_under_soft_fail(self) -> None:
        """A stapled "revoked" answer makes the leaf revoked under AIR's soft-fail."""
        data = self._audit("revoked", "soft-fail")
        assert data["connection"]["stapled_ocsp"] is True  # type: ignore[index]
        assert data["status"] == "revoked"

    def test_revoked_staple_is_ignored_when_revocation_is_off(self) -> None:
        """The same server under 'off': nothing is checked and the revoked leaf is trusted."""
        assert self._audit("revoked", "off")["status"] == "trusted"

    def test_good_staple_satisfies_require_for_the_leaf(self) -> None:
        """A good staple is used: the leaf's decision under require is good, from the staple."""
        data = self._audit("good", "require")
        leaf = data["revocation"]["certificates"][0]  # type: ignore[index]
        assert leaf["decision"] == "good"
        assert leaf["attempts"][0]["origin"] == "staple"


class TestInternalError:
    def test_a_bug_in_the_verdict_is_a_result_with_its_trace(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An exception inside our own code becomes an internal-error result (exit 4) carrying
        the trace, never a crash of the command."""
        from securesocket.audit import verdict

        def broken(*_args: object, **_kwargs: object) -> None:
            raise ZeroDivisionError("simulated bug")

        monkeypatch.setattr(verdict, "judge", broken)
        with fixture_tls_server(tmp_path) as live:
            assert main(["audit", f"127.0.0.1:{live.port}", "--trust", "none", "--json"]) == 4
        data = _json(capsys)
        assert data["outcome"] == "internal-error"
        error = data["error"]
        assert isinstance(error, dict)
        assert error["reason"] == "internal-error"
        assert "ZeroDivisionError: simulated bug" in error["message"]
        assert "Traceback" in error["trace"]


class TestPythonAPIArguments:
    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"host": ""}, "host must not be empty"),
            ({"port": 0}, "outside 1-65535"),
            ({"port": 70000}, "outside 1-65535"),
            ({"revocation": "sometimes"}, "unknown revocation policy"),
            ({"trust": "everyone"}, "unknown trust setting"),
            ({"timeout": 0}, "timeout must be positive"),
            ({"timeout": float("inf")}, "timeout must be positive and finite"),
            ({"timeout": float("nan")}, "timeout must be positive and finite"),
        ],
    )
    def test_caller_mistakes_raise_before_connecting(
        self, kwargs: dict[str, object], match: str
    ) -> None:
        """audit_host raises ValueError for the caller's own mistakes, before any connection."""
        from securesocket.audit.probe import audit_host

        arguments: dict[str, object] = {"host": "127.0.0.1", "port": 1, **kwargs}
        with pytest.raises(ValueError, match=match):
            audit_host(**arguments)  # type: ignore[arg-type]

    def test_naive_time_is_refused(self) -> None:
        """A validation time without a timezone is ambiguous and refused."""
        import datetime as dt

        from securesocket.audit.probe import audit_host

        with pytest.raises(ValueError, match="aware"):
            audit_host("127.0.0.1", 1, at=dt.datetime(2026, 1, 1))
