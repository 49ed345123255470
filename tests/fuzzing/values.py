"""The values sent: junk of every kind, special numbers, values seen on a page with a part
broken, broken upload files, and the headers and cookies a client may send."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from hypothesis import strategies as st

# The hosts conftest.py allows (a disallowed Host is a 400 before any view runs).
HOSTS = ("testserver", "testserver:80", "localhost", "localhost:8000", "127.0.0.1", "127.0.0.1:65535")


def to_bytes(value: str | bytes) -> bytes:
    """UTF-8, with lone surrogates kept as the invalid bytes a broken client would send."""
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


# Numbers that parse but break arithmetic, comparisons, int columns or date maths.
SPECIAL_NUMBERS = (
    "NaN",
    "-NaN",
    "sNaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999",
    "-1e999",
    "1e-999",
    "-0",
    "0",
    "-1",
    "00",
    "+1",
    " 1 ",
    "1.5",
    "0x10",
    "1_000",
    "١٢",  # Arabic-Indic digits: int() accepts them
    "１２",  # full-width digits
    "²",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "0.00000000000000000000001",
    "",
)
EDGE_VALUES = (
    " ",
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\x1b[0m",
    "\u202e",
    "\ufeff",
    "\ud800",
    "%",
    "%00",
    "%zz",
    "%ff",
    "../../etc/passwd",
    "/",
    "//evil.example/",
    "///evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "\\\\evil.example",
    "/\\evil.example",
    "http:evil.example",
    " /accounts/login/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "2024-13-01",
    "2024-W01",
    "2026-03-29 01:30",  # Europe's clocks spring forward
    "2026-10-25 01:30",  # and back
    "2026-03-08T02:30",  # America's
    "25:00",
    "24:00",
    "23:59:60",
    "-1:00",
    "12:60",
)
BYTE_VALUES = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xfe\xff\x00a")
LONG_VALUES = st.tuples(st.sampled_from(("9", "a", "é", "\x00", "%", "1~", "-", "😀")), st.integers(256, 10_000)).map(
    lambda pair: pair[0] * pair[1]
)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.sampled_from((2**31, 2**31 - 1, -(2**31) - 1, 2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**30)),
).map(str)
FLOATS = st.floats(allow_nan=True, allow_infinity=True).map(repr)
SPECIALS = st.one_of(st.sampled_from(SPECIAL_NUMBERS), NUMBERS, FLOATS)

junk_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(max_codepoint=0x1F), max_size=8),  # NUL and control characters
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates
)
JUNK = st.one_of(
    st.sampled_from(EDGE_VALUES),
    junk_text,
    SPECIALS,
    LONG_VALUES,
    st.sampled_from(BYTE_VALUES),
    st.binary(max_size=12),
)
# A value is made of parts: a cursor "129.99~1797255300~12", a date, a time, a seat.
_SEPARATORS = re.compile(r"([~,:;|/.\-_ T+@])")
_NUMERIC = re.compile(r"[0-9]+")
NUMBER_CLASSES = ("NaN", "NaN", "sNaN", "Infinity", "-Infinity", "1e999", "-1", "99999999999999999999", "1.5", "١", "")


@st.composite
def part_replaced(draw, seen: st.SearchStrategy[str], pool: tuple[str, ...]) -> str | bytes:
    """A seen value with one of its parts (between separators) replaced: a number by a
    special number, anything by junk or a value from elsewhere."""
    pieces = _SEPARATORS.split(draw(seen))
    position = 2 * draw(st.integers(0, len(pieces) // 2))
    numbers = st.sampled_from(NUMBER_CLASSES)
    if _NUMERIC.fullmatch(pieces[position]):
        replacement = draw(st.one_of(numbers, numbers, SPECIALS, junk_text))
    else:
        replacement = draw(st.one_of(junk_text, SPECIALS, st.sampled_from(pool or ("",)), st.sampled_from(BYTE_VALUES)))
    before, after = "".join(pieces[:position]), "".join(pieces[position + 1 :])
    if isinstance(replacement, bytes):
        return to_bytes(before) + replacement + to_bytes(after)
    return before + replacement + after


def numbers_replaced(value_special: tuple[str, str]) -> str:
    """Every number in the value replaced by the same special one: "NaN~NaN~NaN"."""
    value, special = value_special
    return _NUMERIC_PART.sub(special, value)


_NUMERIC_PART = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:\.[0-9]+)?(?![0-9A-Za-z])")


@lru_cache(maxsize=4096)
def values(known: tuple[str, ...], pool: tuple[str, ...]) -> st.SearchStrategy[str | bytes]:
    """A value for one field: one seen for it (as is, a part of it replaced, junk appended),
    a special number, a value valid elsewhere on the site (`pool`) or junk. Cached: building
    a strategy costs more than drawing from it."""
    choices = [SPECIALS, st.sampled_from(pool), JUNK, JUNK] if pool else [SPECIALS, JUNK, JUNK]
    if known:
        seen = st.sampled_from(known)
        choices = [
            seen,
            seen,
            *[part_replaced(seen, pool)] * 2,
            *[st.tuples(seen, st.sampled_from(NUMBER_CLASSES)).map(numbers_replaced)] * 2,
            st.tuples(seen, st.sampled_from(EDGE_VALUES)).map("".join),
            *choices,
        ]
    return st.one_of(choices)


def value_classes(seen: str, own_paths: Sequence[str]) -> list[str | bytes]:
    """One value of each kind, for a field whose value in the seed is `seen`."""
    classes: list[str | bytes] = [
        "x",
        "",
        "NaN",
        "-1",
        "99999999999999999999",
        "1e999",
        "\x00",
        "\ud800",
        b"\xff",
        "9" * 10_000,
        "//evil.example/",
        *own_paths,
    ]
    if seen:
        classes += [seen + "\x00", numbers_replaced((seen, "NaN")), numbers_replaced((seen, "99999999999999999999"))]
    return list(dict.fromkeys(classes))


def broken_uploads(samples: Sequence[bytes]) -> list[bytes]:
    """Each valid sample broken in each way, and files that are not text at all."""
    out = [b"", b"\x00" * 64, b"\xff\xfe" + "a,b\n".encode("utf-16-le")]
    for sample in samples:
        middle = len(sample) // 2
        head, _newline, last = sample.rstrip(b"\r\n").rpartition(b"\n")
        cells = last.split(b",")
        for index in range(len(cells)):  # a NUL in each cell of the last row (past any first block)
            broken = [
                cell[:1] + b"\x00" + cell[1:] if position == index else cell for position, cell in enumerate(cells)
            ]
            out.append(head + b"\n" + b",".join(broken) + b"\n")
        out += [
            sample + b"\x00",
            sample[:middle] + b"\x00" + sample[middle:],
            sample + b"\xff",
            b"\xef\xbb\xbf" + sample,
            sample.replace(b",", b";"),
            sample.replace(b"\n", b"\r"),
        ]
    return out


CSV_JUNK = (
    b"\x00",
    b"a,b\x00c,d\r\n",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b"\xff",
    b'"',
    b'"unterminated,quote\n',
    b"\r\r\r\n\n",
    b"," * 500 + b"\n",
    b"x" * 200_000 + b"\n",
    b";;;\n",
    b"\n" * 3000,
    b"=cmd|' /C calc'!A0,+1,-1,@SUM(1)\n",
)


def upload_contents(samples: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Upload contents: valid samples as they are or with junk spliced in anywhere or at an end (NUL
    bytes, invalid UTF-8, a BOM, huge or unbalanced cells), random bytes, an empty file."""
    base = st.sampled_from(list(samples) or [b"a,b,c\r\n1,2,3\r\n"])

    @st.composite
    def spliced(draw):
        content = draw(base)
        at = draw(st.integers(0, len(content)))
        return content[:at] + draw(st.sampled_from(CSV_JUNK)) + content[at:]

    junk = st.sampled_from(CSV_JUNK)
    appended = st.tuples(base, junk).map(b"".join)
    prepended = st.tuples(junk, base).map(b"".join)
    return st.one_of(base, spliced(), spliced(), appended, prepended, st.just(b""), st.binary(max_size=300), junk)


HEADER_EDGES = (
    "",
    "*/*",
    "application/json",
    "text/html;q=NaN",
    "text/html;q=1e999, */*;q=-1",
    "bytes=0-",
    "bytes=-1",
    "bytes=99999999999999999999-",
    "bytes=5-1",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 32 Foo 2024 25:61:61 GMT",
    "-1",
    "XMLHttpRequest",
    "http://testserver/",
    "https://evil.example/",
    "//evil.example",
    '"etag", W/"x", *',
    "en-GB,en;q=0.9,*;q=NaN",
    "zz-ZZ",
    "1.2.3.4, 5.6.7.8",
    "::1",
    "not-an-ip",
)
HEADER_NAMES = (
    "HTTP_ACCEPT",
    "HTTP_REFERER",
    "HTTP_X_REQUESTED_WITH",
    "HTTP_RANGE",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_USER_AGENT",
    "HTTP_ORIGIN",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_REAL_IP",
    "HTTP_IDEMPOTENCY_KEY",
    "HTTP_AUTHORIZATION",
)
# REMOTE_ADDR comes from the server (the peer's address), never from the client.
REMOTE_ADDRS = ("127.0.0.1", "10.0.0.7", "203.0.113.9", "::1", "2001:db8::1", "::ffff:192.0.2.1", "192.0.2.255")


def _latin1(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def _is_header_safe(text: str) -> bool:
    return not any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


# What a server passes on in a header: printable Latin-1 (UTF-8 arrives as Latin-1 in WSGI).
# gunicorn refuses CR, LF and NUL in a header, so a view never sees them.
HEADER_VALUES = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60),
    st.text(max_size=20).map(_latin1).filter(_is_header_safe),
    st.sampled_from(HEADER_EDGES),
    LONG_VALUES.map(_latin1).filter(_is_header_safe),
)
HEADERS = st.fixed_dictionaries(
    {"HTTP_HOST": st.sampled_from(HOSTS), "REMOTE_ADDR": st.sampled_from(REMOTE_ADDRS)},
    optional={name: HEADER_VALUES for name in HEADER_NAMES},
)
COOKIES = st.dictionaries(
    st.sampled_from(("csrftoken", "messages", "junk", "sessionid_x")),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';,"\\'), max_size=40),
    max_size=2,
)
FILE_NAMES = st.one_of(
    st.sampled_from(("flights.csv", "", "../../flights.csv", "a" * 300 + ".csv", "x.CSV", "noextension")), junk_text
)
FILE_TYPES = st.sampled_from(("text/csv", "application/octet-stream", "", "text/csv; charset=utf-16"))
