"""Values nobody should type, for the property tests of every door (issue 11 item 4): dates across
0001–9999, amounts such as 1e999999, NaN and negatives, numbers past 64 bits, texts of a million
characters, control characters, and what a Typst, Jinja or SQL injection would look like.

The tests that use them are bounded (`bounded`): a fixed number of examples, no deadline, no shrinking
against a database that changes under them, and the same examples every run under CI=true.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

IN_CI = os.environ.get("CI", "").lower() == "true"


def bounded(examples: int) -> settings:
    """Hypothesis settings for a property test that talks to a database."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=IN_CI,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )


dates = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
times = st.builds(
    lambda moment, offset: moment.isoformat() + offset,
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(["", "Z", "+14:00", "-12:00", "+01:00", "+23:59"]),
)
edge_dates = st.sampled_from(
    [
        "0001-01-01",
        "9999-12-31",
        "1900-01-01",
        "2199-01-01",
        "1989-12-31",
        "2101-01-01",
        "2026-02-30",
        "2026-13-01",
        "0000-00-00",
        "2026-03-02T25:00",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "2026-03-01",
        "2026-03-01T23:40",
        "2026-03-02T09:00:00.999999999",
        "+002026-03-01",
    ]
)
amounts = st.one_of(
    st.sampled_from(
        [
            "1e999999",
            "-1e999999",
            "1e-999999",
            "NaN",
            "nan",
            "sNaN",
            "-NaN",
            "inf",
            "Infinity",
            "-inf",
            "0",
            "-0",
            "-1",
            "0.001",
            "0,001",
            "8450",
            "8450,50",
            "10000000",
            "10000000.01",
            "1" + "0" * 400,
            "1_000",
            "٣٤٥",
            "８４５０",
            "1 000,50",
            "1.000,50",
            ".5",
            "5.",
            "+5",
            "0x10",
        ]
    ),
    st.floats().map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
numbers = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "1",
            "2147483647",
            "2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            "1e3",
            " 1",
            "1.0",
            "",
        ]
    ),
    st.integers().map(str),
)
long_texts = st.sampled_from(
    ["x" * 41, "x" * 81, "x" * 201, "å" * 201, "x" * 401, "x" * 4001, "ab " * 40_000, "x" * 10**6]
)
controls = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0x9F), min_size=1, max_size=20),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\u202e",
            "\ufeff",
            "\u200b",
            "\ue000",
            "\U0010ffff",
            "\U000f0000",
            "\r\n",
            "\t",
            "\u2028",
            "💥",
            "#sys.exit()",
            "{{ 7*7 }}",
            "<script>alert(1)</script>",
            "'; drop table cases; --",
            "%00",
            "../../etc/passwd",
            " ",
        ]
    ),
)
texts = st.one_of(
    st.text(max_size=60), dates, times, edge_dates, amounts, numbers, long_texts, controls
)

# JSON values: `bad_float` is written as the literal 1e999999 (Python reads it as infinity)
BIG_LITERAL = "__1e999999__"
json_values = st.one_of(
    texts,
    st.integers(),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 2**64, 10**400, BIG_LITERAL]),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(texts, max_size=3),
    st.dictionaries(st.text(max_size=8), texts, max_size=3),
)


def to_json(value: Any) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity allowed, 1e999999 as a literal."""
    text = json.dumps(value, allow_nan=True, ensure_ascii=False)
    return text.replace(json.dumps(BIG_LITERAL), "1e999999").encode("utf-8", "surrogatepass")
