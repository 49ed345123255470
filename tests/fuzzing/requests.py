"""Requests as raw bytes (query string, body, headers), so they can carry what a form
library would refuse to make: invalid UTF-8, lone surrogates, NUL bytes, broken multipart;
and the Fuzzer, the strategy for one route's requests."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote_plus

from hypothesis import strategies as st

from .shapes import PageShape
from .values import (
    BYTE_VALUES,
    COOKIES,
    FILE_NAMES,
    FILE_TYPES,
    HEADERS,
    broken_uploads,
    junk_text,
    to_bytes,
    upload_contents,
    value_classes,
    values,
)

USERS = ("anonymous", "passenger", "staff")
# GET and POST reach the views' real work; the others check that each view refuses them cleanly.
METHODS = ("GET",) * 5 + ("POST",) * 5 + ("HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")


def urlencode_bytes(pairs: Sequence[tuple], *, raw: bool = False) -> bytes:
    """application/x-www-form-urlencoded; `raw` leaves the bytes unescaped, as a broken client would."""

    def encode(part) -> bytes:
        return to_bytes(part) if raw else quote_plus(to_bytes(part)).encode()

    return b"&".join(encode(name) + b"=" + encode(value) for name, value in pairs)


BOUNDARY = "fuzzBoundaryQx7"


def multipart_bytes(pairs: Sequence[tuple], files: Sequence[tuple], *, truncate: int | None = None) -> bytes:
    """multipart/form-data by hand: names, values and file names may hold any bytes."""
    boundary = BOUNDARY.encode()
    out = []
    for name, value in pairs:
        out.append(b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, to_bytes(name)))
        out.append(to_bytes(value) + b"\r\n")
    for name, file_name, content_type, content in files:
        out.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n'
            % (boundary, to_bytes(name), to_bytes(file_name), to_bytes(content_type))
        )
        out.append(content + b"\r\n")
    out.append(b"--%s--\r\n" % boundary)
    body = b"".join(out)
    return body if truncate is None else body[:truncate]


@dataclass
class FuzzRequest:
    """One request exactly as sent: what a failure message shows."""

    user: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    content_type: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    secure: bool = False

    def describe(self, limit: int = 3000) -> str:
        def clip(value) -> str:  # the start and the end of a long value (a NUL may be at either)
            text = repr(value)
            if len(text) <= limit:
                return text
            return f"{text[: limit // 2]} ... {text[-limit // 2 :]} ({len(value)} long; hypothesis prints it whole)"

        return (
            f"{self.method} {self.path}?{clip(self.query)} as {self.user}"
            f"\n  content_type={self.content_type!r} secure={self.secure}"
            f"\n  body={clip(self.body)}\n  meta={clip(self.meta)}\n  cookies={clip(self.cookies)}"
        )


def sent_values(request: FuzzRequest, name: str) -> list[str]:
    """The values of field `name` in the request's query string and form body (URL-encoded or
    multipart), as the view would read them."""
    found = [value for key, value in parse_qsl(request.query.decode("latin-1"), keep_blank_values=True) if key == name]
    content_type = request.content_type or ""
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = parse_qsl(request.body.decode("latin-1"), keep_blank_values=True)
        found += [value for key, value in body if key == name]
    elif content_type.startswith("multipart/form-data"):
        part = re.compile(rb'name="%s"\r\n\r\n(.*?)\r\n' % re.escape(name.encode()), re.DOTALL)
        found += [value.decode("latin-1") for value in part.findall(request.body)]
    return found


# Names many views read without a form field for them.
COMMON_NAMES = (
    "next",
    "page",
    "after",
    "q",
    "sort",
    "o",
    "p",
    "e",
    "_to_field",
    "_popup",
    "_changelist_filters",
    "action",
    "_selected_action",
    "select_across",
    "index",
    "post",
    "term",
    "app_label",
    "model_name",
    "field_name",
    "id",
    "pk",
    "token",
    "reference",
    "email",
    "file",
    "format",
)


OTHER_CONTENT_TYPES = (
    "text/plain",
    "application/xml",
    "multipart/form-data",  # no boundary
    "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin-1",
    "",
    "\x00",
)

BODY_KINDS = ("none", "form", "form", "form", "form-raw", "multipart", "multipart", "multipart-broken", "json", "other")
OPERATIONS = ("set", "set", "set", "add", "add", "drop", "repeat")
# Mostly one change to a submission: several at once mostly make a form invalid early.
OPERATION_COUNTS = (0, 1, 1, 1, 1, 2, 2, 3, 5)


class Fuzzer:
    """The strategy for one route's requests, from what its view reads (`shape`), values valid
    elsewhere on the site (`pool`), the route's own paths (a `next` pointing back at the
    page) and valid upload files (`samples`). Strategies are built once.

    A submission is a seed (or nothing) changed in one of two ways: one field set to a drawn
    value (the field chosen first, so each field the view reads gets its share), or a few
    random changes (fields set, added, dropped, repeated). GET and HEAD send it as the query
    string; the other methods as the body, URL-encoded, multipart with files, JSON or raw.
    """

    def __init__(
        self, shape: PageShape, pool: Sequence[str], samples: Sequence[bytes], own_paths: Sequence[str] = ()
    ) -> None:
        self.shape, self.pool, self.own_paths = shape, tuple(pool), tuple(own_paths)
        self.fields = sorted(shape.read | set(shape.values))
        names = [st.sampled_from(COMMON_NAMES), junk_text, st.sampled_from(BYTE_VALUES)]
        if self.fields:
            names[:0] = [st.sampled_from(self.fields)] * 4
        self.names = st.one_of(names)
        seeds = [st.sampled_from(shape.seeds)] * 2 if shape.seeds else []
        valid = [st.sampled_from(shape.valid_seeds)] * 2 if shape.valid_seeds else []
        self.seeds = st.one_of(*seeds, *valid, st.just([]))
        self.files = st.lists(
            st.tuples(
                st.one_of(st.sampled_from(sorted(shape.file_fields) or ["file"]), self.names),
                FILE_NAMES,
                FILE_TYPES,
                upload_contents(samples),
            ),
            max_size=2,
        )
        self.pairs = st.one_of(self._one_field_set(), self._random_changes())
        serving = sorted(shape.serves)
        self.users = st.sampled_from([*USERS, *serving, *serving])
        # A method the view refuses (405) is still sent, less often: the refusal is one path.
        self.methods = st.sampled_from([method for method in METHODS if method not in shape.refuses] or METHODS)
        self.refused = st.sampled_from(METHODS)
        self.targets = self._targets(samples)

    def values_for(self, name: str | bytes) -> st.SearchStrategy[str | bytes]:
        known = self.shape.values.get(name, ()) if isinstance(name, str) else ()
        return values((*known, *self.own_paths), self.pool)

    def _one_field_set(self) -> st.SearchStrategy[list[tuple]]:
        @st.composite
        def pairs(draw):
            out = list(draw(self.seeds))
            name = draw(self.names)
            value = draw(self.values_for(name))
            indexes = [index for index, (field_name, _value) in enumerate(out) if field_name == name]
            if indexes:
                out[indexes[0]] = (name, value)
            else:
                out.insert(draw(st.integers(0, len(out))), (name, value))
            return out

        return pairs()

    def _random_changes(self) -> st.SearchStrategy[list[tuple]]:
        @st.composite
        def pairs(draw):
            out = list(draw(self.seeds))
            for _ in range(draw(st.sampled_from(OPERATION_COUNTS))):
                operation = draw(st.sampled_from(OPERATIONS))
                if operation != "add" and out:
                    index = draw(st.integers(0, len(out) - 1))
                    name = out[index][0]
                    if operation == "drop":
                        del out[index]
                    elif operation == "set":
                        out[index] = (name, draw(self.values_for(name)))
                    else:
                        out.append((name, draw(self.values_for(name))))
                else:
                    # Prefer a field the view reads that the submission lacks.
                    missing = sorted(set(self.fields) - {name for name, _value in out})
                    names = st.one_of(st.sampled_from(missing), self.names) if missing else self.names
                    name = draw(names)
                    out.append((name, draw(self.values_for(name))))
            return out

        return pairs()

    def _body(self, draw, pairs: list[tuple]) -> tuple[bytes, str | None]:
        kind = draw(st.sampled_from(BODY_KINDS))
        if kind == "none":
            return b"", None
        if kind == "other":
            return draw(st.binary(max_size=200)), draw(st.sampled_from(OTHER_CONTENT_TYPES))
        if kind == "form":
            return urlencode_bytes(pairs), "application/x-www-form-urlencoded"
        if kind == "form-raw":
            raw_types = (*OTHER_CONTENT_TYPES[4:], "application/x-www-form-urlencoded")
            return urlencode_bytes(pairs, raw=True), draw(st.sampled_from(raw_types))
        if kind == "json":
            as_text = {to_bytes(k).decode(errors="replace"): to_bytes(v).decode(errors="replace") for k, v in pairs}
            return json.dumps(as_text).encode(), "application/json"
        truncate = draw(st.integers(0, 400)) if kind == "multipart-broken" else None
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
        return multipart_bytes(pairs, draw(self.files), truncate=truncate), content_type

    def _targets(self, samples: Sequence[bytes]) -> list[tuple]:
        """One change at a time: every seed (or nothing) with one field the view reads set to
        each value class, or one upload field given each kind of broken file, sent the way
        the seed is sent. Drawn uniformly, so each field and class gets its share however
        many there are."""
        targets = []
        seeds = [*self.shape.valid_seeds, *(seed for seed in self.shape.seeds if seed not in self.shape.valid_seeds)]
        for seed in seeds or [[]]:
            methods = sorted(self.shape.seed_methods.get(tuple(seed)) or ("GET", "POST"))
            present = {name: value for name, value in reversed(seed)}
            for name in dict.fromkeys([*present, *sorted(self.shape.read)]):
                seen = present.get(name) or next((value for value in self.shape.values.get(name, ()) if value), "")
                for value in value_classes(seen, self.own_paths):
                    changed = [(key, value if key == name else old) for key, old in seed]
                    if name not in present:
                        changed.append((name, value))
                    targets.extend((method, tuple(changed), ()) for method in methods)
            for file_field in sorted(self.shape.file_fields):
                for content in broken_uploads(samples):
                    targets.append(("POST", tuple(seed), ((file_field, "flights.csv", "text/csv", content),)))
        return targets

    def _targeted(self, paths: st.SearchStrategy[str]) -> st.SearchStrategy[FuzzRequest]:
        @st.composite
        def request(draw):
            method, pairs, files = draw(st.sampled_from(self.targets))
            query, body, content_type = b"", b"", None
            if method == "GET":
                query = urlencode_bytes(pairs)
            elif files:
                body, content_type = multipart_bytes(pairs, files), f"multipart/form-data; boundary={BOUNDARY}"
            else:
                body, content_type = urlencode_bytes(pairs), "application/x-www-form-urlencoded"
            return FuzzRequest(
                user=draw(self.users),
                method=method,
                path=draw(paths),
                query=query,
                body=body,
                content_type=content_type,
                meta={"HTTP_HOST": "testserver", "REMOTE_ADDR": "127.0.0.1"},
            )

        return request()

    def requests(self, paths: st.SearchStrategy[str]) -> st.SearchStrategy[FuzzRequest]:
        """Half targeted (one change at a time to a seed), half random."""
        return st.one_of(self._targeted(paths), self._random(paths)) if self.targets else self._random(paths)

    def _random(self, paths: st.SearchStrategy[str]) -> st.SearchStrategy[FuzzRequest]:
        @st.composite
        def request(draw):
            method = draw(st.one_of(self.methods, self.methods, self.methods, self.refused))
            submission = draw(self.pairs)
            # The submission where the method puts it; the other place mostly empty.
            other = draw(st.one_of(st.just([]), st.just([]), st.just([]), self.pairs))
            query_pairs, body_pairs = (submission, other) if method in ("GET", "HEAD") else (other, submission)
            body, content_type = (
                self._body(draw, body_pairs) if body_pairs or method not in ("GET", "HEAD") else (b"", None)
            )
            return FuzzRequest(
                user=draw(self.users),
                method=method,
                path=draw(paths),
                query=urlencode_bytes(query_pairs, raw=draw(st.sampled_from((False, False, False, True)))),
                body=body,
                content_type=content_type,
                meta=draw(HEADERS),
                cookies=draw(COOKIES),
                secure=draw(st.booleans()),
            )

        return request()
