from base64 import b32decode

import factory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"traveller{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True


def authenticator_for(user: User) -> TOTPDevice:
    """The user's confirmed authenticator app (made if there is none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=two_factor.AUTHENTICATOR, confirmed=True)


def authenticator_code(device: TOTPDevice) -> str:
    """The code the user's app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def authenticator_code_for_key(key: str) -> str:
    """The code an app shows now for the base32 key the set-up page prints (the defaults)."""
    return f"{totp(b32decode(key)):06d}"


def verified_login(client, user: User):
    """Sign `client` in as `user` with a second factor shown, as staff must be for staff pages,
    django-admin and the staff API (an authenticator is made if the user has none)."""
    device = authenticator_for(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
