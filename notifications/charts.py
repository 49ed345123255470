"""Charts in e-mail: drawn as PNG when a message is sent, by the same chart code the pages use
(booking_site/lib/charts.py), and shown inline in the HTML part.

A message's context carries the chart's data, not the image (the outbox row stays small
JSON): `context["_charts"] = {"trips-chart": {"labels": [...], "series": {name: [...]},
"stacked": bool}}`, and the HTML refers to it as `<img src="cid:trips-chart">`. Messages
written before series existed carry `"values": [...]` instead: one unnamed series.
"""

from email.mime.image import MIMEImage

from django.core.mail import EmailMultiAlternatives

from booking_site.lib import charts


def chart_png(spec: dict) -> bytes:
    series = spec["series"] if "series" in spec else {"": spec["values"]}
    return charts.bar_chart_png(labels=list(spec["labels"]), series=series, stacked=spec.get("stacked", False))


def attach_inline_charts(email: EmailMultiAlternatives, specs: dict) -> None:
    """Draw each chart and attach it inline under its Content-ID (the key), making the
    message multipart/related so mail apps show it in the HTML instead of as a download."""
    if not specs:
        return
    email.mixed_subtype = "related"
    for content_id, spec in specs.items():
        image = MIMEImage(chart_png(spec), "png")
        image.add_header("Content-ID", f"<{content_id}>")
        image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
        email.attach(image)
