"""The toolbox (booking_site/lib/): formats, text, database locks."""

from decimal import Decimal

import pytest

from booking_site.lib.formats import money
from booking_site.lib.text import fold


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
