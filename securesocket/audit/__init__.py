"""`securesocket audit`: audit TLS servers' trust and revocation; results are data.

`audit_host` is the per-host function (plain and picklable, for thread pools and Dask);
`AuditResult` and the other classes in `model` are its frozen results; `render` and `jsonio`
are their console and JSON views; `cli.main` is the command.
"""

from __future__ import annotations

from .model import AuditResult as AuditResult
from .model import MatrixReport as MatrixReport
from .model import Outcome as Outcome
from .probe import audit_host as audit_host


__all__ = ["AuditResult", "MatrixReport", "Outcome", "audit_host"]
