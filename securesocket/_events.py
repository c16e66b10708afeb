# AS3 events and EventDispatcher (flash.events), as /work/shared/as3-api.md §6 describes them.
#
# Model: a dispatcher keeps, per (event type, use_capture), an immutable tuple of registrations
# sorted by priority (highest first), then by order of addition. Adding or removing a listener
# builds a new tuple (copy-on-write); a dispatch iterates the tuple it found when it started.
# That one choice gives the AS3 rules for free: a listener added during a dispatch does not run
# for it, and one removed during a dispatch still does. It also makes the hot path (one
# `socketData` per chunk) a plain loop with no copying.
#
# Rules kept here:
# - Re-adding a listener already registered for (type, use_capture) is a no-op: its priority
#   does not change.
# - A listener that raises does not stop the others. Its exception goes to the running asyncio
#   loop's exception handler, or, with no running loop, to `sys.unraisablehook`; never to the
#   caller of `dispatch_event`.
# - An error event (`ioError`, `securityError`, `error`) that no listener handles is reported the
#   same way, as AS3's uncaught error #2044, never raised into the caller.
# - An event that already has a target is cloned before it is dispatched again.
# - Nesting `dispatch_event` deeper than `MAX_DISPATCH_DEPTH` raises error #2094.
# - A dispatcher has no display list, so there is no capture or bubbling phase: listeners added
#   with use_capture=True are registered (has_event_listener sees them) but never run, as in AS3
#   for an object outside the display list.
"""AS3 event classes and `EventDispatcher`, with AS3's ordering and error-isolation rules."""

from __future__ import annotations

import asyncio
import math
import sys
import traceback
import types
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ._as3names import as3_aliases
from .exceptions import ArgumentError, SecureSocketError


__all__ = [
    "MAX_DISPATCH_DEPTH",
    "ErrorEvent",
    "Event",
    "EventDispatcher",
    "EventPhase",
    "IOErrorEvent",
    "OutputProgressEvent",
    "ProgressEvent",
    "SecurityErrorEvent",
    "UnhandledErrorEventError",
    "report_uncaught",
]

Listener = Callable[[Any], object]
"""A listener takes the event (any Event subclass); its return value is ignored."""

MAX_DISPATCH_DEPTH = 64
"""Nested dispatches allowed on one dispatcher before error #2094 (well under Python's limit)."""


class EventPhase:
    """AS3 ``flash.events.EventPhase`` constants."""

    CAPTURING_PHASE = 1
    AT_TARGET = 2
    BUBBLING_PHASE = 3


def _format_value(value: object) -> str:
    """Format one field the way AS3's ``formatToString`` does: strings quoted, others bare."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


@as3_aliases
class Event:
    """AS3 ``flash.events.Event``: a type string plus dispatch state.

    ``event_phase`` reads 2 (at target) before and after dispatch, as in AS3, because a
    dispatcher outside a display list only has the at-target phase.
    """

    CONNECT: ClassVar[str] = "connect"
    CLOSE: ClassVar[str] = "close"
    COMPLETE: ClassVar[str] = "complete"
    OPEN: ClassVar[str] = "open"
    ACTIVATE: ClassVar[str] = "activate"
    DEACTIVATE: ClassVar[str] = "deactivate"

    _string_fields: ClassVar[tuple[str, ...]] = ("type", "bubbles", "cancelable", "eventPhase")

    def __init__(self, type: str, bubbles: bool = False, cancelable: bool = False) -> None:
        self._type = type
        self._bubbles = bool(bubbles)
        self._cancelable = bool(cancelable)
        self._reset_dispatch_state()

    def _reset_dispatch_state(self) -> None:
        self._target: object | None = None
        self._current_target: object | None = None
        self._event_phase = EventPhase.AT_TARGET
        self._default_prevented = False
        self._stop_propagation = False
        self._stop_immediate = False

    @property
    def type(self) -> str:
        """The event type, e.g. ``"connect"``."""
        return self._type

    @property
    def bubbles(self) -> bool:
        """Whether the event bubbles (always False for socket events)."""
        return self._bubbles

    @property
    def cancelable(self) -> bool:
        """Whether `prevent_default` has any effect."""
        return self._cancelable

    @property
    def target(self) -> object | None:
        """The dispatcher the event was dispatched on; None before dispatch."""
        return self._target

    @property
    def current_target(self) -> object | None:
        """The dispatcher whose listeners are running; None before dispatch."""
        return self._current_target

    @property
    def event_phase(self) -> int:
        """1 capture, 2 at target, 3 bubbling (`EventPhase`)."""
        return self._event_phase

    def prevent_default(self) -> None:
        """Cancel the default action; ignored unless the event is cancelable (as in AS3)."""
        if self._cancelable:
            self._default_prevented = True

    def is_default_prevented(self) -> bool:
        """True once `prevent_default` was called on a cancelable event."""
        return self._default_prevented

    def stop_propagation(self) -> None:
        """Stop the event reaching further dispatchers (listeners on this one still run)."""
        self._stop_propagation = True

    def stop_immediate_propagation(self) -> None:
        """Stop the event now: no further listener runs, on this dispatcher or any other."""
        self._stop_propagation = True
        self._stop_immediate = True

    def clone(self) -> Event:
        """A copy of this event (same class and fields), undispatched and not prevented."""
        duplicate = object.__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        duplicate._reset_dispatch_state()
        return duplicate

    def format_to_string(self, class_name: str, *fields: str) -> str:
        """AS3 ``formatToString``: ``[ClassName a=1 b="x"]`` from the named fields.

        Field names may use either spelling (``eventPhase`` or ``event_phase``).
        """
        parts = [class_name]
        parts.extend(f"{name}={_format_value(getattr(self, name))}" for name in fields)
        return "[" + " ".join(parts) + "]"

    def to_string(self) -> str:
        """AS3 ``toString``, e.g. ``[Event type="connect" bubbles=false cancelable=false
        eventPhase=2]``."""
        return self.format_to_string(type(self).__name__, *self._string_fields)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return self.to_string()

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        currentTarget = current_target
        eventPhase = event_phase
        formatToString = format_to_string
        preventDefault = prevent_default
        isDefaultPrevented = is_default_prevented
        stopPropagation = stop_propagation
        stopImmediatePropagation = stop_immediate_propagation
        toString = to_string


@as3_aliases
class ErrorEvent(Event):
    """AS3 ``flash.events.ErrorEvent``: an error notification with ``text`` and ``errorID``.

    ``to_string`` appends ``errorID=N`` as AIR does (Flash Player omits it).
    """

    ERROR: ClassVar[str] = "error"

    _string_fields: ClassVar[tuple[str, ...]] = (*Event._string_fields, "text", "errorID")

    def __init__(
        self,
        type: str,
        bubbles: bool = False,
        cancelable: bool = False,
        text: str = "",
        error_id: int = 0,
    ) -> None:
        super().__init__(type, bubbles, cancelable)
        self._text = text
        self._error_id = int(error_id)

    @property
    def text(self) -> str:
        """The error message, e.g. ``"Error #2031: Socket Error. URL: example.org"``."""
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value

    @property
    def error_id(self) -> int:
        """The AS3 error number (2031 for a socket error), 0 when none."""
        return self._error_id

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        errorID = error_id


@as3_aliases
class IOErrorEvent(ErrorEvent):
    """AS3 ``flash.events.IOErrorEvent``: a network or TLS failure (``ioError``)."""

    IO_ERROR: ClassVar[str] = "ioError"


@as3_aliases
class SecurityErrorEvent(ErrorEvent):
    """AS3 ``flash.events.SecurityErrorEvent``: a refusal, including the connect timeout."""

    SECURITY_ERROR: ClassVar[str] = "securityError"
    CERTIFICATE_ERROR: ClassVar[str] = "certificateError"


@as3_aliases
class ProgressEvent(Event):
    """AS3 ``flash.events.ProgressEvent``: ``socketData`` (data is readable) and ``progress``."""

    SOCKET_DATA: ClassVar[str] = "socketData"
    PROGRESS: ClassVar[str] = "progress"

    _string_fields: ClassVar[tuple[str, ...]] = (*Event._string_fields, "bytesLoaded", "bytesTotal")

    def __init__(
        self,
        type: str,
        bubbles: bool = False,
        cancelable: bool = False,
        bytes_loaded: float = 0,
        bytes_total: float = 0,
    ) -> None:
        super().__init__(type, bubbles, cancelable)
        self._bytes_loaded = bytes_loaded
        self._bytes_total = bytes_total

    @property
    def bytes_loaded(self) -> float:
        """Bytes received (for ``socketData``: bytes readable now)."""
        return self._bytes_loaded

    @bytes_loaded.setter
    def bytes_loaded(self, value: float) -> None:
        self._bytes_loaded = value

    @property
    def bytes_total(self) -> float:
        """Total expected; always 0 for ``socketData``."""
        return self._bytes_total

    @bytes_total.setter
    def bytes_total(self, value: float) -> None:
        self._bytes_total = value

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        bytesLoaded = bytes_loaded
        bytesTotal = bytes_total


@as3_aliases
class OutputProgressEvent(Event):
    """AS3 ``flash.events.OutputProgressEvent``: how much of the write buffer is still pending."""

    OUTPUT_PROGRESS: ClassVar[str] = "outputProgress"

    _string_fields: ClassVar[tuple[str, ...]] = (
        *Event._string_fields,
        "bytesPending",
        "bytesTotal",
    )

    def __init__(
        self,
        type: str,
        bubbles: bool = False,
        cancelable: bool = False,
        bytes_pending: float = 0,
        bytes_total: float = 0,
    ) -> None:
        super().__init__(type, bubbles, cancelable)
        self._bytes_pending = bytes_pending
        self._bytes_total = bytes_total

    @property
    def bytes_pending(self) -> float:
        """Bytes not yet handed to the network."""
        return self._bytes_pending

    @bytes_pending.setter
    def bytes_pending(self, value: float) -> None:
        self._bytes_pending = value

    @property
    def bytes_total(self) -> float:
        """Bytes written in total for this flush."""
        return self._bytes_total

    @bytes_total.setter
    def bytes_total(self, value: float) -> None:
        self._bytes_total = value

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        bytesPending = bytes_pending
        bytesTotal = bytes_total


class UnhandledErrorEventError(SecureSocketError):
    """AS3 error #2044: an error event was dispatched and nothing listened for it.

    Never raised into the dispatching code: it is reported through `report_uncaught`.

    Attributes:
        event_type: the event's type (``"ioError"``, ``"securityError"``, ...).
        text: the event's text.
    """

    default_error_id = 2044

    def __init__(
        self,
        message: str = "",
        error_id: int | None = None,
        *,
        event_type: str = "",
        text: str = "",
    ) -> None:
        super().__init__(message or f"Error #2044: Unhandled {event_type}:. text={text}", error_id)
        self.event_type = event_type
        self.text = text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.error_id), self.__dict__.copy())


class _UnraisableArgs(NamedTuple):
    """The fields of ``sys.UnraisableHookArgs`` (whose type cannot be built from Python)."""

    exc_type: type[BaseException]
    exc_value: BaseException
    exc_traceback: Any
    err_msg: str
    object: object


def report_uncaught(exc: BaseException, message: str, **context: object) -> None:
    """Report an exception nobody can catch: to the running loop, else to ``sys.unraisablehook``.

    Inside a running asyncio loop this is ``loop.call_exception_handler({"message": message,
    "exception": exc, **context})``. Outside one it calls a replaced ``sys.unraisablehook``
    (pytest installs one), or writes what the default hook would write to stderr, because the
    default hook only accepts CPython's own argument type.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        loop.call_exception_handler({"message": message, "exception": exc, **context})
        return
    hook = sys.unraisablehook
    if hook is sys.__unraisablehook__:
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        sys.stderr.write(f"{message}\n{''.join(lines)}")
        return
    hook(_UnraisableArgs(type(exc), exc, exc.__traceback__, message, context.get("listener")))  # type: ignore[arg-type]


_UNHANDLED_ERROR_TYPES = frozenset(
    {IOErrorEvent.IO_ERROR, SecurityErrorEvent.SECURITY_ERROR, ErrorEvent.ERROR}
)


class _Registration:
    """One listener registration; `resolve` gives the listener, or None once a weak one died."""

    __slots__ = ("_ref", "priority")

    def __init__(self, listener: Listener, priority: int, weak: bool) -> None:
        self.priority = priority
        self._ref: Callable[[], Listener | None]
        # A bound builtin (``list.append`` of some list) is a fresh object on every access: a
        # weak reference to it would die at once, so those are kept strongly, like builtins.
        if weak and not isinstance(listener, types.BuiltinMethodType):
            try:
                if hasattr(listener, "__self__") and hasattr(listener, "__func__"):
                    self._ref = weakref.WeakMethod(listener)
                else:
                    self._ref = weakref.ref(listener)
                return
            except TypeError:  # not weakly referenceable; keep it strongly
                pass
        self._ref = lambda: listener

    def resolve(self) -> Listener | None:
        return self._ref()


_Key = tuple[str, bool]


@as3_aliases
class EventDispatcher:
    """AS3 ``flash.events.EventDispatcher``: listeners by priority, isolated from each other.

    Args:
        target: the object reported as ``event.target`` (AS3's composition use); default self.
    """

    def __init__(self, target: object | None = None) -> None:
        self._dispatch_target: object = self if target is None else target
        self._registrations: dict[_Key, tuple[_Registration, ...]] = {}
        self._dispatch_depth = 0

    def add_event_listener(
        self,
        type: str,
        listener: Listener,
        use_capture: bool = False,
        priority: int = 0,
        use_weak_reference: bool = False,
    ) -> None:
        """Register ``listener`` for ``type``; higher priority runs first, ties in order added.

        Adding a listener already registered for this type and use_capture does nothing.

        Raises:
            ArgumentError: ``listener`` is not callable, ``type`` is not a str, or ``priority``
                is not an integer (a float is truncated, as AS3's int coercion does).
        """
        if not callable(listener):
            raise ArgumentError(f"Error #2004: listener must be callable, not {listener!r}")
        if not isinstance(type, str):
            raise ArgumentError(f"Error #2007: Parameter type must be a str, not {type!r}")
        if not isinstance(priority, int | float) or not math.isfinite(priority):
            raise ArgumentError(f"Error #2004: priority must be an integer, not {priority!r}")
        key = (type, bool(use_capture))
        current = self._live(key)
        if any(reg.resolve() == listener for reg in current):
            return
        new = _Registration(listener, int(priority), use_weak_reference)
        at = len(current)
        for index, reg in enumerate(current):
            if reg.priority < new.priority:
                at = index
                break
        self._registrations[key] = (*current[:at], new, *current[at:])

    def remove_event_listener(
        self,
        type: str,
        listener: Listener,
        use_capture: bool = False,
    ) -> None:
        """Unregister ``listener``; nothing happens if it was not registered."""
        key = (type, bool(use_capture))
        current = self._live(key)
        kept = tuple(reg for reg in current if reg.resolve() != listener)
        if kept:
            self._registrations[key] = kept
        else:
            self._registrations.pop(key, None)

    def has_event_listener(self, type: str) -> bool:
        """Whether any listener (capture or not) is registered for ``type`` on this object."""
        return bool(self._live((type, False)) or self._live((type, True)))

    def will_trigger(self, type: str) -> bool:
        """Same as `has_event_listener`: a socket has no display-list ancestors."""
        return self.has_event_listener(type)

    def dispatch_event(self, event: Event) -> bool:
        """Run the listeners for ``event.type``; False if a listener called prevent_default.

        Raises:
            ArgumentError: ``event`` is not an `Event`.
            SecureSocketError: error #2094, dispatches nested deeper than `MAX_DISPATCH_DEPTH`.
        """
        if not isinstance(event, Event):
            raise ArgumentError(f"Error #2007: Parameter event must be an Event, not {event!r}")
        if event._target is not None:
            event = event.clone()
        if self._dispatch_depth >= MAX_DISPATCH_DEPTH:
            raise SecureSocketError("Error #2094: Event dispatch recursion overflow.", 2094)
        event._target = event._current_target = self._dispatch_target
        event._event_phase = EventPhase.AT_TARGET
        registrations = self._registrations.get((event._type, False), ())
        ran = False
        self._dispatch_depth += 1
        try:
            for registration in registrations:
                listener = registration.resolve()
                if listener is None:
                    continue
                ran = True
                try:
                    listener(event)
                except Exception as exc:  # isolate listeners, as AS3 does
                    report_uncaught(
                        exc,
                        f"Exception in listener for {event._type!r} event",
                        event=event,
                        listener=listener,
                        dispatcher=self._dispatch_target,
                    )
                if event._stop_immediate:
                    break
        finally:
            self._dispatch_depth -= 1
        if not ran and isinstance(event, ErrorEvent) and event._type in _UNHANDLED_ERROR_TYPES:
            unhandled = UnhandledErrorEventError(event_type=event._type, text=event.text)
            report_uncaught(
                unhandled, unhandled.message, event=event, dispatcher=self._dispatch_target
            )
        return not event._default_prevented

    def _live(self, key: _Key) -> tuple[_Registration, ...]:
        """The registrations for ``key``, with dead weak references pruned."""
        current = self._registrations.get(key, ())
        if any(reg.resolve() is None for reg in current):
            current = tuple(reg for reg in current if reg.resolve() is not None)
            if current:
                self._registrations[key] = current
            else:
                self._registrations.pop(key, None)
        return current

    def to_string(self) -> str:
        """AS3 ``Object.toString``: ``[object ClassName]``."""
        return f"[object {type(self).__name__}]"

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        addEventListener = add_event_listener
        removeEventListener = remove_event_listener
        dispatchEvent = dispatch_event
        hasEventListener = has_event_listener
        willTrigger = will_trigger
        toString = to_string
