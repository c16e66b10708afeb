"""Auditing many hosts on a Dask cluster (optional extra: ``pip install securesocket[dask]``).

`audit_host` is a plain function of picklable arguments, so spreading a host list over machines
is just mapping `run_call` over the calls with `distributed`. At most `concurrency` audits are
in flight on the cluster at once (a window refilled as each finishes), so a long host list
neither floods the scheduler nor waits for the slowest host before writing results.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import Any

from .hosts import AuditCall, Mapper, run_call
from .model import AuditResult


class DaskUnavailableError(RuntimeError):
    """dask.distributed is not installed."""


class DaskSchedulerError(RuntimeError):
    """The Dask scheduler could not be reached."""


def _distributed() -> Any:
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise DaskUnavailableError(
            "--dask needs dask.distributed: pip install 'securesocket[dask]'"
        ) from exc


def _connect(distributed: Any, scheduler: str, timeout: float) -> Any:
    try:
        return distributed.Client(scheduler, set_as_default=False, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskSchedulerError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc


def dask_mapper(scheduler: str, *, connect_timeout: float = 30.0) -> Mapper:
    """A mapper that runs audits on the Dask cluster whose scheduler is at `scheduler`.

    Iterating it raises DaskSchedulerError if the scheduler cannot be reached.
    """
    distributed = _distributed()

    def mapper(calls: Iterable[AuditCall], concurrency: int) -> Iterator[AuditResult]:
        pending = iter(calls)
        with _connect(distributed, scheduler, connect_timeout) as client:
            first = [
                client.submit(run_call, call, pure=False)
                for _, call in zip(range(concurrency), pending, strict=False)
            ]
            if not first:
                return
            window = distributed.as_completed(first, loop=client.loop)
            for future in window:
                for call in pending:
                    window.add(client.submit(run_call, call, pure=False))
                    break
                result: AuditResult = future.result()
                yield result

    return mapper
