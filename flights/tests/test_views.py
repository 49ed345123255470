import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_search_form_offers_every_time_window_and_keeps_the_choice(client):
    response = client.get(reverse("flights:search"), {"window": "evening"})
    page = response.content.decode()
    for value in ("any", "morning", "afternoon", "evening", "night"):
        assert f'<option value="{value}"' in page
    assert '<option value="evening" selected>' in page
