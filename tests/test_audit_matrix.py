"""`securesocket audit --matrix`: scenarios x policies, compared with the catalogue.

The first class drives the matrix over small catalogues of our own (real loopback servers,
real audits), so the runner, the table, the JSON and the exit codes are tested whatever the
state of the shared catalogue; the second runs the real catalogue (a subset; `make run` runs
all of it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from test_audit_support import fixture_tls_server

from securesocket import CertificateStatus
from securesocket.audit import matrix
from securesocket.audit.cli import main
from securesocket.audit.schema import audit_schema


T, INV = CertificateStatus.TRUSTED, CertificateStatus.INVALID
NO_REVOCATION_INFO = {"off": T, "soft-fail": T, "hard-fail": T, "require": INV}


@dataclass(frozen=True)
class _Live:
    host: str
    port: int
    server_name: str
    anchors: tuple[bytes, ...]
    extra: tuple[bytes, ...] = ()


@dataclass
class _Scenario:
    """A catalogue entry of our own: a fixture s_server whose root is (or is not) an anchor."""

    tmp_path: Path
    expected: Mapping[str, CertificateStatus]
    trust_root: bool = True
    broken: bool = False
    description: str = "fixture chain, no revocation sources"
    started: list[int] = field(default_factory=list)

    @contextlib.contextmanager
    def start(self) -> Iterator[_Live]:
        if self.broken:
            raise RuntimeError("the servers did not start")
        workdir = self.tmp_path / str(len(self.started))
        workdir.mkdir(parents=True)
        with fixture_tls_server(workdir) as live:
            self.started.append(live.port)
            root = x509.load_pem_x509_certificate(live.anchor_pem.read_bytes())
            anchors = (root.public_bytes(Encoding.DER),) if self.trust_root else ()
            yield _Live("127.0.0.1", live.port, "127.0.0.1", anchors)


@pytest.fixture
def use_catalogue(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(catalogue: Mapping[str, _Scenario]) -> None:
        monkeypatch.setattr(matrix, "load_catalogue", lambda: catalogue)

    return install


class TestMatrixRunner:
    def test_all_match_exits_0(
        self, tmp_path: Path, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Outcomes equal to the catalogue's: exit 0, a row per scenario, a column per policy."""
        use_catalogue({"no-revocation-info": _Scenario(tmp_path / "a", NO_REVOCATION_INFO)})
        assert main(["audit", "--matrix"]) == 0
        out = capsys.readouterr().out
        assert "soft-fail (AIR)" in out
        assert "every outcome matches the catalogue" in out
        row = next(line for line in out.splitlines() if line.startswith("no-revocation-info"))
        expected = ["no-revocation-info", "trusted", "trusted", "?", "trusted", "?", "invalid"]
        assert row.split() == expected

    def test_a_mismatch_exits_1_and_is_named(
        self, tmp_path: Path, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A catalogue that expects something else: exit 1 and a MISMATCH line for the cell."""
        wrong = {**NO_REVOCATION_INFO, "require": T}
        use_catalogue({"claims-require-trusts": _Scenario(tmp_path / "a", wrong)})
        assert main(["audit", "--matrix"]) == 1
        out = capsys.readouterr().out
        assert "MISMATCH claims-require-trusts under require: expected trusted, got invalid" in out

    def test_a_scenario_that_cannot_start_fails_the_run_but_not_the_others(
        self, tmp_path: Path, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """One broken scenario is reported as not run, the others still audited; exit 1."""
        use_catalogue(
            {
                "broken": _Scenario(tmp_path / "b", NO_REVOCATION_INFO, broken=True),
                "fine": _Scenario(tmp_path / "f", NO_REVOCATION_INFO),
            }
        )
        assert main(["audit", "--matrix"]) == 1
        out = capsys.readouterr().out
        assert "broken: could not run: RuntimeError: the servers did not start" in out
        assert "1 scenarios not run" in out

    def test_json_validates_and_carries_every_audit(
        self, tmp_path: Path, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json writes a MatrixReport that validates, with the full audit in every cell."""
        untrusted = dict.fromkeys(NO_REVOCATION_INFO, CertificateStatus.UNTRUSTED_SIGNERS)
        use_catalogue({"untrusted-root": _Scenario(tmp_path / "u", untrusted, trust_root=False)})
        assert main(["audit", "--matrix", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        jsonschema.validate(data, audit_schema())
        (row,) = data["rows"]
        assert [c["actual"] for c in row["cells"]] == ["untrustedSigners"] * 4
        assert all(c["result"]["revocation"] is None for c in row["cells"])

    def test_scenario_filter(
        self, tmp_path: Path, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--scenario runs only the named scenarios; an unknown name is a usage error."""
        picked = _Scenario(tmp_path / "p", NO_REVOCATION_INFO)
        skipped = _Scenario(tmp_path / "s", NO_REVOCATION_INFO)
        use_catalogue({"picked": picked, "skipped": skipped})
        assert main(["audit", "--matrix", "--scenario", "picked"]) == 0
        assert (len(picked.started), len(skipped.started)) == (1, 0)
        assert main(["audit", "--matrix", "--scenario", "nope"]) == 2
        assert "unknown scenario nope" in capsys.readouterr().err

    def test_rows_are_reported_as_they_finish(self, tmp_path: Path) -> None:
        """on_row sees every row once; the report keeps the catalogue's order."""
        catalogue = {
            name: _Scenario(tmp_path / name, NO_REVOCATION_INFO) for name in ("one", "two")
        }
        seen: list[str] = []
        report = matrix.run_matrix(catalogue, on_row=lambda row: seen.append(row.scenario))
        assert sorted(seen) == ["one", "two"]
        assert [row.scenario for row in report.rows] == ["one", "two"]

    def test_matrix_refuses_per_host_trust_options(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--matrix takes trust and policies from the catalogue, so --revocation is an error."""
        assert main(["audit", "--matrix", "--revocation", "off"]) == 2
        assert "from the catalogue" in capsys.readouterr().err

    def test_missing_catalogue_exits_4(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When the catalogue cannot be loaded the command says why and exits 4."""

        def unavailable() -> None:
            raise matrix.CatalogueUnavailableError("no catalogue here")

        monkeypatch.setattr(matrix, "load_catalogue", unavailable)
        assert main(["audit", "--matrix"]) == 4
        assert "no catalogue here" in capsys.readouterr().err


def _real_catalogue() -> Mapping[str, Any]:
    try:
        return matrix.load_catalogue()
    except matrix.CatalogueUnavailableError as exc:
        pytest.skip(f"the shared scenario catalogue is not available yet: {exc}")


class TestRealCatalogue:
    """The shared catalogue (securesocket.testing.scenarios), every scenario, every policy."""

    def test_every_outcome_matches_the_catalogue(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The full matrix (a few seconds): every cell matches, the JSON validates."""
        catalogue = _real_catalogue()
        code = main(["audit", "--matrix", "--json", "--timeout", "10"])
        data = json.loads(capsys.readouterr().out)
        jsonschema.validate(data, audit_schema())
        mismatches = [
            (row["scenario"], cell["policy"], cell["expected"], cell["actual"], cell["detail"])
            for row in data["rows"]
            for cell in row["cells"]
            if not cell["matches"]
        ]
        assert [(row["scenario"], row["error"]) for row in data["rows"] if row["error"]] == []
        assert mismatches == []
        assert [row["scenario"] for row in data["rows"]] == list(catalogue)
        assert code == 0

    def test_the_table_shows_both_soft_fail_holes(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Revoked rows are marked ! under off; a responder that is down is marked ? under
        soft-fail and caught (invalid) under hard-fail."""
        catalogue = _real_catalogue()
        revoked = [n for n, s in catalogue.items() if s.expected["soft-fail"] == "revoked"]
        down = [n for n, s in catalogue.items() if n.endswith("-down")]
        if not revoked or not down:
            pytest.skip("the catalogue has no revoked or no source-down scenario")
        argv = ["audit", "--matrix", "--scenario", revoked[0], "--scenario", down[0]]
        assert main(argv) == 0
        lines = capsys.readouterr().out.splitlines()
        revoked_cells = next(line for line in lines if line.startswith(revoked[0] + " ")).split()
        down_cells = next(line for line in lines if line.startswith(down[0] + " ")).split()
        assert revoked_cells[1:3] == ["trusted", "!"]
        assert down_cells[1:] == ["trusted", "trusted", "?", "invalid", "invalid"]


@dataclass
class _CRLScenario:
    """Root → intermediate → leaf, every certificate pointing at a loopback CRL server."""

    expected: Mapping[str, CertificateStatus]
    revoke_leaf: bool = False
    leaf_crl_missing: bool = False
    description: str = "CRLs over loopback HTTP"

    @contextlib.contextmanager
    def start(self) -> Iterator[_Live]:
        from securesocket.testing.ca import CA
        from securesocket.testing.crl_server import CRLServer
        from securesocket.testing.tls_servers import OpenSSLServer

        with CRLServer() as crls:
            root = CA(common_name="Matrix Root", crl_url=crls.url("root.crl"))
            inter = root.create_child_ca(
                common_name="Matrix Intermediate", crl_url=crls.url("inter.crl")
            )
            leaf = inter.issue_cert("127.0.0.1")
            if self.revoke_leaf:
                inter.revoke(leaf)
            crls.publish("root.crl", root.crl())
            if not self.leaf_crl_missing:  # missing: the server answers 404
                crls.publish("inter.crl", inter.crl())
            with OpenSSLServer(leaf) as server:
                yield _Live("127.0.0.1", server.port, "127.0.0.1", (root.cert_der,))


R = CertificateStatus.REVOKED


class TestRevocationRows:
    """Real revocation rows (CRLs over loopback), independent of the shared catalogue."""

    def test_soft_fail_hole_and_strict_policies(
        self, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A revoked leaf passes under off (marked !), is caught under the others; a CRL that
        cannot be fetched passes soft-fail and fails hard-fail and require."""
        use_catalogue(
            {
                "crl-revoked": _CRLScenario(
                    {"off": T, "soft-fail": R, "hard-fail": R, "require": R}, revoke_leaf=True
                ),
                "crl-missing": _CRLScenario(
                    {"off": T, "soft-fail": T, "hard-fail": INV, "require": INV},
                    leaf_crl_missing=True,
                ),
                "crl-good": _CRLScenario({"off": T, "soft-fail": T, "hard-fail": T, "require": T}),
            }
        )
        code = main(["audit", "--matrix", "--timeout", "10"])
        out = capsys.readouterr().out
        assert "MISMATCH" not in out, out
        assert code == 0
        revoked_row = next(line for line in out.splitlines() if line.startswith("crl-revoked"))
        assert revoked_row.split() == [
            "crl-revoked",
            "trusted",
            "!",
            "revoked",
            "revoked",
            "revoked",
        ]
        assert "a revoked certificate accepted (1 cells)" in out
        missing_row = next(line for line in out.splitlines() if line.startswith("crl-missing"))
        assert missing_row.split() == [
            "crl-missing",
            "trusted",
            "trusted",
            "?",
            "invalid",
            "invalid",
        ]
        good_row = next(line for line in out.splitlines() if line.startswith("crl-good"))
        assert "?" not in good_row
        assert "!" not in good_row

    def test_single_host_report_shows_the_crl_attempt(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The one-host view of a revoked leaf names the CRL URL, its outcome and the reason."""
        scenario = _CRLScenario({}, revoke_leaf=True)
        with scenario.start() as live:
            from securesocket.audit.probe import audit_host
            from securesocket.audit.render import render_result

            result = audit_host(
                live.host, live.port, revocation="hard-fail", trust="none", anchors=live.anchors
            )
        assert result.status is R
        text = render_result(result)
        assert "/inter.crl: revoked" in text
        assert "keyCompromise" in text or "key_compromise" in text


def test_matrix_as_a_real_process() -> None:
    """`python -m securesocket audit --matrix --scenario ...` runs end to end in a subprocess."""
    import subprocess
    import sys

    catalogue = _real_catalogue()
    name = "good" if "good" in catalogue else next(iter(catalogue))
    proc = subprocess.run(
        [sys.executable, "-m", "securesocket", "audit", "--matrix", "--scenario", name, "--json"],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    jsonschema.validate(data, audit_schema())
    assert [row["scenario"] for row in data["rows"]] == [name]
