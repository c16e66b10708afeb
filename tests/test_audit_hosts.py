"""`securesocket audit --hosts`: bounded concurrency, JSON Lines as each finishes, --resume."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import jsonschema
import pytest
from test_audit_support import fixture_tls_server, refused_port, silent_listener

from securesocket.audit.cli import main
from securesocket.audit.hosts import (
    AuditCall,
    Progress,
    Summary,
    completed_keys,
    run_call,
    run_hosts,
    thread_mapper,
)
from securesocket.audit.model import AuditResult, Target
from securesocket.audit.probe import audit_host
from securesocket.audit.schema import audit_schema


def _lines(path: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        jsonschema.validate(row, audit_schema())
    return rows


def _by_key(rows: list[dict[str, object]]) -> dict[str, str]:
    keys = {}
    for row in rows:
        target = row["target"]
        assert isinstance(target, dict)
        keys[f"{target['host']}:{target['port']}"] = str(row["status"])
    return keys


class TestHostList:
    def test_garbage_lines_are_errors_and_the_rest_is_audited(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each garbage line gets an error with its number; every good host gets one JSON line."""
        output = tmp_path / "out.jsonl"
        with (
            fixture_tls_server(tmp_path) as live,
            refused_port() as refused,
            silent_listener() as silent,
        ):
            hosts = tmp_path / "hosts.txt"
            hosts.write_text(
                f"# fixtures\n127.0.0.1:{live.port}\nnot a host\n127.0.0.1:{refused}\n"
                f"127.0.0.1:{silent}\n127.0.0.1:70000\n127.0.0.1:{live.port}\n",
                encoding="utf-8",
            )
            argv = ["audit", "--hosts", str(hosts), "-o", str(output), "--trust", "none"]
            argv += ["--add-cert", f"{live.anchor_pem}:trusted", "--timeout", "1"]
            code = main([*argv, "--concurrency", "3"])
        err = capsys.readouterr().err
        assert code == 3  # the largest code that applies: unreachable hosts (3) > bad lines (2)
        assert "line 3: spaces inside a host: 'not a host'" in err
        assert "line 6: port 70000 is outside 1-65535" in err
        assert "audited 3 of 3 hosts" in err
        rows = _lines(output)
        assert _by_key(rows) == {
            f"127.0.0.1:{live.port}": "trusted",
            f"127.0.0.1:{refused}": "invalid",
            f"127.0.0.1:{silent}": "invalid",
        }
        reasons = {r["target"]["port"]: (r["error"] or {}).get("reason") for r in rows}  # type: ignore[index, union-attr]
        # The listener that never answers is cut off by the per-host --timeout.
        assert reasons == {live.port: None, refused: "connection-refused", silent: "timeout"}

    def test_a_line_that_is_not_utf8_is_one_bad_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Undecodable bytes spoil only their own line; the next line is still audited."""
        hosts = tmp_path / "hosts.txt"
        with refused_port() as port:
            hosts.write_bytes(b"\xff\xfe\x00garbage\n127.0.0.1:" + str(port).encode() + b"\n")
            assert main(["audit", "--hosts", str(hosts)]) == 3
        captured = capsys.readouterr()
        assert "line 1: " in captured.err
        assert [json.loads(line)["target"]["port"] for line in captured.out.splitlines()] == [port]

    def test_only_bad_lines_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A list with nothing but garbage audits nothing and exits 2."""
        hosts = tmp_path / "hosts.txt"
        hosts.write_text("not a host\n:443\n", encoding="utf-8")
        assert main(["audit", "--hosts", str(hosts)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "audited 0 of 0 hosts" in captured.err

    def test_stdin_and_stdout(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """'-' reads the list from stdin; without --output, JSON Lines go to stdout."""
        with refused_port() as first, refused_port() as second:
            monkeypatch.setattr(
                "sys.stdin",
                io.TextIOWrapper(io.BytesIO(f"127.0.0.1:{first}\n127.0.0.1:{second}\n".encode())),
            )
            assert main(["audit", "--hosts", "-"]) == 3
        lines = capsys.readouterr().out.splitlines()
        assert sorted(json.loads(line)["target"]["port"] for line in lines) == sorted(
            [first, second]
        )


class TestResume:
    def test_resume_skips_done_hosts_and_drops_a_torn_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--resume audits only hosts missing from the output, after cutting a torn last line."""
        output = tmp_path / "out.jsonl"
        with refused_port() as done_port, refused_port() as new_port:
            done = audit_host("127.0.0.1", done_port, timeout=2)
            output.write_text(
                json.dumps(_dict(done)) + "\n" + '{"target": {"host": "127.0', encoding="utf-8"
            )
            hosts = tmp_path / "hosts.txt"
            hosts.write_text(f"127.0.0.1:{done_port}\n127.0.0.1:{new_port}\n", encoding="utf-8")
            argv = ["audit", "--hosts", str(hosts), "-o", str(output), "--resume"]
            assert main(argv) == 3
        err = capsys.readouterr().err
        assert "1 unreadable lines" in err
        assert "skipped 1 already done" in err
        rows = _lines(output)
        assert [r["target"]["port"] for r in rows] == [done_port, new_port]  # type: ignore[index]

    def test_without_resume_the_output_is_replaced(self, tmp_path: Path) -> None:
        """Without --resume the output file starts afresh (nothing is skipped)."""
        output = tmp_path / "out.jsonl"
        with refused_port() as port:
            hosts = tmp_path / "hosts.txt"
            hosts.write_text(f"127.0.0.1:{port}\n", encoding="utf-8")
            for _ in range(2):
                main(["audit", "--hosts", str(hosts), "-o", str(output)])
        assert len(_lines(output)) == 1

    def test_completed_keys_of_a_missing_file(self, tmp_path: Path) -> None:
        """A missing output means nothing is done yet."""
        assert completed_keys(tmp_path / "absent.jsonl") == (set(), 0)


def _dict(result: AuditResult) -> dict[str, object]:
    from securesocket.audit.jsonio import to_jsonable

    data: dict[str, object] = to_jsonable(result)
    return data


class TestThreadMapper:
    def test_concurrency_is_bounded(self) -> None:
        """No more than `concurrency` audits run at once, and every call yields one result."""
        lock = threading.Lock()
        running, peak = 0, 0
        first_wave = threading.Barrier(3, timeout=30)
        template = audit_host("127.0.0.1", 1, timeout=1)

        def work(call: AuditCall) -> AuditResult:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            if call.target.port <= 3:
                first_wave.wait()  # the first three must overlap, proving 3 really run at once
            with lock:
                running -= 1
            return template

        calls = [AuditCall(Target("127.0.0.1", port, "127.0.0.1")) for port in range(1, 21)]
        results = list(thread_mapper(calls, 3, work))
        assert len(results) == 20
        assert peak == 3


class TestProgress:
    def test_drawn_only_on_a_terminal(self) -> None:
        """The progress bar writes to a terminal and stays silent otherwise."""
        quiet, loud = io.StringIO(), io.StringIO()
        for stream, enabled in ((quiet, False), (loud, True)):
            progress = Progress(2, stream, enabled=enabled)
            progress.advance()
            progress.advance()
            progress.close()
        assert quiet.getvalue() == ""
        assert "2/2" in loud.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgressThroughMain:
    @pytest.mark.parametrize("terminal", [True, False])
    def test_bar_on_a_terminal_stderr_only(
        self, terminal: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`--hosts` draws the bar when stderr is a terminal, and never otherwise; the summary
        is written either way and stdout carries only JSON Lines."""
        stderr, stdout = (_Terminal() if terminal else io.StringIO()), io.StringIO()
        monkeypatch.setattr("sys.stderr", stderr)
        monkeypatch.setattr("sys.stdout", stdout)
        hosts = tmp_path / "hosts.txt"
        with refused_port() as first, refused_port() as second:
            hosts.write_text(f"127.0.0.1:{first}\n127.0.0.1:{second}\n", encoding="utf-8")
            assert main(["audit", "--hosts", str(hosts)]) == 3
        assert ("] 2/2 " in stderr.getvalue()) is terminal
        assert "audited 2 of 2 hosts" in stderr.getvalue()
        assert [json.loads(line)["outcome"] for line in stdout.getvalue().splitlines()] == [
            "unreachable",
            "unreachable",
        ]


class TestSharedRevocationSources:
    def test_concurrent_audits_sharing_a_slow_crl_each_get_an_answer(self) -> None:
        """Hosts audited at once whose leaf points at the same slow CRL all get a decision:
        each worker thread has its own fetchers, so no audit awaits another loop's fetch."""
        from securesocket.testing.ca import CA
        from securesocket.testing.crl_server import CRLFault, CRLServer
        from securesocket.testing.tls_servers import OpenSSLServer

        with CRLServer(delay=0.5) as crls:
            root = CA(common_name="Shared CRL Root")
            inter = root.create_child_ca(
                common_name="Shared CRL Intermediate", crl_url=crls.url("inter.crl")
            )
            leaf = inter.issue_cert("127.0.0.1")
            crls.publish("inter.crl", inter.crl())
            crls.set_fault("inter.crl", CRLFault.SLOW)  # answers, but only after the delay
            with OpenSSLServer(leaf) as server:
                options = (
                    ("anchors", (root.cert_der,)),
                    ("revocation", "hard-fail"),
                    ("timeout", 20.0),
                    ("trust", "none"),
                )
                target = Target("127.0.0.1", server.port, "127.0.0.1")
                results = list(thread_mapper([AuditCall(target, options)] * 4, 4))
        assert [r.outcome.value for r in results] == ["trusted"] * 4
        decisions = {r.revocation.certificates[0].decision for r in results if r.revocation}
        assert decisions == {"good"}


class TestStreaming:
    def test_each_result_is_written_before_the_next_is_awaited(self, tmp_path: Path) -> None:
        """One JSON line per host is on disk (flushed) as soon as that host finishes, before
        the runner asks for the next result: a killed run loses nothing already finished."""
        import dataclasses

        output = tmp_path / "out.jsonl"
        with refused_port() as port:
            template = audit_host("127.0.0.1", port, timeout=2)
        on_disk_when_asked: list[int] = []

        def mapper(calls: Iterable[AuditCall], _concurrency: int) -> Iterator[AuditResult]:
            for call in calls:
                on_disk_when_asked.append(len(output.read_text(encoding="utf-8").splitlines()))
                yield dataclasses.replace(template, target=call.target)

        targets = [Target("127.0.0.1", port, "127.0.0.1") for port in (1, 2, 3)]
        summary = Summary(requested=3)
        with output.open("w", encoding="utf-8") as sink:
            run_hosts(targets, options={}, concurrency=1, out=sink, summary=summary, mapper=mapper)
        assert on_disk_when_asked == [0, 1, 2]
        assert [row["target"]["port"] for row in _lines(output)] == [1, 2, 3]  # type: ignore[index]
        assert summary.audited == 3


class TestPicklable:
    def test_audit_runs_in_another_process(self) -> None:
        """`audit_host` and an `AuditCall` travel to a fresh (spawned) process, which audits
        the host and sends the frozen result back: what a distributed engine needs."""
        import multiprocessing
        import pickle
        from concurrent.futures import ProcessPoolExecutor

        assert pickle.loads(pickle.dumps(audit_host)) is audit_host  # noqa: S301 - our own bytes
        with refused_port() as port:
            call = AuditCall(
                Target("127.0.0.1", port, "127.0.0.1"), (("timeout", 5.0), ("trust", "none"))
            )
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                result = pool.submit(run_call, call).result(timeout=60)
        assert isinstance(result, AuditResult)
        assert result.target == call.target
        assert result.error is not None
        assert result.error.reason.value == "connection-refused"
