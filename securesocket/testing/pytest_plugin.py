"""pytest plugin (entry point ``securesocket``): fixtures for the fixture PKI and its servers."""
