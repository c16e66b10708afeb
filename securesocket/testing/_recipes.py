"""The scenario recipes: each builds one situation with a `Builder` and returns what it `Made`.

Chain recipes keep working revocation sources on the leaf and the intermediate (so "require"
means something); revocation recipes declare only the sources their situation needs.
"""

from __future__ import annotations

import datetime as _dt

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from ._builder import Builder, ChainBuildingCertificate, Made, Recipe
from ._keys import KeyType, fixed_key
from .ca import self_signed_cert
from .crl_server import CRLFault
from .ocsp_servers import OCSPFault


# ------------------------------------------------------------------------ recipes: the chain


def good(b: Builder) -> Made:
    root, inter = b.standard()
    return Made(b.leaf(inter), (inter.certificate,), (root.certificate,))


def expired_leaf(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, not_after=b.at - _dt.timedelta(days=1))
    return Made(leaf, (inter.certificate,), (root.certificate,))


def not_yet_valid(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, not_before=b.at + _dt.timedelta(days=30))
    return Made(leaf, (inter.certificate,), (root.certificate,))


def expired_intermediate(b: Builder) -> Made:
    root = b.ca("root")
    inter = b.ca(
        "intermediate",
        parent=root,
        path_length=0,
        common_name="securesocket fixture expired intermediate",
        not_after=b.at - _dt.timedelta(days=1),
    )
    return Made(b.leaf(inter), (inter.certificate,), (root.certificate,))


def wrong_host(b: Builder) -> Made:
    root, inter = b.standard()
    return Made(b.leaf(inter, "wrong.example"), (inter.certificate,), (root.certificate,))


def ip_address_host(b: Builder) -> Made:
    root, inter = b.standard()
    return Made(b.leaf(inter, "127.0.0.1"), (inter.certificate,), (root.certificate,))


def ip_address_mismatch(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, "localhost", "127.0.0.2")
    return Made(leaf, (inter.certificate,), (root.certificate,))


def self_signed(b: Builder) -> Made:
    root, _inter = b.standard()
    leaf = self_signed_cert("localhost", key=fixed_key(f"{b.name}/leaf"), serial=b.serial("leaf"))
    return Made(leaf, (), (root.certificate,))


def self_signed_trusted(b: Builder) -> Made:
    leaf = self_signed_cert("localhost", key=fixed_key(f"{b.name}/leaf"), serial=b.serial("leaf"))
    return Made(leaf, (), (), (ChainBuildingCertificate(leaf.certificate, trusted=True),))


def untrusted_root(b: Builder) -> Made:
    root, _inter = b.standard()
    other_root = b.ca("other-root", common_name="securesocket fixture unknown root")
    other_inter = b.ca("other-intermediate", parent=other_root, path_length=0)
    return Made(b.leaf(other_inter), (other_inter.certificate,), (root.certificate,))


def missing_intermediate(b: Builder) -> Made:
    root, inter = b.standard()
    added = ChainBuildingCertificate(inter.certificate, trusted=False)
    return Made(b.leaf(inter), (), (root.certificate,), (added,))


def missing_intermediate_not_added(b: Builder) -> Made:
    root, inter = b.standard()
    return Made(b.leaf(inter), (), (root.certificate,))


def cross_signed(b: Builder) -> Made:
    new_root = b.ca("new-root", common_name="securesocket fixture new root")
    old_root = b.ca("old-root", common_name="securesocket fixture old root")
    cross = old_root.cross_sign(
        new_root, not_after=b.at - _dt.timedelta(days=1), serial=b.serial("cross")
    )
    inter = b.ca("intermediate", parent=new_root, path_length=0)
    return Made(
        b.leaf(inter), (inter.certificate, cross), (new_root.certificate, old_root.certificate)
    )


def intermediate_not_ca(b: Builder) -> Made:
    root = b.ca("root")
    inter = b.ca(
        "intermediate", parent=root, is_ca=False, common_name="securesocket fixture not a CA"
    )
    return Made(b.leaf(inter), (inter.certificate,), (root.certificate,))


def path_length_exceeded(b: Builder) -> Made:
    root, inter = b.standard()  # the intermediate says pathLenConstraint 0 ...
    sub = b.ca("sub-intermediate", key_label="intermediate-2", parent=inter)  # ... yet issues a CA
    return Made(b.leaf(sub), (sub.certificate, inter.certificate), (root.certificate,))


def name_constraint_violation(b: Builder) -> Made:
    root = b.ca("root")
    inter = b.ca(
        "intermediate",
        parent=root,
        path_length=0,
        permitted=("example.com",),
        common_name="securesocket fixture example.com-only intermediate",
    )
    return Made(b.leaf(inter), (inter.certificate,), (root.certificate,))


def sha1_signature(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, hash_algorithm=hashes.SHA1())  # noqa: S303 - the point of the scenario
    return Made(leaf, (inter.certificate,), (root.certificate,))


def rsa_1024_key(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, key=fixed_key("weak-leaf", KeyType.RSA_1024))
    return Made(leaf, (inter.certificate,), (root.certificate,))


def leaf_without_server_auth(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    return Made(leaf, (inter.certificate,), (root.certificate,))


# ------------------------------------------------------------------- recipes: revocation


def revoked_by_crl(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=None)
    b.revoke(inter, leaf)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def revoked_by_ocsp(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, crl=None)
    b.revoke(inter, leaf)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def revoked_via_staple(b: Builder) -> Made:
    # The leaf's own responder is down: only a client that reads the staple learns the truth.
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=b.endpoints.down("ocsp"), crl=None)
    b.revoke(inter, leaf)
    staple = b.staple(inter, leaf)
    return Made(leaf, (inter.certificate,), (root.certificate,), staple=staple)


def revoked_intermediate(b: Builder) -> Made:
    root, inter = b.standard()
    b.revoke(root, inter)
    return Made(b.leaf(inter), (inter.certificate,), (root.certificate,))


def revoked_responder_down(b: Builder) -> Made:
    # The CA's own records (its CRL, its responder) say revoked; the leaf names only a dead URL.
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=b.endpoints.down("ocsp"), crl=None)
    b.revoke(inter, leaf)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def revoked_no_revocation_info(b: Builder) -> Made:
    # Revoked in the CA's records, but the leaf tells a client nowhere to look.
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=None, crl=None)
    b.revoke(inter, leaf)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def no_revocation_info(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=None, crl=None)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def ocsp_responder_down(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=b.endpoints.down("ocsp"), crl=None)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def crl_server_down(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=None, crl=b.endpoints.down("intermediate.crl"))
    return Made(leaf, (inter.certificate,), (root.certificate,))


def stale_crl(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, ocsp=None)
    stale = inter.crl(
        at=b.at - _dt.timedelta(days=30), next_update=b.at - _dt.timedelta(days=23), number=1
    )
    b.crl_overrides["intermediate.crl"] = stale.public_bytes(serialization.Encoding.DER)
    return Made(leaf, (inter.certificate,), (root.certificate,))


def crl_garbage(b: Builder) -> Made:
    root, inter = b.standard()
    b.crl_faults["intermediate.crl"] = CRLFault.GARBAGE
    return Made(b.leaf(inter, ocsp=None), (inter.certificate,), (root.certificate,))


def ocsp_fault(fault: OCSPFault) -> Recipe:
    def recipe(b: Builder) -> Made:
        # Only the leaf asks the (faulty) responder; the intermediate relies on a good CRL.
        root, inter = b.standard(root_ocsp=False)
        b.ocsp_fault = fault
        return Made(b.leaf(inter, crl=None), (inter.certificate,), (root.certificate,))

    return recipe


def ocsp_delegated_responder(b: Builder) -> Made:
    # Answers signed by a responder certificate the intermediate issued (id-kp-OCSPSigning,
    # ocsp-nocheck), as large CAs do, rather than by the intermediate itself.
    root, inter = b.standard(root_ocsp=False)
    b.delegated[inter] = inter.issue_ocsp_responder(
        "securesocket fixture OCSP responder",
        key=fixed_key("responder", KeyType.RSA_2048),
        serial=b.serial("responder"),
    )
    return Made(b.leaf(inter, crl=None), (inter.certificate,), (root.certificate,))


def must_staple_without_staple(b: Builder) -> Made:
    root, inter = b.standard()
    return Made(b.leaf(inter, must_staple=True), (inter.certificate,), (root.certificate,))


def must_staple_with_staple(b: Builder) -> Made:
    root, inter = b.standard()
    leaf = b.leaf(inter, must_staple=True)
    staple = b.staple(inter, leaf)
    return Made(leaf, (inter.certificate,), (root.certificate,), staple=staple)
