"""`securesocket audit --hosts ... --dask SCHEDULER` on a local Dask cluster (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from test_audit_support import fixture_tls_server, refused_port

from securesocket.audit.cli import main
from securesocket.audit.schema import audit_schema


distributed = pytest.importorskip(
    "distributed", reason="dask[distributed] is not installed (pip install 'securesocket[dask]')"
)


def _statuses(path: Path) -> dict[int, str]:
    statuses = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        jsonschema.validate(row, audit_schema())
        statuses[row["target"]["port"]] = row["status"]
    return statuses


def test_dask_gives_the_same_results_as_threads(tmp_path: Path) -> None:
    """The same host list audited on a Dask cluster and on local threads gives the same verdicts."""
    hosts = tmp_path / "hosts.txt"
    with (
        fixture_tls_server(tmp_path) as live,
        refused_port() as refused,
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
    ):
        hosts.write_text(f"127.0.0.1:{live.port}\n127.0.0.1:{refused}\n", encoding="utf-8")
        common = ["audit", "--hosts", str(hosts), "--trust", "none", "--concurrency", "1"]
        common += ["--add-cert", f"{live.anchor_pem}:trusted", "--timeout", "5"]
        on_dask, on_threads = tmp_path / "dask.jsonl", tmp_path / "threads.jsonl"
        assert main([*common, "-o", str(on_dask), "--dask", cluster.scheduler_address]) == 3
        assert main([*common, "-o", str(on_threads)]) == 3
    expected = {live.port: "trusted", refused: "invalid"}
    assert _statuses(on_dask) == expected
    assert _statuses(on_threads) == expected


def test_unreachable_scheduler_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--dask with a scheduler nobody listens on: a clear message and exit 3, not a traceback."""
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("127.0.0.1:1\n", encoding="utf-8")
    with refused_port() as scheduler_port:
        argv = ["audit", "--hosts", str(hosts), "--timeout", "1"]
        assert main([*argv, "--dask", f"tcp://127.0.0.1:{scheduler_port}"]) == 3
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def test_the_readme_python_example_maps_audit_host_over_a_cluster() -> None:
    """README's snippet: `client.map(audit_host, hosts, ..., revocation=...)` on a cluster gives
    one frozen AuditResult per host, in order."""
    from securesocket.audit import AuditResult, audit_host

    with (
        refused_port() as first,
        refused_port() as second,
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        futures = client.map(
            audit_host, ["127.0.0.1", "127.0.0.1"], [first, second], revocation="hard-fail"
        )
        results = client.gather(futures)
    assert all(isinstance(result, AuditResult) for result in results)
    assert [(r.target.port, r.outcome.value) for r in results] == [
        (first, "unreachable"),
        (second, "unreachable"),
    ]
    assert {r.settings.revocation for r in results} == {"hard-fail"}
