"""The fare rule on pages outside checkout (the home page's promise): written once, in bookings.fares."""

from django import template

from bookings import fares

register = template.Library()


@register.simple_tag
def cancellation_promise() -> str:
    """ "Change of plans? Cancel online until 3 hours before departure; full refund up to 7 days before." """
    return fares.cancellation_promise()
