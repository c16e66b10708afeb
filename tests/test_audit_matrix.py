"""`securesocket audit --matrix`: scenarios x policies, compared with the catalogue.

The first class drives the matrix over small catalogues of our own (real loopback servers,
real audits), so the runner, the table, the JSON and the exit codes are tested whatever the
state of the shared catalogue; the second runs the real catalogue (a subset; `make run` runs
all of it).
"""

from __future__ import annotations

import contextlib
import io
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
from securesocket.audit.jsonio import from_jsonable
from securesocket.audit.model import MatrixReport
from securesocket.audit.render import render_matrix
from securesocket.audit.schema import audit_schema


T, INV = CertificateStatus.TRUSTED, CertificateStatus.INVALID
R = CertificateStatus.REVOKED
NO_REVOCATION_INFO = {"off": T, "soft-fail": T, "hard-fail": T, "require": INV}


@dataclass(frozen=True)
class _Live:
    host: str
    port: int
    server_name: str
    anchors: tuple[bytes, ...]
    extra: tuple[bytes, ...] = ()
    materials: object = None


@dataclass(frozen=True)
class _Materials:
    """The two things `matrix.revoked_by_ca` reads from a live scenario's materials."""

    path_certificates: tuple[x509.Certificate, ...]
    cas: Mapping[str, Any]


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


@pytest.fixture(scope="module")
def real_matrix() -> tuple[int, dict[str, Any], list[str]]:
    """The full shared catalogue, every policy, run once (JSON) for the tests below."""
    catalogue = _real_catalogue()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["audit", "--matrix", "--json", "--timeout", "10"])
    return code, json.loads(out.getvalue()), list(catalogue)


def _table_marks(text: str, report: MatrixReport) -> dict[str, list[tuple[str, str]]]:
    """Each table row's cells as (status, marks), read back from the console view."""
    statuses = {status.value for status in CertificateStatus}
    rows: dict[str, list[tuple[str, str]]] = {}
    lines = text.splitlines()
    for row in report.rows:
        line = next(line for line in lines if line.startswith(row.scenario + " "))
        cells: list[list[str]] = []
        for token in line.split()[1:]:
            if token in statuses:
                cells.append([token, ""])
            else:
                cells[-1][1] += token
        rows[row.scenario] = [(status, marks) for status, marks in cells]
    return rows


class TestRealCatalogue:
    """The shared catalogue (securesocket.testing.scenarios), every scenario, every policy.
    Nothing here names a scenario or counts them: the rules hold for whatever it holds."""

    def test_every_outcome_matches_the_catalogue(
        self, real_matrix: tuple[int, dict[str, Any], list[str]]
    ) -> None:
        """The full matrix: every cell matches, every scenario ran, the JSON validates."""
        code, data, names = real_matrix
        jsonschema.validate(data, audit_schema())
        mismatches = [
            (row["scenario"], cell["policy"], cell["expected"], cell["actual"], cell["detail"])
            for row in data["rows"]
            for cell in row["cells"]
            if not cell["matches"]
        ]
        assert [(row["scenario"], row["error"]) for row in data["rows"] if row["error"]] == []
        assert mismatches == []
        assert [row["scenario"] for row in data["rows"]] == names
        assert code == 0

    def test_what_the_ca_revoked_agrees_with_the_outcomes(
        self, real_matrix: tuple[int, dict[str, Any], list[str]]
    ) -> None:
        """`revoked_by_ca` is known for every row, true wherever a policy reports revoked, and
        false where every policy trusts the certificate."""
        _, data, _ = real_matrix
        for row in data["rows"]:
            actual = {cell["actual"] for cell in row["cells"]}
            assert row["revoked_by_ca"] is not None, row["scenario"]
            if "revoked" in actual:
                assert row["revoked_by_ca"] is True, row["scenario"]
            if actual == {"trusted"}:
                assert row["revoked_by_ca"] is False, row["scenario"]

    def test_the_table_marks_every_revoked_certificate_accepted(
        self, real_matrix: tuple[int, dict[str, Any], list[str]]
    ) -> None:
        """In the console view of the same report, a trusted cell is marked "!" exactly when
        its certificate is revoked (by its CA, or as a stricter policy reports); otherwise "?"
        exactly when a checking policy trusted it without a good answer for every certificate;
        and soft-fail (AIR) accepting a revoked certificate is counted in the legend."""
        _, data, _ = real_matrix
        report = from_jsonable(MatrixReport, data)
        text = render_matrix(report)
        marks = _table_marks(text, report)
        soft_fail_holes = 0
        for row in report.rows:
            revoked = bool(row.revoked_by_ca) or any(c.actual is R for c in row.cells)
            shown = marks[row.scenario]
            assert [status for status, _ in shown] == [c.actual.value for c in row.cells]
            for cell, (_, mark) in zip(row.cells, shown, strict=True):
                trusted = cell.actual is T
                assert cell.result is not None
                rev = cell.result.revocation
                unanswered = rev is not None and any(c.decision != "good" for c in rev.certificates)
                if trusted and revoked:
                    expected_mark = "!"
                elif trusted and unanswered and cell.policy != "off":
                    expected_mark = "?"
                else:
                    expected_mark = ""
                assert mark == expected_mark, (row.scenario, cell.policy)
                soft_fail_holes += cell.policy == "soft-fail" and expected_mark == "!"
        if soft_fail_holes:
            assert f"soft-fail {soft_fail_holes}" in text
        else:
            assert "soft-fail 0" not in text


class TestRealScenarioOneHost:
    """One host of the shared catalogue through `main`, human and JSON, as a user would run it:
    the first scenario whose certificate soft-fail reports revoked (chosen by its expectations,
    not its name), its anchors and extra certificates passed as DER files."""

    @staticmethod
    def _argv(live: Any, tmp_path: Path) -> list[str]:
        argv = ["audit", f"{live.host}:{live.port}", "--servername", live.server_name]
        argv += ["--trust", "none"]
        for i, der in enumerate(live.anchors):
            (tmp_path / f"anchor{i}.der").write_bytes(der)
            argv += ["--add-cert", f"{tmp_path / f'anchor{i}.der'}:trusted"]
        for i, der in enumerate(live.extra):
            (tmp_path / f"extra{i}.der").write_bytes(der)
            argv += ["--add-cert", str(tmp_path / f"extra{i}.der")]
        return argv

    def test_revoked_scenario_under_soft_fail_and_off(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Soft-fail: exit 1, revoked, with the revoking attempt shown; off: exit 0, trusted,
        nothing checked. The JSON agrees with the console."""
        catalogue = _real_catalogue()
        revoked = [s for s in catalogue.values() if s.expected["soft-fail"] == R]
        if not revoked:
            pytest.skip("the catalogue has no scenario that soft-fail reports revoked")
        with revoked[0].start() as live:
            argv = self._argv(live, tmp_path)
            assert main([*argv, "--revocation", "soft-fail"]) == 1
            caught = capsys.readouterr().out
            assert main([*argv, "--revocation", "soft-fail", "--json"]) == 1
            caught_json = json.loads(capsys.readouterr().out)
            assert main([*argv, "--revocation", "off"]) == 0
            missed = capsys.readouterr().out
        assert "result     NOT-TRUSTED (revoked)" in caught
        assert ": revoked" in caught
        assert "revoked at " in caught
        jsonschema.validate(caught_json, audit_schema())
        assert caught_json["status"] == "revoked"
        assert caught_json["revocation"]["accepted"] is False
        assert "result     TRUSTED\n" in missed
        assert "decision   unchecked, accepted" in missed


@dataclass
class _CRLScenario:
    """Root → intermediate → leaf, every certificate pointing at a loopback CRL server (or,
    with `leaf_declares_nothing`, a leaf that names no revocation source at all). Its CAs'
    ledgers travel in `materials`, as the real catalogue's do."""

    expected: Mapping[str, CertificateStatus]
    revoke_leaf: bool = False
    leaf_crl_missing: bool = False
    leaf_declares_nothing: bool = False
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
            if self.leaf_declares_nothing:
                leaf = inter.issue_cert("127.0.0.1", crl_url=None, ocsp_url=None)
            else:
                leaf = inter.issue_cert("127.0.0.1")
            if self.revoke_leaf:
                inter.revoke(leaf)
            crls.publish("root.crl", root.crl())
            if not self.leaf_crl_missing:  # missing: the server answers 404
                crls.publish("inter.crl", inter.crl())
            materials = _Materials(
                (leaf.certificate, inter.certificate), {"root": root, "inter": inter}
            )
            with OpenSSLServer(leaf) as server:
                yield _Live("127.0.0.1", server.port, "127.0.0.1", (root.cert_der,), (), materials)


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
        assert "a revoked certificate accepted (1 cells: off 1)" in out
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

    def test_a_revoked_certificate_no_source_reports_is_marked_where_accepted(
        self, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Revoked by its CA, but its CRL cannot be fetched, or it declares no source: no policy
        can say "revoked", so the mark comes from the CA's own record. Soft-fail (AIR) accepts
        it and is marked "!"; the twins (same outcomes, not revoked) get "?" and no "!"."""
        unavailable = {"off": T, "soft-fail": T, "hard-fail": INV, "require": INV}
        use_catalogue(
            {
                "revoked-crl-missing": _CRLScenario(
                    unavailable, revoke_leaf=True, leaf_crl_missing=True
                ),
                "revoked-no-info": _CRLScenario(
                    NO_REVOCATION_INFO, revoke_leaf=True, leaf_declares_nothing=True
                ),
                "crl-missing": _CRLScenario(unavailable, leaf_crl_missing=True),
                "no-info": _CRLScenario(NO_REVOCATION_INFO, leaf_declares_nothing=True),
            }
        )
        assert main(["audit", "--matrix", "--timeout", "10"]) == 0
        out = capsys.readouterr().out
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line}
        assert rows["revoked-crl-missing"] == ["trusted", "!", "trusted", "!", "invalid", "invalid"]
        assert rows["revoked-no-info"] == [
            "trusted",
            "!",
            "trusted",
            "!",
            "trusted",
            "!",
            "invalid",
        ]
        assert rows["crl-missing"] == ["trusted", "trusted", "?", "invalid", "invalid"]
        assert rows["no-info"] == ["trusted", "trusted", "?", "trusted", "?", "invalid"]
        assert "a revoked certificate accepted (5 cells: off 2, soft-fail 2, hard-fail 1)" in out

    def test_json_carries_what_the_ca_revoked(
        self, use_catalogue: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json states per row whether the CA revoked a certificate on the chain."""
        use_catalogue(
            {
                "revoked": _CRLScenario(NO_REVOCATION_INFO, True, leaf_declares_nothing=True),
                "not-revoked": _CRLScenario(NO_REVOCATION_INFO, leaf_declares_nothing=True),
            }
        )
        assert main(["audit", "--matrix", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        jsonschema.validate(data, audit_schema())
        assert {r["scenario"]: r["revoked_by_ca"] for r in data["rows"]} == {
            "revoked": True,
            "not-revoked": False,
        }

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
