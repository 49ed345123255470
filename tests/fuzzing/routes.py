"""The project's URL patterns, walked from the root URLconf: a new view is fuzzed without
editing the fuzzer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

from .values import to_bytes


@dataclass(frozen=True)
class Slot:
    """A variable part of a URL: `<int:flight_id>`, `(?P<app_label>auth|flights)`."""

    name: str
    regex: str
    is_int: bool = False


@dataclass(frozen=True)
class Route:
    key: str  # the namespaced URL name, or the route text for an unnamed pattern
    parts: tuple  # str (literal text) and Slot
    callback: Callable
    admin: bool

    @property
    def slots(self) -> list[Slot]:
        return [part for part in self.parts if isinstance(part, Slot)]

    def path(self, values: dict[str, str]) -> str:
        """The path with `values` in the slots, percent-encoded as a browser would send them
        (lone surrogates become invalid UTF-8 bytes)."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(quote(part, safe="/"))
            else:
                out.append(quote(to_bytes(values[part.name]), safe=""))
        return "/" + "".join(out)


# Django's own syntax for `<converter:name>` in a path() route.
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _named_group_regex(regex: str, name: str) -> str:
    """The body of the named group `name` in `regex` (balanced parentheses, escapes skipped)."""
    start = regex.index(f"(?P<{name}>") + len(f"(?P<{name}>")
    depth, index = 1, start
    while depth:
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return regex[start : index - 1]


def _pattern_parts(pattern) -> list:
    if isinstance(pattern, RoutePattern):
        route, parts, position = str(pattern), [], 0
        for match in _ROUTE_PARAMETER.finditer(route):
            parts.append(route[position : match.start()])
            converter = pattern.converters[match["parameter"]]
            parts.append(Slot(match["parameter"], converter.regex, isinstance(converter, IntConverter)))
            position = match.end()
        parts.append(route[position:])
        return [part for part in parts if part != ""]
    if isinstance(pattern, RegexPattern):
        regex = str(pattern)
        template, _params = normalize(regex)[0]
        parts = []
        for index, piece in enumerate(re.split(r"%\((\w+)\)s", template)):
            if index % 2:
                parts.append(Slot(piece, _named_group_regex(regex, piece)))
            elif piece:
                parts.append(piece.replace("%%", "%"))
        return parts
    if isinstance(pattern, LocalePrefixPattern):
        return [pattern.language_prefix] if pattern.language_prefix else []
    raise TypeError(f"unknown URL pattern type {type(pattern).__name__}: teach _pattern_parts about it")


def _merge_literals(parts: list) -> tuple:
    merged: list = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return tuple(merged)


def project_routes(excluded: Callable[[URLPattern], str | None]) -> list[Route]:
    """Every URL pattern of the root URLconf, included URLconfs and namespaces walked. A
    pattern for which `excluded` returns a reason is left out."""
    routes: list[Route] = []
    seen: dict[str, int] = {}

    def walk(patterns, prefix: list, namespaces: list[str], admin: bool) -> None:
        for entry in patterns:
            parts = prefix + _pattern_parts(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = [*namespaces, entry.namespace] if entry.namespace else namespaces
                walk(entry.url_patterns, parts, inner, admin or entry.namespace == "admin")
            elif not excluded(entry):
                key = ":".join([*namespaces, entry.name]) if entry.name else "/" + "".join(map(str, parts))
                seen[key] = seen.get(key, 0) + 1  # two patterns may share a name: keep both
                key = key if seen[key] == 1 else f"{key}#{seen[key]}"
                routes.append(Route(key, _merge_literals(parts), entry.callback, admin))

    walk(get_resolver().url_patterns, [], [], False)
    return routes
