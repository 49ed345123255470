"""Small PNG charts drawn with Pillow when a message is sent, shown inline in the HTML part.

A message's context carries the chart's data, not the image (the outbox row stays small
JSON): `context["_charts"] = {"trips-chart": {"title": ..., "labels": [...], "values": [...]}}`
and the HTML refers to it as `<img src="cid:trips-chart">`.
"""

import io
from email.mime.image import MIMEImage

from django.core.mail import EmailMultiAlternatives
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 480, 200
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 34, 28, 16
BRAND = (11, 61, 145)  # the e-mail header's #0b3d91
LAST_BAR = (255, 179, 0)  # the button yellow: the month the report is about
TEXT = (27, 27, 27)
MUTED = (108, 117, 125)
BACKGROUND = (255, 255, 255)
BASELINE = (222, 226, 230)


def bar_chart_png(*, labels: list[str], values: list[int | float], title: str = "") -> bytes:
    """A bar per label, each with its value above it; the last bar highlighted. PNG bytes."""
    if len(labels) != len(values) or not labels:
        raise ValueError("A chart needs one value per label, and at least one.")
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    if title:
        draw.text((MARGIN_SIDE, 8), title, fill=TEXT, font=font)
    top, bottom = MARGIN_TOP + 14, HEIGHT - MARGIN_BOTTOM
    slot = (WIDTH - 2 * MARGIN_SIDE) / len(values)
    bar_width = max(4, int(slot * 0.6))
    highest = max(*values, 1)
    draw.line([(MARGIN_SIDE, bottom), (WIDTH - MARGIN_SIDE, bottom)], fill=BASELINE, width=1)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        centre = MARGIN_SIDE + slot * index + slot / 2
        left, right = int(centre - bar_width / 2), int(centre + bar_width / 2)
        height = round((bottom - top) * value / highest)
        if height > 0:
            colour = LAST_BAR if index == len(values) - 1 else BRAND
            draw.rectangle([left, bottom - height, right, bottom - 1], fill=colour)
        _centred(draw, centre, bottom - height - 14, _number(value), TEXT, font)
        _centred(draw, centre, bottom + 6, label, MUTED, font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _centred(draw: ImageDraw.ImageDraw, centre: float, y: float, text: str, fill, font) -> None:
    width = draw.textlength(text, font=font)
    draw.text((centre - width / 2, y), text, fill=fill, font=font)


def attach_inline_charts(email: EmailMultiAlternatives, charts: dict) -> None:
    """Draw each chart and attach it inline under its Content-ID (the key), making the
    message multipart/related so mail apps show it in the HTML instead of as a download."""
    if not charts:
        return
    email.mixed_subtype = "related"
    for content_id, spec in charts.items():
        png = bar_chart_png(labels=list(spec["labels"]), values=list(spec["values"]), title=spec.get("title", ""))
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{content_id}>")
        image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
        email.attach(image)
