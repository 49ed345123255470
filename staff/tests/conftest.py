import pytest

from accounts.tests.factories import StaffFactory, verified_login


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    """Staff signed in with their second factor shown, as staff pages require."""
    return verified_login(client, staff)
