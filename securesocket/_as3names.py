"""The single table of AS3 spellings, and `as3_aliases`, which installs them on a class.

Python spelling is canonical (``read_utf_bytes``); every AS3 spelling (``readUTFBytes``) is a
real class attribute bound to the *same* function, property or constant, so ``inspect``, mypy
stubs and ``help()`` all see one implementation. No ``__getattr__`` forwarding.

The table is keyed by class name. `as3_aliases` walks the class's MRO and applies the rows of
every class it finds there, so ``SecureSocket`` gets the rows of ``Socket``, ``DataInput``,
``DataOutput`` and ``EventDispatcher`` too, each bound to the most derived Python member (an
override in a subclass is what its AS3 name reaches).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar


__all__ = ["AS3_NAMES", "as3_aliases", "as3_names_for"]

_T = TypeVar("_T", bound=type)


def _rows(*pairs: str) -> Mapping[str, str]:
    """Rows written as ``"as3Name python_name"`` (one name alone when both spellings agree)."""
    table: dict[str, str] = {}
    for pair in pairs:
        as3, _, python = pair.partition(" ")
        table[as3] = python or as3
    return MappingProxyType(table)


AS3_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "EventDispatcher": _rows(
            "addEventListener add_event_listener",
            "removeEventListener remove_event_listener",
            "dispatchEvent dispatch_event",
            "hasEventListener has_event_listener",
            "willTrigger will_trigger",
            "toString to_string",
        ),
        "Event": _rows(
            "type",
            "bubbles",
            "cancelable",
            "target",
            "currentTarget current_target",
            "eventPhase event_phase",
            "clone",
            "formatToString format_to_string",
            "preventDefault prevent_default",
            "isDefaultPrevented is_default_prevented",
            "stopPropagation stop_propagation",
            "stopImmediatePropagation stop_immediate_propagation",
            "toString to_string",
            "CONNECT",
            "CLOSE",
        ),
        "ErrorEvent": _rows("text", "errorID error_id", "ERROR"),
        "IOErrorEvent": _rows("IO_ERROR"),
        "SecurityErrorEvent": _rows("SECURITY_ERROR", "CERTIFICATE_ERROR"),
        "ProgressEvent": _rows(
            "bytesLoaded bytes_loaded", "bytesTotal bytes_total", "SOCKET_DATA", "PROGRESS"
        ),
        "OutputProgressEvent": _rows(
            "bytesPending bytes_pending", "bytesTotal bytes_total", "OUTPUT_PROGRESS"
        ),
        # IDataInput / IDataOutput: shared by Socket and ByteArray through the mixins.
        "DataInput": _rows(
            "bytesAvailable bytes_available",
            "endian",
            "objectEncoding object_encoding",
            "readBoolean read_boolean",
            "readByte read_byte",
            "readUnsignedByte read_unsigned_byte",
            "readShort read_short",
            "readUnsignedShort read_unsigned_short",
            "readInt read_int",
            "readUnsignedInt read_unsigned_int",
            "readFloat read_float",
            "readDouble read_double",
            "readBytes read_bytes",
            "readMultiByte read_multi_byte",
            "readUTF read_utf",
            "readUTFBytes read_utf_bytes",
            "readObject read_object",
        ),
        "DataOutput": _rows(
            "endian",
            "objectEncoding object_encoding",
            "writeBoolean write_boolean",
            "writeByte write_byte",
            "writeShort write_short",
            "writeInt write_int",
            "writeUnsignedInt write_unsigned_int",
            "writeFloat write_float",
            "writeDouble write_double",
            "writeBytes write_bytes",
            "writeMultiByte write_multi_byte",
            "writeUTF write_utf",
            "writeUTFBytes write_utf_bytes",
            "writeObject write_object",
        ),
        "Socket": _rows(
            "bytesAvailable bytes_available",
            "bytesPending bytes_pending",
            "connected",
            "endian",
            "localAddress local_address",
            "localPort local_port",
            "remoteAddress remote_address",
            "remotePort remote_port",
            "objectEncoding object_encoding",
            "timeout",
            "tcpNoDelay tcp_no_delay",
            "connect",
            "close",
            "flush",
        ),
        "SecureSocket": _rows(
            "isSupported is_supported",
            "serverCertificate server_certificate",
            "serverCertificateStatus server_certificate_status",
            "addBinaryChainBuildingCertificate add_binary_chain_building_certificate",
            "connect",
        ),
        "ByteArray": _rows(
            "length",
            "position",
            "clear",
            "compress",
            "uncompress",
            "deflate",
            "inflate",
            "toString to_string",
        ),
        "X509Certificate": _rows(
            "encoded",
            "issuer",
            "issuerUniqueID issuer_unique_id",
            "serialNumber serial_number",
            "signatureAlgorithmOID signature_algorithm_oid",
            "signatureAlgorithmParams signature_algorithm_params",
            "subject",
            "subjectPublicKey subject_public_key",
            "subjectPublicKeyAlgorithmOID subject_public_key_algorithm_oid",
            "subjectUniqueID subject_unique_id",
            "validNotBefore valid_not_before",
            "validNotAfter valid_not_after",
            "version",
        ),
        "X500DistinguishedName": _rows(
            "commonName common_name",
            "countryName country_name",
            "localityName locality_name",
            "organizationName organization_name",
            "organizationalUnitName organizational_unit_name",
            "stateOrProvinceName state_or_province_name",
            "toString to_string",
        ),
    }
)
"""Class name → {AS3 name → Python name}. Rows whose two spellings agree are listed too, so the
table is the complete AS3 surface of each class (the alias test reads it)."""


def as3_names_for(cls: type) -> dict[str, str]:
    """Every AS3 name → Python name that applies to ``cls`` (its own rows and its bases')."""
    names: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        names.update(AS3_NAMES.get(klass.__name__, {}))
    return names


def _find_raw(cls: type, name: str) -> tuple[bool, object]:
    """The attribute as stored in the class dict (function, property, constant), MRO order."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return True, klass.__dict__[name]
    return False, None


def as3_aliases(cls: _T) -> _T:
    """Class decorator: install every AS3 spelling of ``cls``'s members as a class attribute.

    Each alias is the very object stored under the Python name (the same function, property or
    constant). A Python name the class does not define is skipped, so its AS3 name stays
    missing; the alias test reports that rather than a stub pretending to work.
    """
    for as3, python in as3_names_for(cls).items():
        if as3 == python:
            continue
        found, raw = _find_raw(cls, python)
        if found:
            setattr(cls, as3, raw)
    return cls
