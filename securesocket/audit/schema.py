"""The JSON Schema of `securesocket audit --json`, derived from the model's type hints.

``python -m securesocket.audit.schema`` prints it; ``make schema`` writes it to
``securesocket/audit/schema.json`` (committed, and a test checks the two agree). A document is
either one `AuditResult` (one host; each JSON Lines line of --hosts) or a `MatrixReport`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
from typing import Any

from .jsonio import field_types
from .model import AuditResult, MatrixReport


SCHEMA_ID = "https://securesocket.invalid/audit/schema.json"
_ATTRIBUTE = re.compile(r"^\s{8}(\w+): (.*)$")


def _attribute_docs(cls: type) -> dict[str, str]:
    """Field descriptions from the class docstring's ``Attributes:`` section."""
    docs: dict[str, str] = {}
    current: str | None = None
    for line in (cls.__doc__ or "").splitlines():
        match = _ATTRIBUTE.match(line)
        if match:
            current = match.group(1)
            docs[current] = match.group(2).strip()
        elif current and line.startswith(" " * 12) and line.strip():
            docs[current] += " " + line.strip()
        else:
            current = None
    return docs


def _type_schema(kind: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = [_type_schema(option, defs) for option in typing.get_args(kind)]
        return {"anyOf": options}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(kind)[0], defs)}
    if kind is type(None):
        return {"type": "null"}
    if dataclasses.is_dataclass(kind):
        assert isinstance(kind, type)  # noqa: S101 - is_dataclass also accepts instances
        _define(kind, defs)
        return {"$ref": f"#/$defs/{kind.__name__}"}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"type": "string", "enum": [member.value for member in kind]}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return {"type": simple[kind]}


def _define(cls: type, defs: dict[str, Any]) -> None:
    if cls.__name__ in defs:
        return
    defs[cls.__name__] = {}  # reserve the name first: the model may refer back to itself
    docs = _attribute_docs(cls)
    properties: dict[str, Any] = {}
    for name, hint in field_types(cls).items():
        properties[name] = _type_schema(hint, defs)
        if name in docs:
            properties[name] = {"description": docs[name], **properties[name]}
    defs[cls.__name__] = {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def audit_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every document the audit command writes."""
    defs: dict[str, Any] = {}
    _define(AuditResult, defs)
    _define(MatrixReport, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "securesocket audit output",
        "description": "One host's audit (also each line of --hosts JSON Lines), or the matrix.",
        "oneOf": [{"$ref": "#/$defs/AuditResult"}, {"$ref": "#/$defs/MatrixReport"}],
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The schema as committed: indented, sorted definitions, trailing newline."""
    return json.dumps(audit_schema(), indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
