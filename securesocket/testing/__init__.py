"""securesocket.testing: a fixture PKI with revocation, and loopback servers to test against."""
