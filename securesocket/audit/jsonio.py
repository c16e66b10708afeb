"""The JSON view of the audit's results, and the way back (for --resume and round-trip tests).

Both directions walk the dataclasses' type hints, so the JSON, the schema (`schema.py`) and the
model cannot drift apart: enums become their values, tuples become lists, None stays null.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from typing import Any, TypeVar

from .model import AuditResult, MatrixReport


T = TypeVar("T")
JSONValue = Any  # JSON has no precise static type worth the noise here


class JSONFormatError(ValueError):
    """A JSON document is not an audit result (wrong shape or type at `path`)."""


def to_jsonable(value: object) -> JSONValue:
    """A result (or any part of one) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    return value


def dumps(result: AuditResult | MatrixReport, *, indent: int | None = 2) -> str:
    """The JSON text of a result; one line when indent is None (JSON Lines)."""
    return json.dumps(to_jsonable(result), indent=indent, ensure_ascii=False)


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The resolved type hints of a dataclass's fields (resolved once per class)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def from_jsonable(kind: type[T], data: JSONValue, path: str = "$") -> T:
    """Rebuild a result of type `kind` from its JSON values; JSONFormatError on a mismatch."""
    value: Any = _decode(kind, data, path)
    return typing.cast("T", value)


def _decode(kind: Any, data: JSONValue, path: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        (inner,) = [option for option in options if option is not type(None)]
        return _decode(inner, data, path)
    if origin is tuple:
        if not isinstance(data, list):
            raise JSONFormatError(f"{path}: expected a list")
        (item, _ellipsis) = typing.get_args(kind)
        return tuple(_decode(item, element, f"{path}[{i}]") for i, element in enumerate(data))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise JSONFormatError(f"{path}: expected an object")
        hints = field_types(kind)
        missing = set(hints) - set(data)
        if missing:
            raise JSONFormatError(f"{path}: missing {', '.join(sorted(missing))}")
        return kind(
            **{name: _decode(hint, data[name], f"{path}.{name}") for name, hint in hints.items()}
        )
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            raise JSONFormatError(f"{path}: {data!r} is not a {kind.__name__}") from None
    if kind is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if kind in (str, int, bool) and type(data) is kind:
        return data
    raise JSONFormatError(f"{path}: expected {getattr(kind, '__name__', kind)}, got {data!r}")


def loads_result(text: str) -> AuditResult:
    """One audit result from its JSON text (a JSON Lines line); JSONFormatError if it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONFormatError(f"not JSON: {exc}") from exc
    return from_jsonable(AuditResult, data)
