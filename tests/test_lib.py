"""The toolbox (booking_site/lib/): formats, text, database locks."""

import ast
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from booking_site.lib.db import Busy, lock_timeout_sql, locked
from booking_site.lib.formats import money
from booking_site.lib.text import fold
from flights.models import Airport
from flights.tests.factories import AirportFactory


@pytest.mark.parametrize(
    ("amount", "style", "shown"),
    [
        (Decimal("12345.5"), "symbol", "€12,345.50"),
        (Decimal("12345.5"), "code", "12,345.50 EUR"),
        (Decimal("12345.5"), "figure", "12345.50"),
        (Decimal("-120"), "code", "-120.00 EUR"),
        ("89.5", "symbol", "€89.50"),
        (0, "figure", "0.00"),
        (None, "symbol", ""),
        (None, "figure", ""),
        ("not a number", "symbol", ""),
    ],
)
def test_money_writes_the_sites_currency_in_each_style(settings, amount, style, shown):
    settings.CURRENCY = "EUR"
    assert money(amount, style=style) == shown


def test_money_without_a_known_symbol_writes_the_currency_code_after_the_figure(settings):
    settings.CURRENCY = "SEK"
    assert money(Decimal("1999"), style="symbol") == "1,999.00 SEK"


def test_the_money_filter_is_the_toolbox_function(settings):
    from flights.templatetags.flight_format import money as money_filter

    settings.CURRENCY = "GBP"
    assert money_filter(Decimal("259.98")) == "£259.98" == money(Decimal("259.98"))
    assert money_filter("") == ""


def test_fold_drops_accents_case_and_punctuation():
    assert fold("Tarbes-Lourdes-Pyrénées") == "tarbes lourdes pyrenees"
    assert fold("São Paulo/Guarulhos") == "sao paulo guarulhos"
    assert fold(None) == ""


@pytest.mark.django_db
def test_locked_sets_the_lock_timeout_and_locks_the_rows_in_pk_order(settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 1500
    airports = [AirportFactory(iata=iata) for iata in ("QZZ", "QAA", "QMM")]
    wanted = Airport.objects.filter(pk__in=[a.pk for a in airports]).order_by("-iata")
    with CaptureQueriesContext(connection) as captured, locked(wanted) as rows:
        assert connection.in_atomic_block
    sqls = [query["sql"] for query in captured.captured_queries]
    assert [row.pk for row in rows] == sorted(a.pk for a in airports)
    assert lock_timeout_sql() == "SET LOCAL lock_timeout = '1500ms'" and lock_timeout_sql() in sqls
    [lock] = [sql for sql in sqls if "FOR UPDATE" in sql]
    assert 'ORDER BY "flights_airport"."id" ASC' in lock and lock.endswith('FOR UPDATE OF "flights_airport"')


@pytest.mark.django_db(transaction=True)
def test_a_lock_wait_past_the_timeout_anywhere_in_the_block_is_busy_and_rolls_the_block_back(settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    free, taken = AirportFactory(iata="QFR", name="Free"), AirportFactory(iata="QTK", name="Taken")
    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM flights_airport WHERE id = %s FOR UPDATE", [taken.pk])
        with pytest.raises(Busy):
            with locked(Airport.objects.filter(pk=free.pk)) as [airport]:
                Airport.objects.filter(pk=airport.pk).update(name="Changed")
                Airport.objects.select_for_update().get(pk=taken.pk)  # waits for the other session
        with pytest.raises(Busy):
            with locked(Airport.objects.filter(pk=taken.pk)):
                pass
    finally:
        holder.rollback()
        holder.close()
    assert Airport.objects.get(pk=free.pk).name == "Free"
    with locked(Airport.objects.filter(pk=taken.pk)) as [airport]:  # the other session has finished
        assert airport.name == "Taken"


@pytest.mark.django_db
def test_an_error_other_than_a_lock_timeout_passes_through_locked():
    airport = AirportFactory(iata="QER")
    with pytest.raises(ZeroDivisionError):
        with locked(Airport.objects.filter(pk=airport.pk)):
            Airport.objects.filter(pk=airport.pk).update(name="Changed")
            _ = 1 / 0
    assert Airport.objects.get(pk=airport.pk).name != "Changed"


def test_the_toolbox_imports_only_the_standard_library_django_celery_redis_and_the_chart_libraries():
    lib = Path(__file__).resolve().parent.parent / "booking_site" / "lib"
    # pygal and resvg: the charts every app draws (booking_site/lib/charts.py), SVG and PNG, here only.
    allowed = set(sys.stdlib_module_names) | {"django", "celery", "kombu", "django_redis", "redis", "pygal", "resvg_py"}
    outside = []
    for module in sorted(lib.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level != 1:  # "from . import x" stays inside
                names = [node.module or ""] if node.level == 0 else ["." * node.level + (node.module or "")]
            else:
                continue
            outside += [f"{module.name}: {name}" for name in names if name.split(".")[0] not in allowed]
    assert len(list(lib.glob("*.py"))) >= 5 and outside == []


def test_process_memo_remembers_for_its_seconds_per_key_prefix_and_starts_afresh_when_full(settings):
    from booking_site.lib.cache import ProcessMemo

    memo = ProcessMemo(seconds=60, size=2)
    memo.set("place:london", ["LHR", "LGW"])
    assert memo.get("place:london") == ["LHR", "LGW"]
    assert memo.get("place:paris") is None

    brief = ProcessMemo(seconds=0)  # expired as soon as written
    brief.set("place:london", ["LHR"])
    assert brief.get("place:london") is None

    settings.CACHES = {alias: {**config, "KEY_PREFIX": "another-site"} for alias, config in settings.CACHES.items()}
    assert memo.get("place:london") is None  # another prefix: another site's (or test's) keys

    memo.set("a", 1)
    memo.set("b", 2)
    memo.set("c", 3)  # full at two: starts afresh
    assert memo.get("a") is None and memo.get("c") == 3


@pytest.mark.parametrize(
    ("proxies", "meta_key", "meta", "expected"),
    [
        (0, None, {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, "203.0.113.5"),  # header ignored
        (1, None, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7"}, "198.51.100.7"),
        (
            2,
            None,
            {"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7, 10.0.0.2"},
            "198.51.100.7",
        ),
        (2, None, {"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, ""),  # fewer hops than proxies
        (0, "HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_REAL_IP": "198.51.100.9"}, "198.51.100.9"),
        (0, None, {"REMOTE_ADDR": "not an address"}, ""),
    ],
)
def test_client_address_believes_only_the_proxies_it_is_told_about(settings, proxies, meta_key, meta, expected):
    from django.test import RequestFactory

    from booking_site.lib.http import client_address

    settings.TRUSTED_PROXY_COUNT = proxies
    settings.RATELIMIT_IP_META_KEY = meta_key
    assert client_address(RequestFactory().get("/", **meta)) == expected
