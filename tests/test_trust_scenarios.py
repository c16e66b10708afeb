"""Every fixture-PKI scenario through `verify_chain`, offline, under every revocation policy.

The catalogue (`securesocket.testing.scenarios`) states the status a correct client reports;
`Materials.verify_chain_arguments` reproduces a scenario offline (its CRLs and the OCSP answers
its responder would give), plus the staple the server would send.
"""

from __future__ import annotations

import pytest

from securesocket import verify_chain
from securesocket.testing.scenarios import POLICIES, SCENARIOS


CASES = [(name, policy) for name in SCENARIOS for policy in POLICIES]


@pytest.fixture(scope="module")
def materials():
    """Each scenario's offline materials, built once per module."""
    return {name: scenario.materials() for name, scenario in SCENARIOS.items()}


@pytest.mark.parametrize(("name", "policy"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_scenario(materials, name: str, policy: str) -> None:
    """verify_chain gives the catalogue's status for this scenario and policy."""
    scenario = SCENARIOS[name]
    made = materials[name]
    result = verify_chain(**made.verify_chain_arguments(policy), staple=made.staple)
    expected = scenario.expected[policy]
    assert result.status == expected, [p.message for p in result.problems] or (
        result.revocation.summary if result.revocation else None
    )
