"""Hypothesis strategies shared by the codec, ByteArray, AMF and socket tests."""

from __future__ import annotations

import datetime
import math
import struct
from typing import Any

from hypothesis import strategies as st


endians = st.sampled_from(["bigEndian", "littleEndian"])
object_encodings = st.sampled_from([0, 3])

int8 = st.integers(-(2**7), 2**7 - 1)
uint8 = st.integers(0, 2**8 - 1)
int16 = st.integers(-(2**15), 2**15 - 1)
uint16 = st.integers(0, 2**16 - 1)
int32 = st.integers(-(2**31), 2**31 - 1)
uint32 = st.integers(0, 2**32 - 1)
any_int = st.integers(-(2**80), 2**80)
"""Integers far outside every wire range, for the wrap-around rules."""

doubles = st.floats(allow_nan=True, allow_infinity=True)
singles = st.floats(width=32, allow_nan=True, allow_infinity=True)
"""Floats exactly representable as IEEE singles (so a float round trip is exact)."""

# Text without surrogates round-trips exactly; surrogates have their own example tests.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
utf_text = text.filter(lambda s: len(s.encode("utf-8")) <= 0xFFFF)
nul_free_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
blobs = st.binary(max_size=300)


def same_float(a: float, b: float) -> bool:
    """Equal, or both NaN (a NaN round trip is still a round trip)."""
    return (math.isnan(a) and math.isnan(b)) or struct.pack(">d", a) == struct.pack(">d", b)


# AMF values that round-trip to an equal Python value. AMF3 integers are 29-bit; beyond that
# an int travels as a double, so the ints here stay in the exactly-representable range.
amf_dates = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),
    max_value=datetime.datetime(2200, 1, 1),
    timezones=st.just(datetime.UTC),
).map(lambda d: d.replace(microsecond=(d.microsecond // 1000) * 1000))
amf_keys = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20)


def amf_values_with(dates: st.SearchStrategy[datetime.datetime]) -> st.SearchStrategy[Any]:
    """JSON-like AMF values (nested lists and dicts) with the given dates as a leaf type."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False),
        text,
        dates,
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=6),
            st.dictionaries(amf_keys, children, max_size=6),
        ),
        max_leaves=25,
    )


amf_values = amf_values_with(amf_dates)
amf_values_for_py3amf = amf_values_with(
    amf_dates.filter(lambda d: d >= datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)).map(
        lambda d: d.replace(microsecond=0)
    )
)
"""For comparisons with py3amf, whose date arithmetic is only exact for whole seconds after 1970."""
