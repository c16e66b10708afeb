"""The scenario catalogue: one named fixture PKI per certificate status and revocation situation.

# Model
A `Scenario` is a name, a description, the status a correct client reports under each
revocation policy (``expected``, keyed "off", "soft-fail", "hard-fail", "require"), and a
recipe that builds its certificates, CRLs, OCSP answers and staple for

- a given time and set of service URLs: `Scenario.materials` (offline inputs; the committed
  fixtures in ``fixtures/`` are these at `VERIFICATION_TIME` with `PLACEHOLDER_ENDPOINTS`), or
- the servers it has just started on 127.0.0.1: ``with scenario.start() as live:`` yields a
  `LiveScenario` (where to connect, what to trust, what to expect).

The certificates carry URLs with ports, so a live scenario binds its OCSP responder, CRL server
and a refused port first, then builds its PKI for those ports (fast: fixed keys, no key
generation), then starts the TLS server with the right chain and staple.

# Rules
- The expectations follow docs/CONTRACTS.md ("Which status each revocation outcome gives")
  exactly: chain problems give the same status under every policy; revocation outcomes use the
  rows `REVOKED`, `NO_INFO`, `UNAVAILABLE`, `STALE`, `MUST_STAPLE_MISSING` below.
- Non-revocation scenarios carry working revocation sources (OCSP AIA and a CRL DP on the leaf
  and the intermediate) so that "require" means something for them.
- Each revocation scenario declares only the sources its situation needs, so that one fault
  decides it (e.g. "ocsp-try-later": the leaf declares OCSP only, the intermediate CRL only).
- ``CertificateStatus.UNKNOWN`` has no scenario: it is the value before any validation.

The recipes live in ``_recipes.py``, the workbench they use (fixed keys, serials, URLs) in
``_builder.py``; this module holds the model and the catalogue itself.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from .._status import CertificateStatus
from . import _recipes as r
from ._builder import Builder, ChainBuildingCertificate, Endpoints, Recipe
from ._http import ClosedPort
from .ca import (
    CA,
    LeafCert,
)
from .crl_server import CRLFault, CRLServer
from .ocsp_servers import OCSPFault, OCSPResponder, answer
from .tls_servers import OpenSSLServer, PythonTLSServer, TLSVersion


__all__ = [
    "ALL_GOOD",
    "MUST_STAPLE_MISSING",
    "NO_INFO",
    "PLACEHOLDER_ENDPOINTS",
    "POLICIES",
    "REVOKED",
    "SCENARIOS",
    "STALE",
    "UNAVAILABLE",
    "VERIFICATION_TIME",
    "ChainBuildingCertificate",
    "Endpoints",
    "LiveScenario",
    "Materials",
    "Scenario",
    "crl_urls",
    "ocsp_url",
]

UTC = _dt.UTC
S = CertificateStatus

#: The revocation policies, as the values of ``securesocket.revocation.RevocationPolicy``.
POLICIES: Final = ("off", "soft-fail", "hard-fail", "require")

#: The validation time of the committed (offline) fixtures. Pass it as ``at``.
VERIFICATION_TIME: Final = _dt.datetime(2026, 1, 1, tzinfo=UTC)


def _row(off: S, soft: S, hard: S, require: S) -> Mapping[str, S]:
    return dict(zip(POLICIES, (off, soft, hard, require), strict=True))


def _same(status: S) -> Mapping[str, S]:
    return _row(status, status, status, status)


# The rows of docs/CONTRACTS.md "Which status each revocation outcome gives".
ALL_GOOD: Final = _same(S.TRUSTED)
REVOKED: Final = _row(S.TRUSTED, S.REVOKED, S.REVOKED, S.REVOKED)
NO_INFO: Final = _row(S.TRUSTED, S.TRUSTED, S.TRUSTED, S.INVALID)
UNAVAILABLE: Final = _row(S.TRUSTED, S.TRUSTED, S.INVALID, S.INVALID)
STALE: Final = _row(S.TRUSTED, S.TRUSTED, S.INVALID, S.INVALID)
MUST_STAPLE_MISSING: Final = _row(S.TRUSTED, S.INVALID, S.INVALID, S.INVALID)


#: URLs of the committed fixtures: loopback ports where the test suite never listens
#: (OCSP on 127.0.0.1:9, CRLs on 127.0.0.1:10, "down" on 127.0.0.1:1). Offline use only.
PLACEHOLDER_ENDPOINTS: Final = Endpoints(
    ocsp_url="http://127.0.0.1:9/", crl_base="http://127.0.0.1:10", down_base="http://127.0.0.1:1"
)


@dataclass(frozen=True)
class Materials:
    """Everything a scenario is made of, at one time, for one set of URLs.

    Attributes:
        name: the scenario's name.
        host: the name (or IP address) the client checks the certificate against.
        verification_time: the time these materials are built for (validate at this time).
        leaf: the server certificate and key.
        sent: the certificates the server sends after the leaf.
        anchors: the roots the client trusts.
        chain_building: extra certificates for the client to add, trusted or not.
        crl_files: what the CRL server serves, by path (``intermediate.crl``); may be garbage.
        crl_faults: paths where the CRL server misbehaves.
        ocsp_cas: the CAs the OCSP responder answers for.
        ocsp_fault: how the OCSP responder misbehaves.
        delegated: CA → the delegated responder certificate that signs its OCSP answers.
        ocsp_responses: offline: what the responder answers for each certificate on the path
            that names it (parseable answers only).
        staple: the OCSP response the server staples, DER, or None.
        cas: the scenario's CAs by label.
        endpoints: the service URLs the certificates name.
    """

    name: str
    host: str
    verification_time: _dt.datetime
    leaf: LeafCert
    sent: tuple[x509.Certificate, ...]
    anchors: tuple[x509.Certificate, ...]
    chain_building: tuple[ChainBuildingCertificate, ...]
    crl_files: Mapping[str, bytes]
    crl_faults: Mapping[str, CRLFault]
    ocsp_cas: tuple[CA, ...]
    ocsp_fault: OCSPFault
    delegated: Mapping[CA, LeafCert]
    ocsp_responses: tuple[ocsp.OCSPResponse, ...]
    staple: bytes | None
    cas: Mapping[str, CA]
    endpoints: Endpoints

    @property
    def crls(self) -> tuple[x509.CertificateRevocationList, ...]:
        """The CRLs a client can fetch (see `reachable_crl_paths`), parsed."""
        return tuple(
            x509.load_der_x509_crl(self.crl_files[path]) for path in self.reachable_crl_paths
        )

    @property
    def reachable_crl_paths(self) -> tuple[str, ...]:
        """CRL server paths a distribution point on the path names, served without a fault,
        that parse as CRLs. (A CA's CRL that no certificate points to is not among them: a
        client has no way to find it.)"""
        prefix = self.endpoints.crl_base + "/"
        wanted = {
            url.removeprefix(prefix)
            for cert in self.path_certificates
            for url in crl_urls(cert)
            if url.startswith(prefix)
        }
        found = []
        for path in sorted(wanted):
            if self.crl_faults.get(path, CRLFault.NONE) is not CRLFault.NONE:
                continue
            try:
                x509.load_der_x509_crl(self.crl_files.get(path, b""))
            except ValueError:
                continue
            found.append(path)
        return tuple(found)

    @property
    def path_certificates(self) -> tuple[x509.Certificate, ...]:
        """The leaf, what the server sends, and the chain-building certificates."""
        return (self.leaf.certificate, *self.sent, *(c.certificate for c in self.chain_building))

    @property
    def trusted(self) -> tuple[x509.Certificate, ...]:
        """Anchors plus the chain-building certificates added as trusted."""
        return self.anchors + tuple(c.certificate for c in self.chain_building if c.trusted)

    @property
    def untrusted(self) -> tuple[x509.Certificate, ...]:
        """Chain-building certificates added as untrusted (path-building help only)."""
        return tuple(c.certificate for c in self.chain_building if not c.trusted)

    def verify_chain_arguments(self, policy: str = "off") -> dict[str, object]:
        """Keyword arguments for ``securesocket.verify_chain`` that reproduce this scenario.

        The staple is not among them: pass ``staple=materials.staple`` too for the staple
        scenarios (what a client that read the staple would see).
        """
        return {
            "leaf": self.leaf.certificate,
            "intermediates": self.sent,
            "anchors": self.trusted,
            "extra": self.untrusted,
            "host": self.host,
            "at": self.verification_time,
            "trust": "none",
            "revocation": policy,
            "crls": self.crls,
            "ocsp_responses": self.ocsp_responses,
        }


@dataclass(frozen=True)
class LiveScenario:
    """A started scenario (from ``with scenario.start() as live``).

    Connect to ``host``:``port`` checking ``server_name``; trust ``anchors`` (DER) and add
    ``extra`` (DER) as untrusted chain-building certificates, or simply call `configure`.
    """

    scenario: Scenario
    host: str
    port: int
    server_name: str
    anchors: tuple[bytes, ...]
    extra: tuple[bytes, ...]
    expected: Mapping[str, CertificateStatus]
    materials: Materials
    ocsp_responder: OCSPResponder
    crl_server: CRLServer
    endpoints: Endpoints

    @property
    def chain_building(self) -> tuple[tuple[bytes, bool], ...]:
        """(der, trusted) pairs for ``add_binary_chain_building_certificate``."""
        return tuple((d, True) for d in self.anchors) + tuple((d, False) for d in self.extra)

    def configure(self, sock: object) -> None:
        """Add every certificate of `chain_building` to a SecureSocket."""
        add = getattr(sock, "add_binary_chain_building_certificate")  # noqa: B009 - duck typed
        for der, trusted in self.chain_building:
            add(der, trusted)


@dataclass(frozen=True)
class Scenario:
    """One catalogue entry (see the module header).

    Attributes:
        name: kebab-case identifier.
        description: one sentence: what is wrong (or right) and why a client should care.
        expected: the status a correct client reports, by revocation policy value.
        recipe: builds the materials (internal; use `materials` or `start`).
        server_name: the name the client checks: "localhost" or an IP address.
        kind: "chain" (a path problem; the same under every policy) or "revocation".
        weak: the server certificate is weak (SHA-1, RSA-1024): its TLS server runs at
            OpenSSL security level 0, or it would refuse to load it.
    """

    name: str
    description: str
    expected: Mapping[str, CertificateStatus]
    recipe: Recipe = field(repr=False)
    server_name: str = "localhost"
    kind: Literal["chain", "revocation"] = "chain"
    weak: bool = False

    def materials(
        self,
        *,
        at: _dt.datetime = VERIFICATION_TIME,
        endpoints: Endpoints = PLACEHOLDER_ENDPOINTS,
    ) -> Materials:
        """Build the scenario for validation at ``at`` with services at ``endpoints``."""
        builder = Builder(self.name, at, endpoints)
        made = self.recipe(builder)
        crl_files = {
            path: builder.crl_overrides.get(path)
            or builder.cas[label]
            .crl(at=builder.issued_at, next_update=at + _dt.timedelta(days=7), number=1)
            .public_bytes(serialization.Encoding.DER)
            for label, path in builder.crl_labels.items()
        }
        if any(f is CRLFault.GARBAGE for f in builder.crl_faults.values()):
            for path, fault in builder.crl_faults.items():
                if fault is CRLFault.GARBAGE:
                    crl_files[path] = b"\x30\x03garbage, not a CRL"
        ocsp_cas = tuple(builder.cas.values())
        on_path = (
            made.leaf.certificate,
            *made.sent,
            *(c.certificate for c in made.chain_building),
        )
        return Materials(
            name=self.name,
            host=self.server_name,
            verification_time=at,
            leaf=made.leaf,
            sent=made.sent,
            anchors=made.anchors,
            chain_building=made.chain_building,
            crl_files=crl_files,
            crl_faults=dict(builder.crl_faults),
            ocsp_cas=ocsp_cas,
            ocsp_fault=builder.ocsp_fault,
            delegated=dict(builder.delegated),
            ocsp_responses=_offline_answers(on_path, ocsp_cas, builder),
            staple=made.staple,
            cas=dict(builder.cas),
            endpoints=endpoints,
        )

    @contextmanager
    def start(
        self,
        *,
        server: Literal["openssl", "python"] = "openssl",
        tls_version: TLSVersion | None = None,
    ) -> Iterator[LiveScenario]:
        """Start the scenario's servers on 127.0.0.1 and yield where and how to connect.

        ``server="python"`` uses the stdlib ssl server, which cannot staple: it refuses the
        staple scenarios with ValueError.
        """
        with ExitStack() as stack:
            now = _dt.datetime.now(UTC).replace(microsecond=0)
            responder = stack.enter_context(
                OCSPResponder(clock=lambda: _dt.datetime.now(UTC) - _dt.timedelta(minutes=1))
            )
            crl_server = stack.enter_context(CRLServer())
            down = stack.enter_context(ClosedPort())
            endpoints = Endpoints(responder.url, crl_server.base_url, down.base_url)
            made = self.materials(at=now, endpoints=endpoints)
            for ca in made.ocsp_cas:
                responder.add_ca(ca, delegated=made.delegated.get(ca))
            responder.fault = made.ocsp_fault
            for path, body in made.crl_files.items():
                crl_server.publish(path, body)
            for path, fault in made.crl_faults.items():
                crl_server.set_fault(path, fault)
            tls: OpenSSLServer | PythonTLSServer
            level = 0 if self.weak else None
            if server == "python":
                if made.staple is not None:
                    raise ValueError(f"{self.name} staples OCSP; the Python TLS server cannot")
                tls = PythonTLSServer(
                    made.leaf, chain=made.sent, tls_version=tls_version, security_level=level
                )
            else:
                tls = OpenSSLServer(
                    made.leaf,
                    chain=made.sent,
                    tls_version=tls_version,
                    staple=made.staple,
                    security_level=level,
                )
            stack.enter_context(tls)
            yield LiveScenario(
                scenario=self,
                host=tls.host,
                port=tls.port,
                server_name=self.server_name,
                anchors=tuple(_der(c) for c in made.trusted),
                extra=tuple(_der(c) for c in made.untrusted),
                expected=self.expected,
                materials=made,
                ocsp_responder=responder,
                crl_server=crl_server,
                endpoints=endpoints,
            )


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def ocsp_url(cert: x509.Certificate) -> str | None:
    """The OCSP responder URL in ``cert``'s AIA, or None."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for description in aia:
        if description.access_method == AuthorityInformationAccessOID.OCSP:
            return str(description.access_location.value)
    return None


def crl_urls(cert: x509.Certificate) -> tuple[str, ...]:
    """The URLs of ``cert``'s CRL distribution points."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(
        str(name.value)
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
    )


def _issuer_of(cert: x509.Certificate, cas: tuple[CA, ...]) -> CA | None:
    """The CA whose name and key identifier ``cert`` names as its issuer."""
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return None
    for ca in cas:
        ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        if ca.subject == cert.issuer and aki.key_identifier == ski.digest:
            return ca
    return None


def _offline_answers(
    path: tuple[x509.Certificate, ...], cas: tuple[CA, ...], builder: Builder
) -> tuple[ocsp.OCSPResponse, ...]:
    """What the scenario's responder answers for each certificate that names it."""
    found: list[ocsp.OCSPResponse] = []
    if not builder.ocsp_fault.reaches_the_client:
        return ()  # HTTP 500, garbage or too late: nothing a client could use, as online
    for cert in path:
        issuer = _issuer_of(cert, cas)
        if issuer is None or ocsp_url(cert) != builder.endpoints.ocsp_url:
            continue
        body = answer(
            issuer,
            serial=cert.serial_number,
            hash_algorithm=hashes.SHA1(),  # noqa: S303 - the CertID hash clients send
            nonce=None,
            now=builder.issued_at,
            fault=builder.ocsp_fault,
            delegated=builder.delegated.get(issuer),
            pin_produced_at=True,
        )
        try:
            found.append(ocsp.load_der_ocsp_response(body))
        except ValueError:
            continue  # a truncated answer: nothing usable offline, as online
    return tuple(found)


def _catalogue(*scenarios: Scenario) -> dict[str, Scenario]:
    return {s.name: s for s in scenarios}


_REV: Final = "revocation"

#: name → Scenario, in a stable order (chain scenarios, then revocation scenarios).
SCENARIOS: Final[Mapping[str, Scenario]] = _catalogue(
    Scenario("good", "A valid chain whose every source answers good.", ALL_GOOD, r.good),
    Scenario(
        "expired-leaf", "The server certificate is past notAfter.", _same(S.EXPIRED), r.expired_leaf
    ),
    Scenario(
        "expired-intermediate",
        "The intermediate CA's certificate has expired (a chain problem, not 'expired').",
        _same(S.INVALID_CHAIN),
        r.expired_intermediate,
    ),
    Scenario(
        "not-yet-valid",
        "The server certificate's notBefore is 30 days ahead.",
        _same(S.NOT_YET_VALID),
        r.not_yet_valid,
    ),
    Scenario(
        "wrong-host",
        "A valid certificate for wrong.example, served for localhost.",
        _same(S.PRINCIPAL_MISMATCH),
        r.wrong_host,
    ),
    Scenario(
        "ip-address-host",
        "Connecting to 127.0.0.1 with an iPAddress subjectAltName for it.",
        ALL_GOOD,
        r.ip_address_host,
        server_name="127.0.0.1",
    ),
    Scenario(
        "ip-address-mismatch",
        "Connecting to 127.0.0.1; the certificate names localhost and 127.0.0.2 only.",
        _same(S.PRINCIPAL_MISMATCH),
        r.ip_address_mismatch,
        server_name="127.0.0.1",
    ),
    Scenario(
        "self-signed",
        "A self-signed server certificate nobody trusts.",
        _same(S.UNTRUSTED_SIGNERS),
        r.self_signed,
    ),
    Scenario(
        "self-signed-trusted",
        "The same kind of certificate, added as trusted (it is its own anchor: nothing to revoke).",
        ALL_GOOD,
        r.self_signed_trusted,
    ),
    Scenario(
        "untrusted-root",
        "A complete chain to a root the client does not trust.",
        _same(S.UNTRUSTED_SIGNERS),
        r.untrusted_root,
    ),
    Scenario(
        "missing-intermediate",
        "The server sends the leaf alone; the intermediate is added as an untrusted"
        " chain-building certificate, so a path exists.",
        ALL_GOOD,
        r.missing_intermediate,
    ),
    Scenario(
        "missing-intermediate-not-added",
        "The server sends the leaf alone and nothing supplies the intermediate.",
        _same(S.UNTRUSTED_SIGNERS),
        r.missing_intermediate_not_added,
    ),
    Scenario(
        "cross-signed",
        "The server sends an expired cross-certificate to an old root; a good path ends at the"
        " new root, which is also trusted.",
        ALL_GOOD,
        r.cross_signed,
    ),
    Scenario(
        "intermediate-not-ca",
        "The 'intermediate' is an end-entity certificate (CA:false) that signed the leaf.",
        _same(S.INVALID_CHAIN),
        r.intermediate_not_ca,
    ),
    Scenario(
        "path-length-exceeded",
        "An intermediate with pathLenConstraint 0 issued another CA, which issued the leaf.",
        _same(S.INVALID_CHAIN),
        r.path_length_exceeded,
    ),
    Scenario(
        "name-constraint-violation",
        "An intermediate permitted only example.com issued a certificate for localhost.",
        _same(S.INVALID_CHAIN),
        r.name_constraint_violation,
    ),
    Scenario(
        "sha1-signature",
        "The server certificate is signed with SHA-1.",
        _same(S.INVALID),
        r.sha1_signature,
        weak=True,
    ),
    Scenario(
        "rsa-1024-key",
        "The server certificate has a 1024-bit RSA key.",
        _same(S.INVALID),
        r.rsa_1024_key,
        weak=True,
    ),
    Scenario(
        "leaf-without-server-auth",
        "The server certificate's EKU allows clientAuth only.",
        _same(S.INVALID),
        r.leaf_without_server_auth,
    ),
    Scenario(
        "revoked-by-crl",
        "The leaf is revoked; it declares only a CRL, which lists it.",
        REVOKED,
        r.revoked_by_crl,
        kind=_REV,
    ),
    Scenario(
        "revoked-by-ocsp",
        "The leaf is revoked; it declares only OCSP, which says so.",
        REVOKED,
        r.revoked_by_ocsp,
        kind=_REV,
    ),
    Scenario(
        "revoked-via-staple",
        "The server staples a 'revoked' OCSP answer; the leaf's own responder is down.",
        REVOKED,
        r.revoked_via_staple,
        kind=_REV,
    ),
    Scenario(
        "revoked-intermediate",
        "The intermediate is revoked by the root (its CRL and OCSP say so); the leaf is fine.",
        REVOKED,
        r.revoked_intermediate,
        kind=_REV,
    ),
    Scenario(
        "revoked-responder-down",
        "The CA has revoked the leaf, but the leaf's only declared source, OCSP, is down:"
        " soft-fail accepts a revoked certificate (AIR's hole); hard-fail and require refuse it.",
        UNAVAILABLE,
        r.revoked_responder_down,
        kind=_REV,
    ),
    Scenario(
        "revoked-no-revocation-info",
        "The CA has revoked the leaf, but the leaf declares no OCSP responder and no CRL"
        " distribution point: only require refuses it.",
        NO_INFO,
        r.revoked_no_revocation_info,
        kind=_REV,
    ),
    Scenario(
        "no-revocation-info",
        "The leaf declares no OCSP responder and no CRL distribution point.",
        NO_INFO,
        r.no_revocation_info,
        kind=_REV,
    ),
    Scenario(
        "ocsp-responder-down",
        "The leaf declares only OCSP, at a port where nothing listens.",
        UNAVAILABLE,
        r.ocsp_responder_down,
        kind=_REV,
    ),
    Scenario(
        "ocsp-responder-slow",
        "The leaf's only source is OCSP, whose responder answers only after the client's"
        " timeout (a live responder waits 30 s; the answer never arrives in time).",
        UNAVAILABLE,
        r.ocsp_fault(OCSPFault.SLOW),
        kind=_REV,
    ),
    Scenario(
        "crl-server-down",
        "The leaf declares only a CRL, at a port where nothing listens.",
        UNAVAILABLE,
        r.crl_server_down,
        kind=_REV,
    ),
    Scenario(
        "stale-crl",
        "The leaf's only source is a CRL whose nextUpdate passed 23 days ago.",
        STALE,
        r.stale_crl,
        kind=_REV,
    ),
    Scenario(
        "crl-garbage",
        "The leaf's only source is a CRL URL that serves bytes that are not a CRL.",
        UNAVAILABLE,
        r.crl_garbage,
        kind=_REV,
    ),
    Scenario(
        "stale-ocsp",
        "The leaf's only source is OCSP, which answers with nextUpdate 7 days past.",
        STALE,
        r.ocsp_fault(OCSPFault.STALE),
        kind=_REV,
    ),
    Scenario(
        "ocsp-try-later",
        "The leaf's only source is OCSP, which answers tryLater.",
        UNAVAILABLE,
        r.ocsp_fault(OCSPFault.TRY_LATER),
        kind=_REV,
    ),
    Scenario(
        "ocsp-unauthorised-signer",
        "The leaf's only source is OCSP, whose answer is signed by a certificate without"
        " id-kp-OCSPSigning.",
        UNAVAILABLE,
        r.ocsp_fault(OCSPFault.UNAUTHORISED_SIGNER),
        kind=_REV,
    ),
    Scenario(
        "ocsp-delegated-responder",
        "The leaf's only source is OCSP, answered 'good' by a delegated responder certificate.",
        ALL_GOOD,
        r.ocsp_delegated_responder,
        kind=_REV,
    ),
    Scenario(
        "must-staple-without-staple",
        "A Must-Staple leaf (RFC 7633) served without a staple; its sources all answer good.",
        MUST_STAPLE_MISSING,
        r.must_staple_without_staple,
        kind=_REV,
    ),
    Scenario(
        "must-staple-with-staple",
        "A Must-Staple leaf served with a good staple.",
        ALL_GOOD,
        r.must_staple_with_staple,
        kind=_REV,
    ),
)
