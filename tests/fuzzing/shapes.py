"""What a view reads, learnt rather than listed: the field names and values of its page's
forms and links, and the names it looks up in request.GET, request.POST and request.FILES
while a probe request runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from django.utils.datastructures import MultiValueDict

PROBE = ("_probe", "1")  # makes request.GET / request.POST non-empty, so forms bind and read


@dataclass
class PageShape:
    """What a route's view reads: field names with the values seen for them (its page's form
    inputs, options and links, the seeds), the names it looked up while probed, the upload
    fields, whole submissions to mutate (`seeds`; `valid_seeds` are known to work), the
    users it serves (not 3xx/4xx) and the methods it refuses."""

    values: dict[str, list[str]] = field(default_factory=dict)
    read: set[str] = field(default_factory=set)
    file_fields: set[str] = field(default_factory=set)
    seeds: list[list[tuple[str, str]]] = field(default_factory=list)
    valid_seeds: list[list[tuple[str, str]]] = field(default_factory=list)  # known to work
    serves: set[str] = field(default_factory=set)
    refuses: set[str] = field(default_factory=set)  # methods answered with 405
    seed_methods: dict[tuple, set[str]] = field(default_factory=dict)  # how each seed is sent

    def add(self, name: str, value: str) -> None:
        known = self.values.setdefault(name, [])
        if value not in known and len(known) < 50:
            known.append(value)

    def add_seed(self, pairs: list[tuple[str, str]], per_form: int = 3, method: str | None = None) -> None:
        """Keep a submission to mutate, at most `per_form` with the same field names (the
        fare strip's links differ only in the date: a few of them are enough)."""
        for pair in pairs:
            self.add(*pair)
        if method:
            self.seed_methods.setdefault(tuple(pairs), set()).add(method)
        names = sorted(name for name, _value in pairs)
        alike = sum(sorted(name for name, _value in seed) == names for seed in self.seeds)
        if pairs and pairs not in self.seeds and alike < per_form:
            self.seeds.append(pairs)

    def merge(self, other: PageShape) -> None:
        for name, values in other.values.items():
            for value in values:
                self.add(name, value)
        for seed in other.seeds:
            self.add_seed(seed)
        for seed, methods in other.seed_methods.items():
            self.seed_methods.setdefault(seed, set()).update(methods)
        self.read |= other.read
        self.file_fields |= other.file_fields
        self.serves |= other.serves
        self.refuses |= other.refuses


class _ShapeParser(HTMLParser):
    def __init__(self, shape: PageShape, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.shape, self.path = shape, path
        self.form: list[tuple[str, str]] | None = None
        self.form_method = "GET"
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        name = attrs.get("name")
        if tag == "form":
            self.form = []
            self.form_method = (attrs.get("method") or "GET").upper()
        elif name == "csrfmiddlewaretoken":  # the test client does not check it
            return
        elif tag == "input" and name:
            if attrs.get("type") == "file":
                self.shape.file_fields.add(name)
                return
            self.shape.add(name, attrs.get("value", ""))
            if self.form is not None and (attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs):
                self.form.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select:
            self.shape.add(self.select, attrs.get("value", ""))
            if self.form is not None and "selected" in attrs:
                self.form.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.shape.add(name, "")
            if self.form is not None:
                self.form.append((name, ""))
        elif tag == "a" and "?" in attrs.get("href", ""):
            link = urlsplit(attrs["href"])
            if link.path in ("", self.path):  # the same page with other parameters: paging, sorting
                self.shape.add_seed(parse_qsl(link.query, keep_blank_values=True), method="GET")

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.shape.add_seed(self.form, method=self.form_method)
            self.form = None
        elif tag == "select":
            self.select = None


def page_shape(html: str, path: str) -> PageShape:
    shape = PageShape()
    _ShapeParser(shape, path).feed(html)
    return shape


@contextmanager
def reads_recorded() -> Iterator[list[tuple[object, str]]]:
    """Every (mapping, name) looked up in a MultiValueDict while the block runs. Pass the
    list to `request_reads` with the request to keep the names its view read from
    request.GET, request.POST and request.FILES (forms included)."""
    reads: list[tuple[object, str]] = []
    getitem, getlist = MultiValueDict.__getitem__, MultiValueDict.getlist

    def recording_getitem(self, key):
        reads.append((self, key))
        return getitem(self, key)

    def recording_getlist(self, key, default=None):
        reads.append((self, key))
        return getlist(self, key, default)

    def recording_contains(self, key):
        reads.append((self, key))
        return dict.__contains__(self, key)

    MultiValueDict.__getitem__ = recording_getitem
    MultiValueDict.getlist = recording_getlist
    MultiValueDict.__contains__ = recording_contains
    try:
        yield reads
    finally:
        MultiValueDict.__getitem__ = getitem
        MultiValueDict.getlist = getlist
        del MultiValueDict.__contains__


def request_reads(reads: list[tuple[object, str]], request) -> tuple[set[str], set[str]]:
    """The field names read from the request's query and form data, and the file names read
    from its uploads (not the URL resolver's or a template's own MultiValueDicts)."""
    data = [request.__dict__.get("GET"), request.__dict__.get("_post")]
    files = request.__dict__.get("_files")
    fields = {
        key for mapping, key in reads if isinstance(key, str) and any(mapping is d for d in data if d is not None)
    }
    uploads = {key for mapping, key in reads if isinstance(key, str) and files is not None and mapping is files}
    return fields, uploads
