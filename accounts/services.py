import logging
import secrets

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import Q

from booking_site.lib.db import violated_constraint
from notifications.services import outbox_enqueue

from .exceptions import EmailTaken
from .models import User

logger = logging.getLogger(__name__)


# The case-insensitive unique index, and the column's own unique constraint behind it.
EMAIL_CONSTRAINTS = {"user_email_ci_unique", "accounts_user_email_key"}


def user_signup(*, email: str, password: str, first_name: str, last_name: str) -> User:
    """Create a passenger account and queue the welcome e-mail in the same transaction.

    The form has already checked the address is free; the unique index backs that check, so
    two sign-ups with one address at the same moment (a double click, two tabs) make one
    account and the other raises EmailTaken.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, first_name=first_name.strip(), last_name=last_name.strip()
                )
        except IntegrityError as error:
            if violated_constraint(error) in EMAIL_CONSTRAINTS:
                raise EmailTaken() from error
            raise
        outbox_enqueue(
            to=user.email,
            template="welcome",
            context={"name": user.first_name or user.email},
            user_id=user.pk,
        )
    return user


def user_signup_once(*, email: str, password: str, first_name: str, last_name: str, request=None) -> tuple[User, bool]:
    """user_signup, forgiving a repeat: the same sign-up sent twice at once (a double click,
    another tab, a retried API call) gives the account the first one made, when the password
    matches. Returns (user, created). Raises EmailTaken when someone else has the address."""
    try:
        return user_signup(email=email, password=password, first_name=first_name, last_name=last_name), True
    except EmailTaken:
        user = authenticate(request, username=email, password=password)
        if user is None:
            raise
        return user, False


def admin_ensure(*, email: str, password: str, verbosity: int = 1) -> User | None:
    """Create the first superuser if the database has none. Returns it, or None if one existed.

    With no password configured, a random one is generated and printed once (development).
    """
    if User.objects.filter(is_superuser=True).exists():
        return None
    generated = not password
    password = password or secrets.token_urlsafe(12)
    user = User.objects.create_superuser(email=email, password=password, first_name="Admin")
    if generated and verbosity >= 1:
        print(
            f"\n  Created admin account {email} with password: {password}\n  (shown once; set ADMIN_PASSWORD to choose it)\n"
        )
    logger.info("Created admin account %s", email)
    return user


OPERATIONS_GROUP = "Airline operations"
# Staff who run the schedule: manage flights and airports; read bookings, users and mail.
OPERATIONS_APPS_FULL = ["flights"]
OPERATIONS_APPS_VIEW = ["bookings", "notifications", "accounts", "django_celery_beat"]


def operations_group_ensure() -> Group:
    """Create or refresh the staff group with its permissions (idempotent).

    Permissions are created first, since on a new database post_migrate for the other apps
    may not have run yet.
    """
    for label in OPERATIONS_APPS_FULL + OPERATIONS_APPS_VIEW:
        create_permissions(django_apps.get_app_config(label), verbosity=0)
    group, _ = Group.objects.get_or_create(name=OPERATIONS_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=OPERATIONS_APPS_FULL)
            | Q(codename__startswith="view_", content_type__app_label__in=OPERATIONS_APPS_VIEW)
        )
    )
    return group


def admin_ensure_on_migrate(sender, verbosity=1, using="default", **kwargs):
    """post_migrate hook: every newly migrated database gets an admin account."""
    operations_group_ensure()
    email = settings.ADMIN_EMAIL or "admin@example.com"
    if not settings.DEBUG and not (settings.ADMIN_EMAIL and settings.ADMIN_PASSWORD):
        # Production: only the configured account; never a generated password printed to a log.
        logger.warning("No admin account created: set ADMIN_EMAIL and ADMIN_PASSWORD and run migrate.")
        return
    admin_ensure(email=email, password=settings.ADMIN_PASSWORD, verbosity=verbosity)
