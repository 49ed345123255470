"""Settings, read from the environment (django-environ).

Every variable is listed with its development default in `.env.example` and the README.
Secrets have no production default: with DEBUG off, a missing SECRET_KEY stops start-up.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY", default=None)
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SITE_NAME = env("SITE_NAME", default="Skyway")
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")
CURRENCY = env("CURRENCY", default="EUR")
# How long a search result page is cached; a flight change invalidates its route-day at once.
SEARCH_CACHE_SECONDS = env.int("SEARCH_CACHE_SECONDS", default=120)
SUGGEST_CACHE_SECONDS = env.int("SUGGEST_CACHE_SECONDS", default=3600)
MAX_PASSENGERS_PER_BOOKING = env.int("MAX_PASSENGERS_PER_BOOKING", default=9)
DEFAULT_FLIGHT_CAPACITY = 60
# How long a booking waits for a busy flight's row lock before "busy, try again".
BOOKING_LOCK_TIMEOUT_MS = env.int("BOOKING_LOCK_TIMEOUT_MS", default=3000)
# Checkout: chosen seats are held this long while the passenger enters names and pays.
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=10)
# Hold limits: open checkouts (seats held, not yet paid) one account may have on one flight
# and in all, and one client network (an IPv4 address or an IPv6 /64) likewise. Staff are
# exempt. Stops one account or one client from holding a flight's seats without paying.
HOLD_LIMIT_PER_FLIGHT = env.int("HOLD_LIMIT_PER_FLIGHT", default=1)
HOLD_LIMIT_PER_ACCOUNT = env.int("HOLD_LIMIT_PER_ACCOUNT", default=3)
HOLD_LIMIT_PER_FLIGHT_PER_CLIENT = env.int("HOLD_LIMIT_PER_FLIGHT_PER_CLIENT", default=2)
HOLD_LIMIT_PER_CLIENT = env.int("HOLD_LIMIT_PER_CLIENT", default=6)
# Ask each passenger's date of birth at checkout (some routes need it for immigration).
ASK_DATE_OF_BIRTH = env.bool("ASK_DATE_OF_BIRTH", default=False)
# Passengers can cancel online until this many hours before departure.
CANCELLATION_CUTOFF_HOURS = env.int("CANCELLATION_CUTOFF_HOURS", default=3)
# Fare rule: the full fare back when cancelled at least REFUND_FULL_DAYS before departure,
# REFUND_LATE_PERCENT of it after that.
REFUND_FULL_DAYS = env.int("REFUND_FULL_DAYS", default=7)
REFUND_LATE_PERCENT = env.int("REFUND_LATE_PERCENT", default=50)
# Dotted path to the payment provider class; the default charges nothing (docs/payments.md).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", default="bookings.payments.TestPaymentProvider")
# "Manage booking" (reference + last name, no login): attempts per client IP and per reference.
MANAGE_BOOKING_RATE_IP = env("MANAGE_BOOKING_RATE_IP", default="10/m")
MANAGE_BOOKING_RATE_REFERENCE = env("MANAGE_BOOKING_RATE_REFERENCE", default="20/h")
# Password reset e-mails: requests per client IP and per e-mail address. Past either, the page
# reads the same but no e-mail is sent (it never shows whether an account exists).
PASSWORD_RESET_RATE_IP = env("PASSWORD_RESET_RATE_IP", default="10/h")
PASSWORD_RESET_RATE_ADDRESS = env("PASSWORD_RESET_RATE_ADDRESS", default="3/h")
# Behind a proxy every client has the proxy's REMOTE_ADDR: name the header carrying the real
# address (e.g. HTTP_X_REAL_IP, set by the proxy itself, never by the client).
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", default=None)
# Behind proxies that append to X-Forwarded-For: how many of them are ours (lib.http.client_address).
# 0: the site is reached directly and X-Forwarded-For is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Evening nudge about new routes (bookings/services/nudge.py): sent during NUDGE_HOUR (0-23) in
# NUDGE_TIME_ZONE (empty: the site's TIME_ZONE) to passengers with no trip ahead who have not
# visited for NUDGE_QUIET_DAYS. The monthly report (bookings/services/monthly_report.py) has no setting.
NUDGE_HOUR = env.int("NUDGE_HOUR", default=19)
NUDGE_TIME_ZONE = env("NUDGE_TIME_ZONE", default="")
NUDGE_QUIET_DAYS = env.int("NUDGE_QUIET_DAYS", default=7)
if not 0 <= NUDGE_HOUR <= 23:
    raise ImproperlyConfigured("NUDGE_HOUR must be an hour of the day, 0 to 23.")
if NUDGE_TIME_ZONE:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(NUDGE_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ImproperlyConfigured(f"NUDGE_TIME_ZONE {NUDGE_TIME_ZONE!r} is not a known time zone.") from error
# "Export my bookings (CSV)": the file can be downloaded for this long, then it is deleted.
# Passengers' names and dates of birth on flights that departed this long ago are anonymised
# (the bookings stay, as the airline's records).
PRIVACY_RETENTION_DAYS = env.int("PRIVACY_RETENTION_DAYS", default=3 * 365)
EXPORT_EXPIRY_HOURS = env.int("EXPORT_EXPIRY_HOURS", default=24)
# Staff flight import (flights/imports): the largest CSV file accepted, in bytes, and the most
# flights (rows) in one file.
FLIGHT_IMPORT_MAX_BYTES = env.int("FLIGHT_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
FLIGHT_IMPORT_MAX_ROWS = env.int("FLIGHT_IMPORT_MAX_ROWS", default=50_000)

INSTALLED_APPS = [
    "booking_site.apps.AdminConfig",  # django-admin, behind the staff's second factor (booking_site/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS/JS from PyPI, not a CDN
    "django_celery_beat",  # beat's schedule and last runs in the database, shown in django-admin
    "accounts",
    "flights",
    "bookings",
    "notifications",
    "staff",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",  # refresh tokens rotated or logged out
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc from our own static files, not a CDN
    "django_filters",
    "api",
    "csp",
    "django_otp",  # a second factor: accounts/two_factor.py
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys as a second factor: accounts/passkeys.py
    "auditlog",  # who changed what: the staff's writes and accounts' security fields (each app registers its models)
    "axes",  # last: its signals see every app's logins
]

MIDDLEWARE = [
    # First: every response has an X-Request-ID, even an error raised by the middleware below.
    "booking_site.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # CONTENT_SECURITY_POLICY below
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a second factor this session
    "accounts.middleware.SecondFactorMiddleware",  # an account with one must show it before anything else
    "accounts.middleware.LastSeenMiddleware",  # at most one UPDATE per user an hour
    "accounts.middleware.StaffSessionTimeoutMiddleware",  # STAFF_IDLE_MINUTES, STAFF_SESSION_HOURS
    "booking_site.middleware.AuditActorMiddleware",  # the audit trail's who and from where
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "booking_site.middleware.AdminEmptyToFieldMiddleware",  # a Django admin 500 on ?_to_field=
    "axes.middleware.AxesMiddleware",  # turns a login lockout into accounts.lockout's 429 page
]

ROOT_URLCONF = "booking_site.urls"
WSGI_APPLICATION = "booking_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "booking_site.context_processors.site",
                "booking_site.context_processors.alerts",  # the navbar bell's unread count
            ],
        },
    },
]

# PostgreSQL only: row locks must behave the same in dev, tests and production.
if not DEBUG and "DATABASE_URL" not in env:
    raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off.")
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/booking")}
if DATABASES["default"]["HOST"].startswith("%2F"):  # a unix socket directory (embedded server)
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache (booking_site/lib/cache.py): django-redis. "default" ignores Redis errors, so an
# outage or a hung Redis (0.5 s socket timeouts) is a cache miss and pages come from
# PostgreSQL. "ratelimit" is the same Redis without IGNORE_EXCEPTIONS: django-ratelimit's
# counters raise RedisError and the rate-limited views decide what an outage means.
redis_cache = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="skyway"),
    "TIMEOUT": env.int("CACHE_TIMEOUT", default=300),
}
redis_sockets = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
CACHES = {
    "default": {**redis_cache, "OPTIONS": {**redis_sockets, "IGNORE_EXCEPTIONS": True}},
    "ratelimit": {**redis_cache, "OPTIONS": redis_sockets},
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # an ignored Redis error is logged, with its traceback
RATELIMIT_USE_CACHE = "ratelimit"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out (account, address) pair before a password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Password guessing (accounts/lockout.py): this many wrong passwords for one account from one
# client address lock that pair for LOGIN_LOCKOUT_MINUTES; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockout.login_name"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "flights:search"
LOGOUT_REDIRECT_URL = "flights:search"
ADMIN_EMAIL = env("ADMIN_EMAIL", default="")
ADMIN_PASSWORD = env("ADMIN_PASSWORD", default="")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: EMAIL_URL, e.g. smtp+tls://user:pass@smtp.example.com:587 in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <bookings@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Outbox (notifications.services): a stuck SMTP server must not hold a worker forever; a
# failed send is retried after OUTBOX_RETRY_BASE_SECONDS, doubling each time (at most an
# hour apart), and becomes `failed` after OUTBOX_MAX_ATTEMPTS (10: about four hours).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
# After a publish to the broker fails, a process stops trying for this long and leaves new
# messages to the sweep: with Redis down, a request queueing 300 e-mails pays for one
# failed publish, not 300.
OUTBOX_PUBLISH_PAUSE_SECONDS = env.int("OUTBOX_PUBLISH_PAUSE_SECONDS", default=30)

# Celery: the broker is Redis. Tasks are enqueued after commit; the outbox sweep catches
# anything a broker outage dropped, so mail is delayed, never lost.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL  # empty means "use REDIS_URL"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when Redis is down: fail fast, the sweep resends.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2, "visibility_timeout": 3600}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ROUTES = {"notifications.tasks.*": {"queue": "mail"}}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Crontab entries (the monthly report on the 1st) follow the site's time zone, not UTC.
CELERY_TIMEZONE = TIME_ZONE
# Beat keeps its schedule and each job's last run in the database (django-celery-beat), so
# django-admin shows them. The schedule itself is CELERY_BEAT_SCHEDULE below: synced into the
# database when beat starts; jobs no longer in it are disabled (booking_site/beat.py).
CELERY_BEAT_SCHEDULER = "booking_site.beat:CodeScheduler"
CELERY_RESULT_EXPIRES = None  # no result backend, so no nightly celery.backend_cleanup job
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 60.0},
    "airport-traffic": {"task": "flights.tasks.airport_traffic_refresh", "schedule": 3600.0},
    "holds-expire": {"task": "bookings.tasks.holds_expire", "schedule": 60.0},
    # Evening nudge: every 15 min, acting only in NUDGE_HOUR local (so it follows DST); the
    # dedupe key makes a repeated run within the hour write nothing (bookings/services/nudge.py).
    "evening-nudge": {"task": "bookings.tasks.evening_nudge_send", "schedule": 900.0},
    # Monthly report: 06:00 on the 1st, site time zone (CELERY_TIMEZONE); once per user and month.
    "monthly-report": {
        "task": "bookings.tasks.monthly_reports_send",
        "schedule": crontab(minute="0", hour="6", day_of_month="1"),
    },
    # Booking exports: delete expired files; re-enqueue an export whose task was lost.
    "booking-exports-sweep": {"task": "bookings.tasks.booking_exports_sweep", "schedule": 300.0},
    # Flight imports whose task never reached the broker: enqueued again (a second run is a no-op).
    "flight-imports-resume": {"task": "flights.tasks.flight_imports_resume", "schedule": 300.0},
    # Departure reminders: every 15 min; the 23-hour window and the dedupe key make a late,
    # skipped or doubled run harmless (bookings/services/reminders.py).
    "departure-reminders": {"task": "bookings.tasks.departure_reminders_send", "schedule": 900.0},
    # The staff dashboard's history: each finished day's sales per route (bookings.DailySales).
    "sales-summarise": {"task": "bookings.tasks.sales_summarise", "schedule": crontab(minute="10", hour="0")},
    # Privacy: passengers of long-departed flights anonymised (PRIVACY_RETENTION_DAYS).
    "passengers-anonymise": {"task": "bookings.tasks.passengers_anonymise", "schedule": crontab(minute="30", hour="3")},
    # API: stored Idempotency-Key responses past API_IDEMPOTENCY_HOURS, stale cancellation quotes.
    "api-housekeeping": {"task": "api.tasks.api_housekeeping", "schedule": 3600.0},
}

# The JSON API (api/, docs/api.md). JWT access tokens are short-lived and signed with their
# own key (never SECRET_KEY), one algorithm, audience and issuer set and checked; refresh
# tokens rotate and the old one is blacklisted. Session authentication serves the site's
# own JavaScript (with CSRF).
if DEBUG:
    JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="dev-only-jwt-key-never-use-in-production-0123456789")
else:
    JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default=None)
    if not JWT_SIGNING_KEY or JWT_SIGNING_KEY == SECRET_KEY:
        raise ImproperlyConfigured("JWT_SIGNING_KEY must be set, and differ from SECRET_KEY, when DEBUG is off.")
API_ACCESS_TOKEN_MINUTES = env.int("API_ACCESS_TOKEN_MINUTES", default=10)
if not 5 <= API_ACCESS_TOKEN_MINUTES <= 15:
    raise ImproperlyConfigured("API_ACCESS_TOKEN_MINUTES must be between 5 and 15.")
API_REFRESH_TOKEN_DAYS = env.int("API_REFRESH_TOKEN_DAYS", default=14)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=API_ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=API_REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUDIENCE": env("JWT_AUDIENCE", default=f"{SITE_URL}/api/v1"),
    "ISSUER": env("JWT_ISSUER", default=SITE_URL),
    "LEEWAY": 5,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # A password change (or reset) ends every access token issued before it.
    "CHECK_REVOKE_TOKEN": True,
}
# Requests per user (signed in) and per client address, counted in Redis; the auth endpoints
# (token, refresh, logout, signup) have their own, tighter budget per address.
API_RATE_USER = env("API_RATE_USER", default="600/min")
API_RATE_ADDRESS = env("API_RATE_ADDRESS", default="1200/min")
API_RATE_AUTH = env("API_RATE_AUTH", default="20/min")
# Idempotency-Key: a stored response is replayed for this long.
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.JWTAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.RequestThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": (
        "Search flights, hold seats, book and cancel, for passengers; the schedule, imports and "
        "manifests for staff. The guide, with a walk-through from sign-up to a cancelled booking, "
        "is docs/api.md in the source."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.errors_section"],
}

# Content-Security-Policy (django-csp): our own files only, no inline script or style anywhere
# (pages hook their scripts by data-* attributes; sizes are CSS classes). The API's readers set
# their own (api/views/docs.py), and so does the staff e-mail preview, which shows an e-mail's
# own inline styles in a sandbox (staff/views/mail.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Browser features no page uses are off for every page (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
}
SECURE_REFERRER_POLICY = "same-origin"
# The staff dashboard's figures are at most this old (staff/dashboard.py).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)
OTP_TOTP_ISSUER = SITE_NAME  # the name an authenticator app shows
# Passkeys (django-otp-webauthn) as another second factor, never instead of the password
# (accounts.passkeys). A passkey belongs to the site's host name: SITE_URL's (changing it later
# makes everyone's passkeys useless; the authenticator app and recovery codes still work).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = SITE_NAME
OTP_WEBAUTHN_RP_ID = urlsplit(SITE_URL).hostname
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}"]
# The audit trail (django-auditlog): old and new values as JSON (a password is masked: accounts).
AUDITLOG_STORE_JSON_CHANGES = True

# Staff sessions end sooner than passengers' (two weeks, Django's default): after this long
# without a request, and this long after logging in whatever happens.
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)
STAFF_SESSION_HOURS = env.int("STAFF_SESSION_HOURS", default=10)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A stale or missing CSRF token gets a page that looks like the site and says what to do.
CSRF_FAILURE_VIEW = "booking_site.error_views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
