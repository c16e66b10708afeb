"""Suite-wide pytest configuration: the version header and the Hypothesis profiles.

Profiles: ``ci`` (default: derandomized, modest example counts, no deadline, since timing is
never asserted) and ``long`` (``SECURESOCKET_FUZZ=long``, for ``make fuzz``).
"""

from __future__ import annotations

import os
import ssl

import cryptography
import OpenSSL
from cryptography.hazmat.backends.openssl import backend
from hypothesis import settings


settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None)
settings.register_profile("long", max_examples=5_000, deadline=None)
settings.load_profile("long" if os.environ.get("SECURESOCKET_FUZZ") == "long" else "ci")


def pytest_report_header() -> list[str]:
    """Name the TLS stacks under test: results depend on their versions."""
    return [
        f"OpenSSL (pyOpenSSL, cryptography): {backend.openssl_version_text()}",
        f"OpenSSL (stdlib ssl): {ssl.OPENSSL_VERSION}",
        f"pyOpenSSL {OpenSSL.__version__}, cryptography {cryptography.__version__}, "
        f"hypothesis profile {settings.get_current_profile_name()}",
    ]
