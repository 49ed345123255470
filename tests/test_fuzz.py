"""No request gets a server error: every URL pattern, fuzzed (ARCHITECTURE.md, rule 7).

For each URL pattern of the root URLconf (site, staff, django-admin, and the API once it is
there: the patterns are walked, not listed), hypothesis sends requests as an anonymous
visitor, a passenger and a staff member: every method; path parameters that are real objects
or junk that still matches the converter; query strings and bodies (URL-encoded, multipart
with files, JSON, broken) with values from huge and negative numbers, NaN and Infinity to NUL
bytes, lone surrogates, invalid UTF-8 and 10,000-character strings; odd headers and cookies.

What a view reads is learnt first (tests/fuzzing/): probe requests with real objects
record the names it looks up in request.GET/POST/FILES and scrape its page's forms and links,
which, with the working submissions below (`seeds`), give the fields and values to mutate.
Half the examples change one field of a seed to one kind of bad value (or give an upload
field a broken file); the other half are freely random.

A request fails the test if it gets a 5xx, raises, logs an error, or starts a Celery task
(run eagerly after its commit) that fails, even where the code that queued the task survives
that on purpose. Each example runs in a savepoint that is rolled back, with a cache key
prefix of its own, so no example depends on another; the objects they share are made once.

Budget: FUZZ_EXAMPLES examples per URL pattern (default 16, 20-45 s for the module;
django-admin's pages get a quarter), with a fixed seed per pattern so `make test` repeats
itself. A long run (about 20,000 requests) explores new inputs each time:

    FUZZ_EXAMPLES=300 FUZZ_RANDOM=1 pytest tests/test_fuzz.py

The requests sent are counted at the end (and written to FUZZ_STATS_FILE if set).
"""

import json
import os
import time
import zlib
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import override_settings
from django.views.static import serve as static_serve
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st

from tests.fuzzing.requests import USERS, Fuzzer, FuzzRequest, urlencode_bytes
from tests.fuzzing.routes import Route, Slot, project_routes
from tests.fuzzing.sending import STATS, send
from tests.fuzzing.shapes import PROBE, PageShape, page_shape, reads_recorded, request_reads
from tests.fuzzing.values import NUMBERS
from tests.fuzzing.world import World, build_world

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "16"))
RANDOM = os.environ.get("FUZZ_RANDOM", "") not in ("", "0")


def excluded(pattern) -> str | None:
    """Why a pattern is not fuzzed. Only file serving from the disk is left out: it exists
    only with DEBUG on (never in production), and a junk path there tests Django, not us."""
    if pattern.callback is static_serve or getattr(pattern.callback, "__module__", "").startswith(
        "django.contrib.staticfiles"
    ):
        return "static files: DEBUG-only, served from the disk"
    return None


ROUTES = project_routes(excluded)


def budget(route: Route) -> int:
    # django-admin is Django's own code over our ModelAdmins: fewer examples per page, as it
    # has many pages (six per model) that differ mostly in the model.
    return max(EXAMPLES // 4, 2) if route.admin else EXAMPLES


# --- the objects every example can reach -------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Made once, in a transaction rolled back when the module is done (like TestCase's
    setUpTestData); each test's own transaction and each example's savepoint nest inside."""
    media = tmp_path_factory.mktemp("fuzz-media")
    storages = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}}
    fast_hashes = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    files = override_settings(
        MEDIA_ROOT=str(media), STORAGES={"default": storages, "staticfiles": static}, PASSWORD_HASHERS=fast_hashes
    )
    with django_db_blocker.unblock(), files:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(ROUTES)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module", autouse=True)
def _report_requests(request):
    started = time.monotonic()
    yield
    figures = {**STATS, "seconds": round(time.monotonic() - started, 1), "examples_per_route": EXAMPLES}
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    line = "fuzz: " + ", ".join(f"{name} {value}" for name, value in sorted(figures.items()))
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)
    if os.environ.get("FUZZ_STATS_FILE"):
        with open(os.environ["FUZZ_STATS_FILE"], "w") as stats_file:
            json.dump(figures, stats_file, indent=2)


# --- what each route's pages ask for ------------------------------------------------------------


def shape_for(world: World, route: Route) -> PageShape:
    """What the route's view reads, learnt from probe requests with real path parameters:
    each user's GET and POST with a dummy field and with each seed, recording the names the
    view looks up and scraping the forms and links of the pages it answers with. The probes
    are requests like the others (counted, and they must not fail either)."""
    shape = PageShape()
    seeds = world.seeds.get(route.key, [])
    for pairs in seeds:
        shape.add_seed(pairs)
    shape.valid_seeds = list(seeds)
    path = world.real_path(route)
    if path is None:
        return shape
    if route.admin:
        # django-admin shows its forms to staff only (the others get its login page), and
        # answers an unknown parameter with a redirect: a plain GET shows the page.
        probes = [("staff", "GET", [])]
    else:
        probes = [(user, method, pairs) for user in USERS for method in ("GET", "POST") for pairs in [[PROBE], *seeds]]
    form = "application/x-www-form-urlencoded"
    for user, method, pairs in probes:
        encoded = urlencode_bytes(pairs)
        probe = FuzzRequest(user, method, path, query=encoded if method == "GET" else b"")
        if method == "POST":
            probe.body, probe.content_type = encoded, form
        with reads_recorded() as reads:
            response = send(world, probe)
        fields, files = request_reads(reads, response.wsgi_request)
        shape.read |= fields - {PROBE[0]}
        if set(fields) & {name for name, _value in pairs} - {PROBE[0]}:  # the view read the seed
            shape.seed_methods.setdefault(tuple(pairs), set()).add(method)
        shape.file_fields |= files
        if response.status_code < 300:
            shape.serves.add(user)
        if response.status_code == 405:
            shape.refuses.add(method)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            shape.merge(page_shape(response.content.decode(errors="replace"), urlsplit(path).path))
    return shape


def slot_values(slot: Slot, pool: list[str]) -> st.SearchStrategy[str]:
    """A real object's id, or junk that still matches the converter (so it reaches the view)."""
    matching = st.from_regex(slot.regex, fullmatch=True)
    choices = [matching]
    if slot.is_int:
        choices.append(NUMBERS.filter(lambda text: not text.startswith("-")))
    if pool:
        choices = [st.sampled_from(pool)] * 3 + choices
    return st.one_of(choices)


def request_strategy(world: World, route: Route, shape: PageShape) -> st.SearchStrategy[FuzzRequest]:
    pools = world.pools_for(route)
    own = world.real_path(route)
    fuzzer = Fuzzer(shape, world.value_pool(), world.samples, own_paths=(own,) if own else ())
    slots = st.fixed_dictionaries({slot.name: slot_values(slot, pools[slot.name]) for slot in route.slots})
    return fuzzer.requests(slots.map(route.path))


@pytest.mark.parametrize("route", ROUTES, ids=[route.key for route in ROUTES])
def test_no_request_gets_a_server_error(route, world):
    shape = shape_for(world, route)

    @settings(
        max_examples=budget(route),
        deadline=None,
        database=None,  # nothing written to the work tree; print_blob reproduces a failure
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(request=request_strategy(world, route, shape))
    def fuzz_route(request):
        note(request.describe())
        send(world, request)

    if not RANDOM:
        fuzz_route = seed(zlib.crc32(route.key.encode()))(fuzz_route)
    fuzz_route()


def test_every_kind_of_route_is_fuzzed():
    """The walk found the site's, the staff pages' and django-admin's patterns, with slots."""
    keys = {route.key for route in ROUTES}
    assert {"flights:search", "bookings:detail", "staff:import", "admin:index"} <= keys
    assert any(slot.name == "uidb64" for route in ROUTES for slot in route.slots)
    assert any(route.admin and route.slots for route in ROUTES)
