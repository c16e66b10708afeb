"""Every AS3 member of the reference is reachable by its AS3 name, as the Python member itself.

The member lists below are written from /work/shared/as3-api.md (§1, §2, §4-§7), not from
the table in `_as3names`, so a row missing from the table fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

from securesocket._as3names import AS3_NAMES, as3_aliases, as3_names_for


EVENT_DISPATCHER = [
    "addEventListener",
    "removeEventListener",
    "dispatchEvent",
    "hasEventListener",
    "willTrigger",
    "toString",
]
IDATA_INPUT = [
    "bytesAvailable",
    "endian",
    "objectEncoding",
    "readBoolean",
    "readByte",
    "readUnsignedByte",
    "readShort",
    "readUnsignedShort",
    "readInt",
    "readUnsignedInt",
    "readFloat",
    "readDouble",
    "readBytes",
    "readMultiByte",
    "readUTF",
    "readUTFBytes",
    "readObject",
]
IDATA_OUTPUT = [
    "endian",
    "objectEncoding",
    "writeBoolean",
    "writeByte",
    "writeShort",
    "writeInt",
    "writeUnsignedInt",
    "writeFloat",
    "writeDouble",
    "writeBytes",
    "writeMultiByte",
    "writeUTF",
    "writeUTFBytes",
    "writeObject",
]
SOCKET = [
    *EVENT_DISPATCHER,
    *IDATA_INPUT,
    *IDATA_OUTPUT,
    "bytesPending",
    "connected",
    "localAddress",
    "localPort",
    "remoteAddress",
    "remotePort",
    "timeout",
    "tcpNoDelay",
    "connect",
    "close",
    "flush",
]
EVENT = [
    "type",
    "bubbles",
    "cancelable",
    "target",
    "currentTarget",
    "eventPhase",
    "clone",
    "formatToString",
    "preventDefault",
    "isDefaultPrevented",
    "stopPropagation",
    "stopImmediatePropagation",
    "toString",
    "CONNECT",
    "CLOSE",
]
ERROR_EVENT = [*EVENT, "text", "errorID"]

REFERENCE: dict[tuple[str, str], list[str]] = {
    ("securesocket._events", "EventDispatcher"): EVENT_DISPATCHER,
    ("securesocket._events", "Event"): EVENT,
    ("securesocket._events", "ErrorEvent"): ERROR_EVENT,
    ("securesocket._events", "IOErrorEvent"): [*ERROR_EVENT, "IO_ERROR"],
    ("securesocket._events", "SecurityErrorEvent"): [
        *ERROR_EVENT,
        "SECURITY_ERROR",
        "CERTIFICATE_ERROR",
    ],
    ("securesocket._events", "ProgressEvent"): [
        *EVENT,
        "bytesLoaded",
        "bytesTotal",
        "SOCKET_DATA",
        "PROGRESS",
    ],
    ("securesocket._events", "OutputProgressEvent"): [
        *EVENT,
        "bytesPending",
        "bytesTotal",
        "OUTPUT_PROGRESS",
    ],
    ("securesocket._bytearray", "ByteArray"): [
        *IDATA_INPUT,
        *IDATA_OUTPUT,
        "length",
        "position",
        "clear",
        "compress",
        "uncompress",
        "deflate",
        "inflate",
        "toString",
    ],
    ("securesocket._socket", "Socket"): SOCKET,
    ("securesocket._secure_socket", "SecureSocket"): [
        *SOCKET,
        "isSupported",
        "serverCertificate",
        "serverCertificateStatus",
        "addBinaryChainBuildingCertificate",
    ],
    ("securesocket.x509", "X509Certificate"): [
        "encoded",
        "issuer",
        "issuerUniqueID",
        "serialNumber",
        "signatureAlgorithmOID",
        "signatureAlgorithmParams",
        "subject",
        "subjectPublicKey",
        "subjectPublicKeyAlgorithmOID",
        "subjectUniqueID",
        "validNotBefore",
        "validNotAfter",
        "version",
    ],
    ("securesocket.x509", "X500DistinguishedName"): [
        "commonName",
        "countryName",
        "localityName",
        "organizationName",
        "organizationalUnitName",
        "stateOrProvinceName",
        "toString",
    ],
}

CASES = [
    (module, cls, member)
    for (module, cls), members in REFERENCE.items()
    for member in dict.fromkeys(members)
]


def load(module: str, name: str) -> type:
    """The class, or a skip naming the module when another engineer has not landed it yet."""
    return getattr(pytest.importorskip(module), name)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("module", "cls", "member"), CASES, ids=[f"{c}.{m}" for _, c, m in CASES])
def test_as3_member_is_the_python_member(module: str, cls: str, member: str) -> None:
    """The AS3 spelling is in the table and is the very object stored under the Python name."""
    klass = load(module, cls)
    table = as3_names_for(klass)
    assert member in table, f"{cls}.{member} has no row in AS3_NAMES"
    python = table[member]
    assert hasattr(klass, python), f"{cls} has no Python member {python!r}"
    assert inspect.getattr_static(klass, member) is inspect.getattr_static(klass, python)


def test_every_table_class_is_in_the_reference() -> None:
    """The table holds no class the reference does not know (a typo would go unnoticed)."""
    known = {cls for _, cls in REFERENCE} | {"DataInput", "DataOutput"}
    assert set(AS3_NAMES) <= known


def test_aliases_are_real_attributes_not_getattr() -> None:
    """The aliases live in the class dict; nothing is forwarded through __getattr__."""
    events = importlib.import_module("securesocket._events")
    assert "addEventListener" in vars(events.EventDispatcher)
    assert not hasattr(events.EventDispatcher, "__getattr__")


def test_alias_follows_an_override_in_a_subclass() -> None:
    """Re-applying the decorator on a subclass binds the AS3 name to the override."""
    events = importlib.import_module("securesocket._events")

    @as3_aliases
    class Custom(events.EventDispatcher):  # type: ignore[misc, name-defined]
        def dispatch_event(self, event: object) -> bool:
            return False

    assert Custom.dispatchEvent is Custom.dispatch_event
    assert Custom.dispatchEvent is not events.EventDispatcher.dispatchEvent


def test_missing_python_member_leaves_the_alias_missing() -> None:
    """A table row whose Python member does not exist installs nothing (no stub)."""

    @as3_aliases
    class Socket:  # named like a table class, implementing none of it
        pass

    assert not hasattr(Socket, "bytesAvailable")


def test_bound_alias_calls_the_same_code() -> None:
    """Calling through either spelling does the same thing."""
    bytearray_module = importlib.import_module("securesocket._bytearray")
    buffer = bytearray_module.ByteArray()
    buffer.writeUTF("hi")
    buffer.position = 0
    assert buffer.read_utf() == "hi"


TYPED_CLASSES = [
    ("securesocket._events", "EventDispatcher"),
    ("securesocket._events", "Event"),
    ("securesocket._events", "ErrorEvent"),
    ("securesocket._events", "ProgressEvent"),
    ("securesocket._events", "OutputProgressEvent"),
    ("securesocket._datacodec", "DataInput"),
    ("securesocket._datacodec", "DataOutput"),
    ("securesocket._bytearray", "ByteArray"),
    ("securesocket._socket", "Socket"),
    ("securesocket._secure_socket", "SecureSocket"),
    ("securesocket.x509", "X509Certificate"),
    ("securesocket.x509", "X500DistinguishedName"),
]


def type_checking_aliases(module: str, cls: str) -> dict[str, str]:
    """The ``Alias = python_name`` lines in the class's ``if TYPE_CHECKING:`` block."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    (klass,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    found: dict[str, str] = {}
    for statement in klass.body:
        if isinstance(statement, ast.If) and ast.unparse(statement.test) == "TYPE_CHECKING":
            for assign in statement.body:
                assert isinstance(assign, ast.Assign)
                (target,) = assign.targets
                assert isinstance(target, ast.Name)
                value = assign.value
                found[target.id] = value.attr if isinstance(value, ast.Attribute) else value.id  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize(("module", "cls"), TYPED_CLASSES, ids=[c for _, c in TYPED_CLASSES])
def test_type_checkers_see_the_same_aliases(module: str, cls: str) -> None:
    """Each class declares, for mypy, exactly its table rows whose spellings differ."""
    expected = {a: p for a, p in AS3_NAMES[cls].items() if a != p}
    assert type_checking_aliases(module, cls) == expected
