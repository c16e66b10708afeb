"""Path building: several issuers, backtracking, loops, bounds, and the choice of the best path."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509

from securesocket import CertificateStatus, ChainVerifier, verify_chain
from securesocket.testing.ca import CA


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)
PAST = datetime(2029, 1, 1, tzinfo=UTC)


def check(leaf: x509.Certificate, pool, anchors, **kw):
    """verify_chain with only the given anchors and no revocation."""
    return verify_chain(
        leaf, pool, anchors=anchors, trust="none", revocation="off", host=None, at=NOW, **kw
    )


def cross_signed_world():
    """An intermediate "R" whose key is certified twice: an expired cross-cert by `old` and a
    good one by `new` (both anchors), like a root migration."""
    old = CA(common_name="Old Root")
    new = CA(common_name="New Root")
    r = CA(common_name="Migrating CA")
    expired = old.cross_sign(r, not_after=PAST)
    good = new.cross_sign(r)
    leaf = r.issue_cert("example.test").certificate
    return old, new, r, expired, good, leaf


class TestCrossSigning:
    def test_expired_path_does_not_hide_the_good_one(self) -> None:
        """The expired cross-cert is tried first, the good one wins; the loser is reported."""
        old, new, _, expired, good, leaf = cross_signed_world()
        result = check(leaf, [expired, good], [old.certificate, new.certificate])
        assert result.status == S.TRUSTED
        assert (leaf, good, new.certificate) == result.path
        assert len(result.rejected_paths) == 1
        loser = result.rejected_paths[0]
        assert (leaf, expired, old.certificate) == loser.path
        assert loser.status == S.INVALID_CHAIN
        assert loser.complete

    def test_good_path_found_whichever_order(self) -> None:
        """The pool order does not decide the outcome."""
        old, new, _, expired, good, leaf = cross_signed_world()
        for pool in ([expired, good], [good, expired]):
            assert check(leaf, pool, [old.certificate, new.certificate]).status == S.TRUSTED

    def test_only_the_expired_path(self) -> None:
        """Twin: with only the expired cross-cert the result is invalidChain, with its reason."""
        old, new, _, expired, good, leaf = cross_signed_world()
        result = check(leaf, [expired], [old.certificate, new.certificate])
        assert result.status == S.INVALID_CHAIN
        assert result.problems[0].code == "expired"
        assert good not in result.path

    def test_rejected_paths_list_the_losers(self) -> None:
        """When no path validates, each other candidate is listed with its own problems."""
        old, new, _, expired, _, leaf = cross_signed_world()
        expired_too = new.cross_sign(CA(common_name="unrelated"), not_after=PAST)
        result = check(leaf, [expired, expired_too], [old.certificate])
        assert result.status == S.INVALID_CHAIN
        assert all(r.problems for r in result.rejected_paths)


class TestLoopsAndBounds:
    def test_cross_signing_loop_terminates(self) -> None:
        """A and B certify each other and neither is anchored: untrustedSigners, no hang."""
        a = CA(common_name="Loop A")
        b = CA(common_name="Loop B")
        a_by_b = b.cross_sign(a)
        b_by_a = a.cross_sign(b)
        leaf = a.issue_cert("example.test").certificate
        result = check(leaf, [a_by_b, b_by_a, a.certificate, b.certificate], [])
        assert result.status == S.UNTRUSTED_SIGNERS

    def test_loop_with_an_exit(self) -> None:
        """Twin: the same loop with B's key anchored finds the way out."""
        a = CA(common_name="Loop A")
        b = CA(common_name="Loop B")
        a_by_b = b.cross_sign(a)
        b_by_a = a.cross_sign(b)
        leaf = a.issue_cert("example.test").certificate
        result = check(leaf, [b_by_a, a_by_b], [b.certificate])
        assert result.status == S.TRUSTED
        assert b.certificate == result.path[-1]

    def test_depth_limit(self) -> None:
        """A chain deeper than the limit is not followed to the end: untrustedSigners."""
        # No pathLenConstraint on the root: the webpki profile enforces an anchor's too.
        root = CA(common_name="Deep Root", path_length=None)
        cas = [root]
        for _ in range(12):
            cas.append(cas[-1].create_child_ca(path_length=None))
        leaf = cas[-1].issue_cert("example.test").certificate
        pool = [ca.certificate for ca in cas[1:]]
        deep = check(leaf, pool, [root.certificate])
        assert deep.status == S.UNTRUSTED_SIGNERS
        assert deep.problems[0].code == "path_too_long"
        verifier = ChainVerifier(trust="none", anchors=[root.certificate], max_depth=16)
        assert verifier.verify(leaf, pool, host=None, at=NOW).status == S.TRUSTED

    def test_work_limit_with_many_same_name_issuers(self) -> None:
        """Dozens of look-alike issuers (same name, other keys) end in bounded work."""
        root = CA(common_name="Real Root")
        inter = root.create_child_ca(common_name="Popular Name")
        decoys = [CA(common_name="Popular Name").certificate for _ in range(40)]
        leaf = inter.issue_cert("example.test").certificate
        verifier = ChainVerifier(trust="none", anchors=[root.certificate], max_steps=20)
        result = verifier.verify(leaf, decoys, host=None, at=NOW)
        assert result.status != S.TRUSTED
        found = verifier.verify(leaf, [inter.certificate, *decoys], host=None, at=NOW)
        assert found.status == S.TRUSTED

    def test_same_name_wrong_key_is_tried_and_rejected(self) -> None:
        """An issuer with the right name but the wrong key gives a bad signature, not trust."""
        root = CA(common_name="Real Root")
        inter = root.create_child_ca(common_name="Same Name")
        impostor = root.create_child_ca(common_name="Same Name")
        leaf = inter.issue_cert("example.test").certificate
        only_impostor = check(leaf, [impostor.certificate], [root.certificate])
        assert only_impostor.status == S.INVALID
        assert only_impostor.problems[0].code == "bad_signature"
        both = check(leaf, [impostor.certificate, inter.certificate], [root.certificate])
        assert both.status == S.TRUSTED


class TestIssuerValidator:
    def test_signer_under_the_same_anchor(self) -> None:
        """A certificate chaining to the verifier's anchors passes; a stranger's does not."""
        root = CA(common_name="Validator Root")
        inter = root.create_child_ca()
        ours = inter.issue_cert("ocsp.example.test").certificate
        theirs = CA(common_name="Other Root").issue_cert("ocsp.example.test").certificate
        verifier = ChainVerifier(
            trust="none", anchors=[root.certificate], extra=[inter.certificate]
        )
        validate = verifier.issuer_validator(NOW)
        assert validate(ours)
        assert not validate(theirs)

    def test_expired_signer_fails(self) -> None:
        """An expired signer certificate does not validate at `at`."""
        root = CA(common_name="Validator Root")
        signer = root.issue_cert("crl.example.test", not_after=PAST).certificate
        validate = ChainVerifier(trust="none", anchors=[root.certificate]).issuer_validator(NOW)
        assert not validate(signer)
        before = ChainVerifier(trust="none", anchors=[root.certificate]).issuer_validator(
            datetime(2028, 1, 1, tzinfo=UTC)
        )
        assert before(signer)

    def test_signer_issued_by_a_presented_intermediate(self) -> None:
        """A CRL signer issued by an intermediate the server presented validates only when the
        presented certificates are given (verify_chain passes them)."""
        root = CA(common_name="Validator Root")
        inter = root.create_child_ca()
        signer = inter.create_child_ca(common_name="CRL signer")  # a CA cert: fine as signer
        verifier = ChainVerifier(anchors=[root.certificate], trust="none")
        assert not verifier.issuer_validator(NOW)(signer.certificate)
        assert verifier.issuer_validator(NOW, [inter.certificate])(signer.certificate)


class TestHostilePool:
    def test_many_complete_decoy_paths_are_bounded(self) -> None:
        """Fifty look-alike intermediates that each reach the anchor (with a bad signature):
        the verdict comes after a bounded number of checked paths, and is not trusted."""
        root = CA(common_name="Bounded Root")
        fake_root = CA(common_name="Bounded Root")  # same name, other key
        decoys = [fake_root.create_child_ca(common_name="Decoy").certificate for _ in range(50)]
        real = root.create_child_ca(common_name="Decoy")
        leaf = real.issue_cert("example.test").certificate
        verifier = ChainVerifier(trust="none", anchors=[root.certificate])
        result = verifier.verify(leaf, decoys, host=None, at=NOW)
        assert result.status != S.TRUSTED
        assert len(result.rejected_paths) <= 16
        with_real = verifier.verify(leaf, [real.certificate, *decoys], host=None, at=NOW)
        assert with_real.status == S.TRUSTED

    def test_pool_order_does_not_change_the_verdict(self) -> None:
        """Every rotation of a pool holding junk, decoys and the real chain gives trusted."""
        root = CA(common_name="Order Root")
        inter = root.create_child_ca(common_name="Order CA")
        leaf = inter.issue_cert("example.test").certificate
        decoy = CA(common_name="Order Root").create_child_ca(common_name="Order CA").certificate
        stranger = CA(common_name="Stranger").certificate
        pool = [decoy, inter.certificate, stranger, root.certificate]
        for shift in range(len(pool)):
            rotated = pool[shift:] + pool[:shift]
            assert check(leaf, rotated, [root.certificate]).status == S.TRUSTED
            without = [c for c in rotated if c is not inter.certificate]
            assert check(leaf, without, [root.certificate]).status != S.TRUSTED
