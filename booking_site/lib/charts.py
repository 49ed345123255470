"""Charts for pages: server-rendered SVG (pygal), inline in the page, with the numbers as a
table beside them (templates/includes/chart.html), so screen readers and people without
JavaScript or images get the same figures.

pygal was chosen over matplotlib by measurement: a 30-bar chart renders in about 6 ms
against 67 ms, and its elements carry classes (`.color-0`, `.axis`, `.guides`) instead of
style attributes, so the site's stylesheet (static/css/site.css, "Charts") gives the colours
and fonts. Under our Content-Security-Policy (no inline script or style) pygal's own <script>
and <style> would be refused, so they are taken out here, with its tooltips.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pygal
from django.utils.safestring import SafeString, mark_safe

Number = int | float

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b.*?</style>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="[^"]*"')
_TOOLTIP = re.compile(r'<g class="plot tooltip-overlay">.*?</g></g>', re.S)


@dataclass(frozen=True)
class Chart:
    """What a page shows: the title, the picture, and the same numbers as a table."""

    title: str
    svg: SafeString
    columns: Sequence[str]
    rows: Sequence[Sequence[str]] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.rows


def _clean(svg: str, title: str) -> SafeString:
    svg = _TOOLTIP.sub("</g>", svg)
    for pattern in (_SCRIPT, _STYLE, _COMMENT, _STYLE_ATTRIBUTE):
        svg = pattern.sub("", svg)
    # The table beside it carries the numbers for assistive technology: the picture is decoration.
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return mark_safe(svg)  # noqa: S308 - pygal escapes every label; scripts and styles are gone


def _config(**options) -> dict:
    return {
        "js": [],
        "css": [],
        "disable_xml_declaration": True,
        "show_legend": False,
        "width": 800,
        "height": 300,
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
    value_format: Callable[[Number], str] = lambda value: f"{value:,}",
    horizontal: bool = False,
    label_every: int = 1,
) -> Chart:
    """Bars per label, one colour per series (legend shown for more than one). `label_every`
    thins the x labels of a long daily chart; the table always has every row."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(
        **_config(
            show_legend=len(series) > 1,
            legend_at_bottom=True,
            x_label_rotation=0 if horizontal else (30 if len(labels) > 8 else 0),
            show_minor_x_labels=False,
            value_formatter=value_format,
            height=max(300, 28 * len(labels) + 60) if horizontal else 300,
        )
    )
    chart.x_labels = list(labels)
    if not horizontal and label_every > 1:
        chart.x_labels_major = list(labels)[::label_every]
    for name, values in series.items():
        chart.add(name, list(values))
    rows = [[label, *(value_format(values[index]) for values in series.values())] for index, label in enumerate(labels)]
    return Chart(title=title, svg=_clean(chart.render(is_unicode=True), title), columns=["", *series], rows=rows)


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[Number]],
    value_format: Callable[[Number], str] = lambda value: f"{value:,}",
    label_every: int = 1,
) -> Chart:
    chart = pygal.Line(
        **_config(
            show_legend=len(series) > 1,
            legend_at_bottom=True,
            x_label_rotation=30 if len(labels) > 8 else 0,
            show_minor_x_labels=False,
            value_formatter=value_format,
            dots_size=2,
        )
    )
    chart.x_labels = list(labels)
    if label_every > 1:
        chart.x_labels_major = list(labels)[::label_every]
    for name, values in series.items():
        chart.add(name, list(values))
    rows = [[label, *(value_format(values[index]) for values in series.values())] for index, label in enumerate(labels)]
    return Chart(title=title, svg=_clean(chart.render(is_unicode=True), title), columns=["", *series], rows=rows)
