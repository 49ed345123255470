"""Charts for pages: server-rendered SVG (pygal), inline in the page, with the numbers as a
table beside them (templates/includes/chart.html), so screen readers and people without
JavaScript or images get the same figures.

pygal was chosen over matplotlib by measurement: a 30-bar chart renders in about 6 ms
against 67 ms, and its elements carry classes (`.color-0`, `.axis`, `.guides`) instead of
style attributes, so the site's stylesheet (static/css/site.css, "Charts") gives the colours
and fonts. Under our Content-Security-Policy (no inline script or style) pygal's own <script>
and <style> would be refused, so they are taken out here, with its tooltips.
"""

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pygal
import resvg_py
from django.contrib.staticfiles import finders
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

Number = int | float

# pygal lays labels out for these sizes, and its stripped stylesheet would have set them: the
# site's stylesheet sets the same (static/css/site.css, "Charts"). The width is about a
# half-column's on a desktop, so the text is drawn near its real size.
FONT_SIZE = 14
WIDTH, HEIGHT = 600, 320
STYLE = Style(
    font_family="system-ui, sans-serif",
    label_font_size=FONT_SIZE,
    major_label_font_size=FONT_SIZE,
    legend_font_size=FONT_SIZE,
    value_font_size=FONT_SIZE,
    tooltip_font_size=FONT_SIZE,
    no_data_font_size=FONT_SIZE,
)


def count(value: Number) -> str:
    """A whole number with thousands separators (the default for charts of counts)."""
    return f"{value:,.0f}"


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b.*?</style>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TITLE = re.compile(r"<title>.*?</title>", re.S)  # pygal's hover titles ("Pygal", each value)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="[^"]*"')
_TOOLTIP = re.compile(r'<g class="plot tooltip-overlay">.*?</g></g>', re.S)


@dataclass(frozen=True)
class Chart:
    """What a page shows: the title, the picture, and the same numbers as a table."""

    title: str
    svg: SafeString
    columns: Sequence[str]
    rows: Sequence[Sequence[str]] = field(default_factory=tuple)
    empty: bool = False  # nothing to draw: no rows, or every value zero


def _clean(svg: str) -> SafeString:
    svg = _TOOLTIP.sub("</g>", svg)
    for pattern in (_SCRIPT, _STYLE, _COMMENT, _TITLE, _STYLE_ATTRIBUTE):
        svg = pattern.sub("", svg)
    # The table beside it carries the numbers for assistive technology: the picture is decoration.
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return mark_safe(svg)  # noqa: S308 - pygal escapes every label; scripts and styles are gone


def _whole_number_ticks(series: dict[str, Sequence[Number | None]], value_format, stacked: bool = False) -> dict:
    """A chart of counts gets ticks at whole numbers (pygal's own would put 0.2, 0.4, ...
    shown as "0, 0, 1" for a small count)."""
    if value_format is not count:
        return {}
    columns = (
        zip(*series.values(), strict=True) if stacked else ([value] for values in series.values() for value in values)
    )
    highest = max((sum(value or 0 for value in column) for column in columns), default=0)
    step = max(1, math.ceil(highest / 6))
    return {"y_labels": list(range(0, int(highest) + step + 1, step))}


def _config(**options) -> dict:
    return {
        "js": [],
        "css": [],
        "disable_xml_declaration": True,
        "show_legend": False,
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "margin": 8,
        "spacing": 8,
        "print_values": False,
        "show_y_guides": True,
        "show_x_guides": False,
        "truncate_label": -1,
        "no_data_text": "No data",
        "classes": ["pygal-chart", "chart-svg"],
        **options,
    }


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[Number]],
    value_format: Callable[[Number], str] = count,
    horizontal: bool = False,
    label_every: int = 1,
) -> Chart:
    """Bars per label, one colour per series (legend shown for more than one). `label_every`
    thins the x labels of a long daily chart; the table always has every row."""
    if horizontal:
        return _draw(
            pygal.HorizontalBar,
            title=title,
            labels=labels,
            series=series,
            value_format=value_format,
            reverse=True,
            x_label_rotation=0,
            height=max(HEIGHT, 36 * len(labels) + 80),
        )
    return _draw(
        pygal.Bar, title=title, labels=labels, series=series, value_format=value_format, label_every=label_every
    )


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[Number]],
    value_format: Callable[[Number], str] = count,
    label_every: int = 1,
) -> Chart:
    return _draw(
        pygal.Line,
        title=title,
        labels=labels,
        series=series,
        value_format=value_format,
        label_every=label_every,
        dots_size=2,
    )


def _draw(kind, *, title, labels, series, value_format, **options) -> Chart:
    """One chart of `kind` for a page, and its table."""
    rows = [[label, *(value_format(values[index]) for values in series.values())] for index, label in enumerate(labels)]
    empty = not rows or not any(value for values in series.values() for value in values)
    if empty:
        svg = SafeString("")
    else:
        chart = _pygal(kind, labels=labels, series=series, value_format=value_format, **options)
        svg = _clean(chart.render(is_unicode=True))
    return Chart(title=title, svg=svg, columns=["", *series], rows=rows, empty=empty)


def _pygal(kind, *, labels, series, value_format, label_every: int = 1, reverse: bool = False, **options):
    """The pygal chart. `reverse`: pygal stacks horizontal bars bottom-up, so they are given
    last first, to put the first label on top, as in the table."""
    defaults = dict(
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        x_label_rotation=30 if len(labels) > 12 else 0,
        show_minor_x_labels=label_every == 1,  # else only every label_every-th (x_labels_major)
        value_formatter=value_format,
        **_whole_number_ticks(series, value_format, stacked=issubclass(kind, pygal.StackedBar)),
    )
    chart = kind(**_config(**(defaults | options)))
    order = (lambda items: list(items)[::-1]) if reverse else list
    chart.x_labels = order(labels)
    if label_every > 1:
        chart.x_labels_major = list(labels)[::label_every]
    for name, values in series.items():
        chart.add(name, order(values))
    return chart


# E-mail: mail apps show neither inline SVG nor stylesheets, so a message gets the same chart as
# a PNG, drawn by resvg with the page's chart stylesheet (static/css/charts.css) applied.
PNG_WIDTH, PNG_HEIGHT = 600, 260


def bar_chart_png(
    *,
    labels: Sequence[str],
    series: dict[str, Sequence[Number | None]],
    value_format: Callable[[Number], str] = count,
    stacked: bool = False,
    width: int = PNG_WIDTH,
    height: int = PNG_HEIGHT,
) -> bytes:
    """A bar chart as PNG bytes. `stacked` with a value per label in only one series gives
    single bars coloured by series (for example, the month a report is about highlighted)."""
    if not labels or any(len(values) != len(labels) for values in series.values()) or not series:
        raise ValueError("A chart needs one value per label in every series, and at least one label.")
    kind = pygal.StackedBar if stacked else pygal.Bar
    chart = _pygal(kind, labels=labels, series=series, value_format=value_format, width=width, height=height)
    svg = str(_clean(chart.render(is_unicode=True)))
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, style_sheet=_png_stylesheet(), background="#ffffff"))


@functools.cache
def _png_stylesheet() -> str:
    """static/css/charts.css with the site's colour variables (static/css/site.css, `:root`)
    written out: resvg knows no `var()`."""
    charts_css = Path(finders.find("css/charts.css")).read_text()
    site_css = Path(finders.find("css/site.css")).read_text()
    root = re.search(r":root\s*\{([^}]*)\}", site_css).group(1)
    variables = dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", root))
    return re.sub(r"var\((--[\w-]+)\)", lambda match: variables[match.group(1)].strip(), charts_css)
