"""The kit's default validity window."""

from __future__ import annotations

import datetime as _dt
from typing import Final


__all__ = ["DEFAULT_NOT_AFTER", "DEFAULT_NOT_BEFORE"]

#: Long default validity: contains every date the test suite validates at.
DEFAULT_NOT_BEFORE: Final = _dt.datetime(2020, 1, 1, tzinfo=_dt.UTC)
DEFAULT_NOT_AFTER: Final = _dt.datetime(2050, 1, 1, tzinfo=_dt.UTC)
