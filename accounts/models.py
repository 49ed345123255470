from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A passenger or a staff member. Logs in with the e-mail address."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    # The evening nudge about new routes (bookings/services/nudge.py): the passenger's choice, when
    # they were last on the site, and when they were last nudged.
    email_new_routes = models.BooleanField("E-mail me about new routes", default=True, db_default=True)
    # The monthly activity report on the 1st (bookings/services/monthly_report.py).
    email_monthly_report = models.BooleanField("E-mail me a monthly summary of my trips", default=True, db_default=True)
    # The clock of times that belong to no airport (booking_site.lib.viewer_zone; "" = the
    # browser's, else the site's TIME_ZONE), and for staff the days the dashboard counts.
    time_zone = models.CharField("Time zone", max_length=64, blank=True, default="", db_default="")
    # Written at most once an hour per user by accounts.middleware.LastSeenMiddleware.
    last_seen_at = models.DateTimeField("last seen", null=True, blank=True)
    last_nudged_at = models.DateTimeField("last new-routes e-mail", null=True, blank=True)

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


# The audit trail (django-auditlog): changes to who an account is and what it may do; a
# password change is recorded, never its value.
auditlog.register(
    User,
    include_fields=["email", "first_name", "last_name", "password", "is_active", "is_staff", "is_superuser"],
    mask_fields=["password"],
    m2m_fields={"groups"},
)
