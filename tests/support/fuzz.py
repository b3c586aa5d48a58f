"""Property-based fuzzing of every parser: a moderate example count in the fast stage, a deep run under
the slow marker (the same properties, `depth` decides)."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# The slow stage stays lean on shared machines; DMS_FUZZ_DEEP=20000 for a longer campaign.
DEPTHS = {"fast": 200, "deep": int(os.environ.get("DMS_FUZZ_DEEP", "1000"))}


@pytest.fixture(params=[pytest.param("fast"), pytest.param("deep", marks=pytest.mark.slow)])
def depth(request) -> int:
    """Examples per property: 200 in the fast stage, DEPTHS["deep"] under the slow marker."""
    return DEPTHS[request.param]


def check_property(examples: int, check, *strategies) -> None:
    """Run `check(*drawn)` on `examples` draws of the strategies (no deadline: the machine is shared)."""
    settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )(given(*strategies)(check))()


# JSON values of any shape: what a hostile or buggy client can put in a body, a file or a payload.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)


def mutated(valid: dict, keys: list[str]) -> st.SearchStrategy[dict]:
    """A valid document with some of its fields replaced, removed, or joined by unknown ones."""

    def apply(edits):
        doc = json.loads(json.dumps(valid, default=str))
        for op, key, value in edits:
            if op == "set":
                doc[key] = value
            elif op == "drop":
                doc.pop(key, None)
        return doc

    edit = st.tuples(
        st.sampled_from(["set", "drop"]), st.sampled_from(keys) | st.text(max_size=8), json_values
    )
    return st.lists(edit, min_size=1, max_size=4).map(apply)


def byte_mutations(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` with bytes flipped, cut short, or spliced with random bytes."""

    def flip(args):
        pos, value = args
        pos %= max(1, len(data))
        return data[:pos] + bytes([value]) + data[pos + 1 :]

    return st.one_of(
        st.tuples(st.integers(0, 10**6), st.integers(0, 255)).map(flip),
        st.integers(0, len(data)).map(lambda n: data[:n]),
        st.tuples(st.integers(0, len(data)), st.binary(max_size=20)).map(
            lambda a: data[: a[0]] + a[1] + data[a[0] :]
        ),
    )
