"""Certificate policies: the RFC 5280 §6.1 valid_policy_tree, step by step.

State (RFC 5280 §6.1.2): the tree of acceptable policies, one level per certificate, and three
counters (explicit_policy, policy_mapping, inhibit_anyPolicy) that count down the certificates
left before a rule starts to apply. The functions below follow the RFC's step letters so each
can be read beside the text: §6.1.3 (d)-(f) per certificate, §6.1.4 (a)-(b), (h)-(j) between
certificates, §6.1.5 (a)-(b), (g) at the end. A NULL tree is `None`.

`PolicyInputs` carries the §6.1.1 initial inputs under the PKITS key names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from ..exceptions import ArgumentError
from .certinfo import CertInfo


__all__ = ["ANY_POLICY", "PolicyInputs", "PolicyOutcome", "process_policies"]

ANY_POLICY = "2.5.29.32.0"


@dataclass(frozen=True)
class PolicyInputs:
    """RFC 5280 §6.1.1 (c), (e), (f), (g): the caller's initial policy inputs.

    Attributes:
        initial_policy_set: acceptable policy OIDs (dotted strings); anyPolicy accepts any.
        initial_explicit_policy: the path must be valid for at least one acceptable policy.
        initial_policy_mapping_inhibit: policy mapping is not allowed.
        initial_inhibit_any_policy: anyPolicy in a certificate does not match every policy.
    """

    initial_policy_set: frozenset[str] = field(default_factory=lambda: frozenset({ANY_POLICY}))
    initial_explicit_policy: bool = False
    initial_policy_mapping_inhibit: bool = False
    initial_inhibit_any_policy: bool = False

    @classmethod
    def coerce(cls, policy: PolicyInputs | Mapping[str, Any] | None) -> PolicyInputs:
        """Accept the dataclass, a mapping with the PKITS key names, or None (the defaults)."""
        if policy is None:
            return cls()
        if isinstance(policy, PolicyInputs):
            return policy
        if not isinstance(policy, Mapping):
            raise ArgumentError(f"policy must be a mapping or PolicyInputs, not {policy!r}")
        unknown = set(policy) - {
            "initial_policy_set",
            "initial_explicit_policy",
            "initial_policy_mapping_inhibit",
            "initial_inhibit_any_policy",
        }
        if unknown:
            raise ArgumentError(f"unknown policy setting(s): {', '.join(sorted(unknown))}")
        oids = policy.get("initial_policy_set", [ANY_POLICY])
        if isinstance(oids, str) or not all(isinstance(o, str) for o in oids):
            raise ArgumentError("initial_policy_set must be a collection of dotted OID strings")
        for oid in oids:
            try:
                x509.ObjectIdentifier(oid)
            except ValueError as exc:
                raise ArgumentError(f"not an OID: {oid!r}") from exc
        return cls(
            frozenset(oids),
            bool(policy.get("initial_explicit_policy", False)),
            bool(policy.get("initial_policy_mapping_inhibit", False)),
            bool(policy.get("initial_inhibit_any_policy", False)),
        )


@dataclass(eq=False)
class _Node:
    valid_policy: str
    expected: set[str]
    parent: _Node | None
    depth: int
    children: list[_Node] = field(default_factory=list)


class _Tree:
    """The valid_policy_tree: nodes by depth, with parent and child links."""

    def __init__(self) -> None:
        self.root = _Node(ANY_POLICY, {ANY_POLICY}, None, 0)
        self.levels: list[list[_Node]] = [[self.root]]

    def at(self, depth: int) -> list[_Node]:
        return self.levels[depth] if depth < len(self.levels) else []

    def add(self, parent: _Node, policy: str, expected: set[str]) -> _Node:
        node = _Node(policy, expected, parent, parent.depth + 1)
        parent.children.append(node)
        while len(self.levels) <= node.depth:
            self.levels.append([])
        self.levels[node.depth].append(node)
        return node

    def delete(self, node: _Node) -> None:
        for child in list(node.children):
            self.delete(child)
        if node.parent is not None:
            node.parent.children.remove(node)
        self.levels[node.depth].remove(node)

    def prune(self, below: int) -> bool:
        """Delete childless nodes above depth `below`, bottom up; False when the root went."""
        for depth in range(below - 1, -1, -1):
            for node in [n for n in self.at(depth) if not n.children]:
                self.delete(node)
        return bool(self.levels[0])


@dataclass(frozen=True)
class PolicyOutcome:
    """The result: a problem (message and the path index it applies to) or the policy set."""

    error: str | None
    error_index: int | None
    user_constrained_policy_set: frozenset[str]


def _policy_oids(info: CertInfo) -> list[str]:
    assert info.policies is not None  # noqa: S101 - callers check
    return [p.policy_identifier.dotted_string for p in info.policies]


def _add_policies(tree: _Tree, info: CertInfo, i: int, any_allowed: bool) -> None:
    """§6.1.3 (d)(1)-(2): grow level i from the policies in certificate i."""
    oids = _policy_oids(info)
    parents = tree.at(i - 1)
    for oid in oids:
        if oid == ANY_POLICY:
            continue
        matched = [p for p in parents if oid in p.expected]
        if matched:
            for parent in matched:
                tree.add(parent, oid, {oid})
        else:
            for parent in parents:
                if parent.valid_policy == ANY_POLICY:
                    tree.add(parent, oid, {oid})
    if ANY_POLICY in oids and any_allowed:
        for parent in parents:
            present = {c.valid_policy for c in parent.children}
            for expected in sorted(parent.expected - present):
                tree.add(parent, expected, {expected})


def _apply_mappings(tree: _Tree, info: CertInfo, i: int, policy_mapping: int) -> tuple[bool, str]:
    """§6.1.4 (a)-(b). Returns (tree still exists, error message or "")."""
    assert info.policy_mappings is not None  # noqa: S101 - callers check
    mapped: dict[str, set[str]] = {}
    for issuer, subject in info.policy_mappings:
        if ANY_POLICY in (issuer, subject):
            return True, "a policy mapping maps to or from anyPolicy"
        mapped.setdefault(issuer, set()).add(subject)
    for issuer_policy, subjects in mapped.items():
        level = tree.at(i)
        nodes = [n for n in level if n.valid_policy == issuer_policy]
        if policy_mapping > 0:
            for node in nodes:
                node.expected = set(subjects)
            if not nodes:
                for any_node in [n for n in level if n.valid_policy == ANY_POLICY]:
                    if any_node.parent is not None:
                        tree.add(any_node.parent, issuer_policy, set(subjects))
        else:
            for node in nodes:
                tree.delete(node)
            if not tree.prune(i):
                return False, ""
    return True, ""


def process_policies(top_down: Sequence[CertInfo], inputs: PolicyInputs) -> PolicyOutcome:
    """Run §6.1's policy processing over the path, anchor side first (anchor excluded).

    `error_index` counts from the top (0 = the certificate the anchor issued).
    """
    n = len(top_down)
    explicit_policy = 0 if inputs.initial_explicit_policy else n + 1
    inhibit_any = 0 if inputs.initial_inhibit_any_policy else n + 1
    policy_mapping = 0 if inputs.initial_policy_mapping_inhibit else n + 1
    tree: _Tree | None = _Tree()

    for index, info in enumerate(top_down):
        i = index + 1
        last = i == n
        # §6.1.3 (d), (e)
        if info.policies is not None and tree is not None:
            any_allowed = inhibit_any > 0 or (not last and info.self_issued)
            _add_policies(tree, info, i, any_allowed)
            if not tree.prune(i):
                tree = None
        elif info.policies is None:
            tree = None
        # §6.1.3 (f)
        if explicit_policy <= 0 and tree is None:
            return PolicyOutcome("no acceptable certificate policy on the path", index, frozenset())
        if last:
            break
        # §6.1.4 (a), (b)
        if info.policy_mappings is not None:
            if tree is not None:
                alive, error = _apply_mappings(tree, info, i, policy_mapping)
                if error:
                    return PolicyOutcome(error, index, frozenset())
                if not alive:
                    tree = None
            elif any(ANY_POLICY in pair for pair in info.policy_mappings):
                return PolicyOutcome(
                    "a policy mapping maps to or from anyPolicy", index, frozenset()
                )
        # §6.1.4 (h)
        if not info.self_issued:
            explicit_policy = max(explicit_policy - 1, 0)
            policy_mapping = max(policy_mapping - 1, 0)
            inhibit_any = max(inhibit_any - 1, 0)
        # §6.1.4 (i), (j)
        constraints = info.policy_constraints
        if constraints is not None:
            if constraints.require_explicit_policy is not None:
                explicit_policy = min(explicit_policy, constraints.require_explicit_policy)
            if constraints.inhibit_policy_mapping is not None:
                policy_mapping = min(policy_mapping, constraints.inhibit_policy_mapping)
        if info.inhibit_any_policy is not None:
            inhibit_any = min(inhibit_any, info.inhibit_any_policy)

    # §6.1.5 (a), (b)
    if n:
        explicit_policy = max(explicit_policy - 1, 0)
        leaf_constraints = top_down[-1].policy_constraints
        if leaf_constraints is not None and leaf_constraints.require_explicit_policy == 0:
            explicit_policy = 0
    # §6.1.5 (g)
    policies = _intersect(tree, n, inputs.initial_policy_set)
    if explicit_policy <= 0 and not policies:
        return PolicyOutcome(
            "no certificate policy acceptable to the caller is valid for the path",
            max(n - 1, 0),
            frozenset(),
        )
    return PolicyOutcome(None, None, policies)


def _intersect(tree: _Tree | None, n: int, initial: Iterable[str]) -> frozenset[str]:
    """§6.1.5 (g): the user-constrained policy set (empty when the tree is NULL)."""
    if tree is None:
        return frozenset()
    initial_set = frozenset(initial)
    if ANY_POLICY not in initial_set:
        # (g)(iii)(1)-(2): cut branches whose policy the caller did not ask for.
        boundary = [
            node
            for level in tree.levels
            for node in level
            if node.parent is not None and node.parent.valid_policy == ANY_POLICY
        ]
        for node in boundary:
            wanted = node.valid_policy in initial_set or node.valid_policy == ANY_POLICY
            if not wanted and node in tree.at(node.depth):
                tree.delete(node)
        # (g)(iii)(3): an anyPolicy leaf stands for every policy the caller asked for.
        for node in [m for m in tree.at(n) if m.valid_policy == ANY_POLICY]:
            parent = node.parent
            tree.delete(node)
            if parent is not None:
                for oid in sorted(initial_set):
                    tree.add(parent, oid, {oid})
        # (g)(iii)(4)
        if not tree.prune(n):
            return frozenset()
    # Report each surviving branch by the policy it has in the anchor's domain (its topmost
    # non-anyPolicy node), as PKITS does: after a mapping the leaf's node has the mapped-to OID.
    leaves = {_anchor_domain_policy(node) for node in tree.at(n)}
    if ANY_POLICY in leaves:
        return initial_set if ANY_POLICY not in initial_set else frozenset({ANY_POLICY})
    return frozenset(leaves)


def _anchor_domain_policy(node: _Node) -> str:
    branch: list[str] = []
    current: _Node | None = node
    while current is not None and current.parent is not None:
        branch.append(current.valid_policy)
        current = current.parent
    return next((p for p in reversed(branch) if p != ANY_POLICY), ANY_POLICY)
