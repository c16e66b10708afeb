"""Freshness of a CRL or OCSP answer: thisUpdate ≤ t ≤ nextUpdate, within the skew."""

from __future__ import annotations

from datetime import datetime

from .policy import RevocationRules


__all__ = ["staleness"]


def staleness(
    this_update: datetime, next_update: datetime | None, at: datetime, rules: RevocationRules
) -> str | None:
    """Why the answer is not fresh at `at`, or None when it is.

    Without nextUpdate the answer is fresh for `rules.max_age` after thisUpdate.
    """
    if this_update > at + rules.skew:
        return f"thisUpdate {this_update.isoformat()} is in the future"
    if next_update is None:
        if at - this_update > rules.max_age + rules.skew:
            return (
                f"no nextUpdate and thisUpdate {this_update.isoformat()} is older than "
                f"max_age {rules.max_age}"
            )
        return None
    if at > next_update + rules.skew:
        return f"past nextUpdate {next_update.isoformat()}"
    return None
