"""Events and EventDispatcher: AS3 formats, ordering, and error isolation."""

from __future__ import annotations

import asyncio
import gc
import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securesocket import (
    ArgumentError,
    ErrorEvent,
    Event,
    EventDispatcher,
    IOErrorEvent,
    OutputProgressEvent,
    ProgressEvent,
    SecureSocketError,
    SecurityErrorEvent,
    UnhandledErrorEventError,
)
from securesocket._events import MAX_DISPATCH_DEPTH, report_uncaught


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Collect what reaches sys.unraisablehook (no running loop)."""
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def run_in_loop(body: Any) -> list[dict[str, Any]]:
    """Run ``body()`` inside a running loop; return what reached its exception handler."""
    contexts: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
        body()

    asyncio.run(main())
    return contexts


class TestFormats:
    """Constants and toString() exactly as AS3 prints them."""

    def test_constants(self) -> None:
        """The AS3 type strings."""
        assert (Event.CONNECT, Event.CLOSE) == ("connect", "close")
        assert IOErrorEvent.IO_ERROR == "ioError"
        assert SecurityErrorEvent.SECURITY_ERROR == "securityError"
        assert SecurityErrorEvent.CERTIFICATE_ERROR == "certificateError"
        assert (ProgressEvent.SOCKET_DATA, ProgressEvent.PROGRESS) == ("socketData", "progress")
        assert OutputProgressEvent.OUTPUT_PROGRESS == "outputProgress"
        assert ErrorEvent.ERROR == "error"

    def test_event_to_string(self) -> None:
        """Strings quoted, booleans and numbers bare."""
        assert str(Event("connect")) == (
            '[Event type="connect" bubbles=false cancelable=false eventPhase=2]'
        )
        assert Event("x", True, True).to_string() == (
            '[Event type="x" bubbles=true cancelable=true eventPhase=2]'
        )

    def test_io_error_event_to_string_has_error_id(self) -> None:
        """AIR appends errorID."""
        event = IOErrorEvent("ioError", text="Error #2031: Socket Error. URL: h", error_id=2031)
        assert str(event) == (
            '[IOErrorEvent type="ioError" bubbles=false cancelable=false eventPhase=2 '
            'text="Error #2031: Socket Error. URL: h" errorID=2031]'
        )

    def test_security_error_event_to_string(self) -> None:
        """The class name leads the string."""
        assert str(SecurityErrorEvent("securityError", text="t")).startswith(
            '[SecurityErrorEvent type="securityError"'
        )

    def test_progress_event_to_string(self) -> None:
        """The Ruffle trace, byte for byte."""
        assert str(ProgressEvent("socketData", bytes_loaded=86)) == (
            '[ProgressEvent type="socketData" bubbles=false cancelable=false eventPhase=2 '
            "bytesLoaded=86 bytesTotal=0]"
        )

    def test_output_progress_event_to_string(self) -> None:
        """Fields in AS3 order; integral floats print without a decimal point."""
        event = OutputProgressEvent("outputProgress", bytes_pending=0.0, bytes_total=12.5)
        assert str(event) == (
            '[OutputProgressEvent type="outputProgress" bubbles=false cancelable=false '
            "eventPhase=2 bytesPending=0 bytesTotal=12.5]"
        )

    def test_dispatcher_to_string(self) -> None:
        """A dispatcher prints as AS3's Object.toString does."""
        assert EventDispatcher().toString() == "[object EventDispatcher]"

    def test_format_to_string_takes_either_spelling(self) -> None:
        """formatToString accepts AS3 and Python field names."""
        event = ErrorEvent("error", text="x", error_id=7)
        assert event.formatToString("E", "errorID", "error_id") == "[E errorID=7 error_id=7]"


class TestClone:
    """clone() copies class and fields, not dispatch state."""

    def test_clone_keeps_class_and_fields(self) -> None:
        """A ProgressEvent clone is a ProgressEvent with the same numbers."""
        event = ProgressEvent("socketData", False, False, 5, 9)
        copy = event.clone()
        assert type(copy) is ProgressEvent
        assert copy is not event
        assert (copy.bytes_loaded, copy.bytes_total, copy.type) == (5, 9, "socketData")

    def test_clone_resets_dispatch_state(self) -> None:
        """A clone of a dispatched, prevented event has no target and is not prevented."""
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", lambda e: e.prevent_default())
        event = Event("x", cancelable=True)
        dispatcher.dispatch_event(event)
        assert event.target is dispatcher
        assert event.is_default_prevented()
        copy = event.clone()
        assert copy.target is None
        assert not copy.is_default_prevented()


class TestOrdering:
    """Priority first, then order added."""

    def test_priority_then_insertion_order(self) -> None:
        """Higher priority runs first; equal priorities in the order added."""
        dispatcher = EventDispatcher()
        calls: list[str] = []

        def recorder(name: str) -> Callable[[Event], None]:
            return lambda _e: calls.append(name)

        for name, priority in [("a", 0), ("b", 5), ("c", 0), ("d", -3), ("e", 5)]:
            dispatcher.add_event_listener("x", recorder(name), priority=priority)
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["b", "e", "a", "c", "d"]

    def test_re_adding_is_a_no_op_and_keeps_priority(self) -> None:
        """The same listener added twice runs once, at its first priority."""
        dispatcher = EventDispatcher()
        calls: list[str] = []

        def first(_e: Event) -> None:
            calls.append("first")

        dispatcher.add_event_listener("x", first, priority=10)
        dispatcher.add_event_listener("x", lambda _e: calls.append("other"), priority=5)
        dispatcher.add_event_listener("x", first, priority=0)
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["first", "other"]

    def test_re_adding_a_bound_method_is_a_no_op(self) -> None:
        """Bound methods compare equal even though each access makes a new object."""

        class Handler:
            def __init__(self) -> None:
                self.count = 0

            def on(self, _e: Event) -> None:
                self.count += 1

        handler = Handler()
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", handler.on)
        dispatcher.add_event_listener("x", handler.on)
        dispatcher.dispatch_event(Event("x"))
        assert handler.count == 1

    def test_use_capture_is_a_separate_registration_that_never_runs(self) -> None:
        """A capture listener is registered (hasEventListener) but a socket has no capture phase."""
        dispatcher = EventDispatcher()
        calls: list[bool] = []
        dispatcher.add_event_listener("x", lambda _e: calls.append(True), use_capture=True)
        assert dispatcher.has_event_listener("x")
        assert dispatcher.will_trigger("x")
        dispatcher.dispatch_event(Event("x"))
        assert calls == []

    def test_listener_added_during_dispatch_runs_only_next_time(self) -> None:
        """Added mid-dispatch: not for this event, yes for the next."""
        dispatcher = EventDispatcher()
        calls: list[str] = []

        def late(_e: Event) -> None:
            calls.append("late")

        def adder(_e: Event) -> None:
            calls.append("adder")
            dispatcher.add_event_listener("x", late, priority=-1)

        dispatcher.add_event_listener("x", adder)
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["adder"]
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["adder", "adder", "late"]

    def test_listener_removed_during_dispatch_still_runs_this_time(self) -> None:
        """Removed mid-dispatch: still runs for this event, not for the next."""
        dispatcher = EventDispatcher()
        calls: list[str] = []

        def victim(_e: Event) -> None:
            calls.append("victim")

        def remover(_e: Event) -> None:
            calls.append("remover")
            dispatcher.remove_event_listener("x", victim)

        dispatcher.add_event_listener("x", remover, priority=1)
        dispatcher.add_event_listener("x", victim)
        dispatcher.dispatch_event(Event("x"))
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["remover", "victim", "remover"]

    def test_remove_unknown_listener_is_a_no_op(self) -> None:
        """Removing what was never added changes nothing."""
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", print)
        dispatcher.remove_event_listener("x", len)
        dispatcher.remove_event_listener("y", print)
        dispatcher.remove_event_listener("x", print, use_capture=True)
        assert dispatcher.has_event_listener("x")
        dispatcher.remove_event_listener("x", print)
        assert not dispatcher.has_event_listener("x")

    def test_stop_immediate_propagation_stops_the_rest(self) -> None:
        """stopImmediatePropagation ends the dispatch; stopPropagation does not (one target)."""
        dispatcher = EventDispatcher()
        calls: list[str] = []
        dispatcher.add_event_listener("x", lambda e: e.stop_propagation(), priority=3)
        dispatcher.add_event_listener("x", lambda _e: calls.append("after-stop"), priority=2)
        dispatcher.add_event_listener("x", lambda e: e.stop_immediate_propagation(), priority=1)
        dispatcher.add_event_listener("x", lambda _e: calls.append("after-immediate"))
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["after-stop"]


class TestDispatch:
    """Targets, return values, cloning, recursion."""

    def test_target_and_current_target_are_the_dispatcher(self) -> None:
        """Listeners see target and currentTarget set to the dispatcher, phase 2."""
        dispatcher = EventDispatcher()
        seen: list[tuple[object, object, int]] = []
        dispatcher.add_event_listener(
            "x", lambda e: seen.append((e.target, e.currentTarget, e.eventPhase))
        )
        dispatcher.dispatch_event(Event("x"))
        assert seen == [(dispatcher, dispatcher, 2)]

    def test_composition_target(self) -> None:
        """EventDispatcher(target) reports that target instead of itself."""
        owner = object()
        dispatcher = EventDispatcher(owner)
        seen: list[object] = []
        dispatcher.add_event_listener("x", lambda e: seen.append(e.target))
        dispatcher.dispatch_event(Event("x"))
        assert seen == [owner]

    def test_prevent_default_on_cancelable_returns_false(self) -> None:
        """dispatchEvent is False when a listener prevented a cancelable event."""
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", lambda e: e.prevent_default())
        assert dispatcher.dispatch_event(Event("x", cancelable=True)) is False

    def test_prevent_default_on_non_cancelable_is_ignored(self) -> None:
        """The twin: a non-cancelable event cannot be prevented."""
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", lambda e: e.prevent_default())
        event = Event("x")
        assert dispatcher.dispatch_event(event) is True
        assert not event.is_default_prevented()

    def test_no_listener_returns_true(self) -> None:
        """Nothing listening is not a failure for an ordinary event."""
        assert EventDispatcher().dispatch_event(Event("connect")) is True

    def test_redispatch_of_a_dispatched_event_uses_a_clone(self) -> None:
        """An event that already has a target is cloned before the second dispatch."""
        first, second = EventDispatcher(), EventDispatcher()
        seen: list[Event] = []
        first.add_event_listener("x", seen.append)
        second.add_event_listener("x", seen.append)
        event = Event("x")
        first.dispatch_event(event)
        second.dispatch_event(event)
        assert seen[0] is event
        assert seen[1] is not event
        assert seen[1].target is second
        assert event.target is first

    def test_fresh_event_is_not_cloned(self) -> None:
        """The twin: an undispatched event reaches the listener itself."""
        dispatcher = EventDispatcher()
        seen: list[Event] = []
        dispatcher.add_event_listener("x", seen.append)
        event = Event("x")
        dispatcher.dispatch_event(event)
        assert seen == [event]
        assert seen[0] is event

    def test_recursion_overflow_is_error_2094_and_reported(self, unraisable: list[Any]) -> None:
        """Endless re-dispatch stops at the limit with #2094; the outer dispatch returns."""
        dispatcher = EventDispatcher()
        depth: list[int] = []

        def again(_e: Event) -> None:
            depth.append(len(depth))
            dispatcher.dispatch_event(Event("x"))

        dispatcher.add_event_listener("x", again)
        assert dispatcher.dispatch_event(Event("x")) is True
        assert len(depth) == MAX_DISPATCH_DEPTH
        errors = [u.exc_value for u in unraisable]
        assert len(errors) == 1
        assert isinstance(errors[0], SecureSocketError)
        assert errors[0].error_id == 2094
        assert "#2094" in str(errors[0])

    def test_bounded_nesting_is_allowed(self) -> None:
        """The twin: nesting below the limit works normally."""
        dispatcher = EventDispatcher()
        depth: list[int] = []

        def again(_e: Event) -> None:
            depth.append(1)
            if len(depth) < MAX_DISPATCH_DEPTH:
                dispatcher.dispatch_event(Event("x"))

        dispatcher.add_event_listener("x", again)
        dispatcher.dispatch_event(Event("x"))
        assert len(depth) == MAX_DISPATCH_DEPTH

    def test_bad_arguments(self) -> None:
        """A non-callable listener or a non-Event is ArgumentError."""
        dispatcher = EventDispatcher()
        with pytest.raises(ArgumentError, match="callable"):
            dispatcher.add_event_listener("x", "not a function")  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match="Event"):
            dispatcher.dispatch_event("connect")  # type: ignore[arg-type]
        assert not dispatcher.has_event_listener("x")

    @pytest.mark.parametrize(
        ("type_", "priority", "message"),
        [
            (None, 0, "#2007: Parameter type"),
            (5, 0, "#2007: Parameter type"),
            ("x", "1", "priority must be an integer"),
            ("x", None, "priority must be an integer"),
            ("x", math.nan, "priority must be an integer"),
            ("x", math.inf, "priority must be an integer"),
        ],
        ids=["none-type", "int-type", "str-priority", "none-priority", "nan", "inf"],
    )
    def test_bad_type_or_priority_is_argument_error_and_registers_nothing(
        self, type_: Any, priority: Any, message: str
    ) -> None:
        """A listener registered under a non-str type or a non-integer priority would break
        ordering later (or never run); it is refused at once, leaving nothing registered."""
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", lambda e: None, priority=3)
        with pytest.raises(ArgumentError, match=message):
            dispatcher.add_event_listener(type_, lambda e: None, priority=priority)
        assert set(dispatcher._registrations) == {("x", False)}
        assert len(dispatcher._registrations["x", False]) == 1

    @pytest.mark.parametrize(("priority", "expected"), [(2.9, ["b", "a"]), (-(2**40), ["a", "b"])])
    def test_numeric_priorities_are_accepted(self, priority: float, expected: list[str]) -> None:
        """The twin: a float priority is truncated (2.9 runs as 2, above 1) and a large int is
        ordered by its value."""
        dispatcher = EventDispatcher()
        order: list[str] = []
        dispatcher.add_event_listener("x", lambda e: order.append("a"), priority=1)
        dispatcher.add_event_listener("x", lambda e: order.append("b"), priority=priority)  # type: ignore[arg-type]
        dispatcher.dispatch_event(Event("x"))
        assert order == expected

    def test_weak_listener_goes_away_with_its_owner(self) -> None:
        """use_weak_reference: a collected bound method no longer runs or counts."""
        calls: list[str] = []

        class Owner:
            def on(self, _e: Event) -> None:
                calls.append("weak")

        dispatcher = EventDispatcher()
        owner = Owner()
        dispatcher.add_event_listener("x", owner.on, use_weak_reference=True)
        dispatcher.dispatch_event(Event("x"))
        del owner
        gc.collect()
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["weak"]
        assert not dispatcher.has_event_listener("x")

    def test_strong_listener_survives(self) -> None:
        """The twin: without use_weak_reference the dispatcher keeps the listener alive."""
        calls: list[str] = []

        class Owner:
            def on(self, _e: Event) -> None:
                calls.append("strong")

        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", Owner().on)
        gc.collect()
        dispatcher.dispatch_event(Event("x"))
        assert calls == ["strong"]

    def test_weak_reference_to_a_builtin_falls_back_to_strong(self) -> None:
        """Builtins cannot be weakly referenced; they are kept and still run."""
        seen: list[Event] = []
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("x", seen.append, use_weak_reference=True)
        dispatcher.dispatch_event(Event("x"))
        assert len(seen) == 1


class TestErrorIsolation:
    """A throwing listener never stops the others nor reaches the caller."""

    @staticmethod
    def dispatcher_with_thrower(calls: list[str]) -> EventDispatcher:
        dispatcher = EventDispatcher()

        def boom(_e: Event) -> None:
            calls.append("boom")
            raise ValueError("listener failed")

        dispatcher.add_event_listener("x", lambda _e: calls.append("before"), priority=1)
        dispatcher.add_event_listener("x", boom)
        dispatcher.add_event_listener("x", lambda _e: calls.append("after"), priority=-1)
        return dispatcher

    def test_without_loop_goes_to_unraisablehook(self, unraisable: list[Any]) -> None:
        """The rest still run, dispatch returns True, the error reaches unraisablehook."""
        calls: list[str] = []
        assert self.dispatcher_with_thrower(calls).dispatch_event(Event("x")) is True
        assert calls == ["before", "boom", "after"]
        assert len(unraisable) == 1
        assert isinstance(unraisable[0].exc_value, ValueError)
        assert "'x'" in unraisable[0].err_msg

    def test_in_running_loop_goes_to_the_exception_handler(self, unraisable: list[Any]) -> None:
        """Inside a running loop the error reaches loop.call_exception_handler."""
        calls: list[str] = []
        dispatcher = self.dispatcher_with_thrower(calls)
        contexts = run_in_loop(lambda: dispatcher.dispatch_event(Event("x")))
        assert calls == ["before", "boom", "after"]
        assert len(contexts) == 1
        assert isinstance(contexts[0]["exception"], ValueError)
        assert contexts[0]["dispatcher"] is dispatcher
        assert unraisable == []

    def test_default_hook_writes_to_stderr(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With the interpreter's own hook in place, the traceback is printed to stderr."""
        monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
        try:
            raise ValueError("printed")
        except ValueError as exc:
            report_uncaught(exc, "Exception in listener for 'x' event")
        err = capsys.readouterr().err
        assert "Exception in listener for 'x' event" in err
        assert "ValueError: printed" in err

    def test_base_exceptions_are_not_swallowed(self) -> None:
        """KeyboardInterrupt in a listener propagates: only Exception is isolated."""
        dispatcher = EventDispatcher()

        def interrupt(_e: Event) -> None:
            raise KeyboardInterrupt

        dispatcher.add_event_listener("x", interrupt)
        with pytest.raises(KeyboardInterrupt):
            dispatcher.dispatch_event(Event("x"))


class TestUnhandledErrorEvents:
    """#2044: an error event nobody listens to is reported, never raised."""

    @pytest.mark.parametrize(
        "event",
        [
            IOErrorEvent("ioError", text="Error #2031: Socket Error.", error_id=2031),
            SecurityErrorEvent("securityError", text="Error #2048: sandbox", error_id=2048),
            ErrorEvent("error", text="plain"),
        ],
        ids=["ioError", "securityError", "error"],
    )
    def test_unhandled_error_event_is_reported(
        self, event: ErrorEvent, unraisable: list[Any]
    ) -> None:
        """The report carries AS3's message and the event's text."""
        assert EventDispatcher().dispatch_event(event) is True
        assert len(unraisable) == 1
        error = unraisable[0].exc_value
        assert isinstance(error, UnhandledErrorEventError)
        assert error.error_id == 2044
        assert str(error) == f"Error #2044: Unhandled {event.type}:. text={event.text}"

    def test_handled_error_event_is_not_reported(self, unraisable: list[Any]) -> None:
        """The twin: with a listener there is nothing to report."""
        dispatcher = EventDispatcher()
        seen: list[Event] = []
        dispatcher.add_event_listener("ioError", seen.append)
        dispatcher.dispatch_event(IOErrorEvent("ioError", text="t"))
        assert len(seen) == 1
        assert unraisable == []

    def test_unhandled_certificate_error_is_not_reported(self, unraisable: list[Any]) -> None:
        """certificateError without a listener means "use the default", not an error."""
        EventDispatcher().dispatch_event(SecurityErrorEvent("certificateError", cancelable=True))
        assert unraisable == []

    def test_capture_only_listener_does_not_count_as_handled(self, unraisable: list[Any]) -> None:
        """A listener that cannot run (capture phase) does not handle the event."""
        dispatcher = EventDispatcher()
        dispatcher.add_event_listener("ioError", print, use_capture=True)
        dispatcher.dispatch_event(IOErrorEvent("ioError", text="t"))
        assert len(unraisable) == 1

    def test_unhandled_in_loop_goes_to_the_exception_handler(self, unraisable: list[Any]) -> None:
        """Inside a loop the #2044 report reaches the loop's handler."""
        contexts = run_in_loop(
            lambda: EventDispatcher().dispatch_event(SecurityErrorEvent("securityError", text="t"))
        )
        assert len(contexts) == 1
        assert isinstance(contexts[0]["exception"], UnhandledErrorEventError)
        assert "Unhandled securityError" in contexts[0]["message"]
        assert unraisable == []

    def test_unhandled_error_pickles(self) -> None:
        """The report exception crosses process boundaries like the others."""
        import pickle

        error = UnhandledErrorEventError(event_type="ioError", text="t")
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
        assert (copy.event_type, copy.text, copy.error_id, str(copy)) == (
            "ioError",
            "t",
            2044,
            str(error),
        )


class TestFields:
    """Event fields and setters."""

    def test_error_event_fields(self) -> None:
        """text is writable, errorID read-only."""
        event = ErrorEvent("error", False, False, "first", 5)
        event.text = "second"
        assert (event.text, event.error_id, event.errorID) == ("second", 5, 5)
        with pytest.raises(AttributeError):
            event.error_id = 6  # type: ignore[misc]

    def test_progress_fields_are_writable(self) -> None:
        """bytesLoaded/bytesTotal are read/write, under both spellings."""
        event = ProgressEvent("progress")
        event.bytesLoaded = 3
        event.bytes_total = 4
        assert (event.bytes_loaded, event.bytesTotal) == (3, 4)


class TestOrderingModel:
    """Random add/remove sequences dispatch in the order a simple model predicts."""

    @given(
        operations=st.lists(
            st.tuples(st.booleans(), st.integers(0, 5), st.integers(-3, 3)), max_size=40
        )
    )
    def test_dispatch_order_matches_model(self, operations: list[tuple[bool, int, int]]) -> None:
        """(add?, listener id, priority): order is priority desc, then first registration."""
        dispatcher = EventDispatcher()
        calls: list[int] = []
        listeners = [lambda _e, n=n: calls.append(n) for n in range(6)]
        model: dict[int, tuple[int, int]] = {}  # id → (priority, registration sequence)
        for sequence, (add, ident, priority) in enumerate(operations):
            if add:
                dispatcher.add_event_listener("x", listeners[ident], priority=priority)
                model.setdefault(ident, (priority, sequence))
            else:
                dispatcher.remove_event_listener("x", listeners[ident])
                model.pop(ident, None)
        dispatcher.dispatch_event(Event("x"))
        expected = sorted(model, key=lambda i: (-model[i][0], model[i][1]))
        assert calls == expected
        assert dispatcher.has_event_listener("x") == bool(model)
