"""Settings from the environment, with embedded defaults that run on a laptop.

Embedded default: SQLite under var/ and kombu's filesystem transport under var/ (no servers).
Production: DATABASE_URL=postgres://…, CELERY_BROKER_URL=redis://…, CACHE_URL=redis://…
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from leadflow.broker import transport_for

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("LEADFLOW_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-leadflow-key-change-me-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_fsm_log",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "leadflow",
    "qualification",
    "sales",
    "reports",
    "presets",  # business presets (kitchens, clinic, real estate, B2B): apply_preset, the first-run wizard
    "demo",  # seed_demo: the demo company, built on top of every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy header, see below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "leadflow.vertical.VerticalVocabularyMiddleware",  # "замер" → the vertical's visit (leadflow/vertical.py)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session passed the code step
    "django.contrib.messages.middleware.MessageMiddleware",
    "leadflow.middleware.DomainErrorMiddleware",  # domain refusals → 403 / 404 / a message
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "leadflow.two_factor.middleware.TwoFactorGateMiddleware",  # code step / forced setup, see docs/security.md
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

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
                "django.template.context_processors.i18n",
                "leadflow.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'leadflow.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: wait for locks instead of failing, take the write lock
    # at BEGIN so a read-then-write transaction never deadlocks, and let readers run beside a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# JIT off for our connections: our statements run in milliseconds, and a bad row estimate (a table
# bulk-loaded and not yet analysed) made PostgreSQL spend 0.5 s JIT-compiling a 7 ms query.
# DATABASE_JIT=true keeps the server's setting (e.g. behind a pooler that refuses startup options:
# then `ALTER ROLE … SET jit = off`). A `?options=` naming jit in DATABASE_URL is kept and wins.
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql") and not env.bool(
    "DATABASE_JIT", default=False
):
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit" not in db_options.get("options", ""):
        db_options["options"] = f"-c jit=off {db_options.get('options', '')}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://leadflow")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling: must come first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Two-factor sign-in (django-otp, TOTP + one-time backup codes): leadflow/two_factor/, docs/security.md.
# Wrong codes back off exponentially per device (1, 2, 4 … s); the issuer names the account in the app.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Leadflow")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # device keys are never shown in the admin
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (measurement photos) go through Django's storage API: the file system under var/media
# by default, any S3-compatible store with FILE_STORAGE=s3 (django-storages; docs/operations.md). They
# are never served by URL from the store: sales:photo streams them to whoever may see the deal.
FILE_STORAGE = env.str("FILE_STORAGE", default="local")
if FILE_STORAGE == "s3":
    DEFAULT_FILE_STORE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "region_name": env.str("S3_REGION", default=None),
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            "location": env.str("S3_PREFIX", default=""),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default=None),
            "default_acl": None,  # the bucket's own (private) policy; objects are never linked to
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif FILE_STORAGE == "local":
    DEFAULT_FILE_STORE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"FILE_STORAGE must be 'local' or 's3', not {FILE_STORAGE!r}")
STORAGES = {
    "default": DEFAULT_FILE_STORE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Photos of a measurement: larger uploads and non-images are refused; kept ones are scaled down to
# PHOTO_MAX_SIDE px on the longest side and stripped of all metadata (sales/photos.py).
PHOTO_MAX_UPLOAD_MB = env.int("PHOTO_MAX_UPLOAD_MB", default=15)
PHOTO_MAX_COUNT = env.int("PHOTO_MAX_COUNT", default=20)
PHOTO_MAX_SIDE = env.int("PHOTO_MAX_SIDE", default=2048)
PHOTO_MAX_PIXELS = 60_000_000  # a 60-megapixel picture is the largest decoded (a "zip bomb" image is refused)
# Call recordings (issue 16 §3) are kept in the same store as the photos, under recordings/, for this
# many days after they were fetched; then the nightly sweep deletes the file (the call keeps a note).
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=365)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Leadflow <noreply@leadflow.local>")

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# Scripts only from our own static files: no inline <script>, no onclick="…", no eval (small page
# behaviours live in static/leadflow/ui.js). A <style> block needs the request's nonce
# (<style nonce="{{ request.csp_nonce }}">); style="…" attributes stay allowed (Bootstrap markup, the
# speed heatmap), they cannot run code. Nothing may frame the CRM, except the public intake form,
# which replaces frame-ancestors with INTAKE_FRAME_ANCESTORS (the company's website, e.g.
# "https://kitchens.example.ru"; "*" = any site, as X-Frame-Options allows there). See docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],  # Bootstrap's icons are data: SVGs in its CSS
        "font-src": [SELF],
        "connect-src": [SELF],  # htmx polling
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
INTAKE_FRAME_ANCESTORS = env.list("INTAKE_FRAME_ANCESTORS", default=["*"])

# --- Celery -------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,  # a folder listing: cheap; a new lead's checks are picked up at once
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# kombu's Redis transport with the fix that keeps a worker alive across a Redis restart, and the
# filesystem one with a short drain so Ctrl-C stops a worker at once (leadflow/broker.py, docs/sla.md)
CELERY_BROKER_TRANSPORT = transport_for(CELERY_BROKER_URL)
# Intake must never wait on the broker: a publish gives up quickly and the SLA sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
)
# Redis ignores the connection timeout above: without socket timeouts a hung or black-holed Redis (the
# port accepts, nothing answers) held every intake request forever (tests/reliability/test_broker_outage.py).
# The worker's BRPOP answers within 1 s, so a few seconds never cut a healthy connection.
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    {
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
    }
)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The sweep fires every SLA check within this many seconds of its deadline (the promise: within 30 s).
SLA_SWEEP_SECONDS = env.int("SLA_SWEEP_SECONDS", default=15)
# Also publish a Celery message with an ETA at each new lead's two deadlines (the old way; off: the sweep
# alone is on time and costs intake nothing, docs/decisions.md "SLA checks by the sweep alone").
SLA_CHECK_MESSAGES = env.bool("SLA_CHECK_MESSAGES", default=False)
# Intake caches the API token, the default qualification team and its calendar this long per process
# (leadflow/hotcache.py): a token revoked in another process keeps working at most this many seconds.
HOT_CACHE_SECONDS = env.int("HOT_CACHE_SECONDS", default=5)
# PostgreSQL: intake's statement is prepared once per connection (planned once, not 0.4–1 ms per lead).
# Turn off behind a pooler in transaction mode that cannot keep a session's prepared statements.
INTAKE_PREPARED_STATEMENT = env.bool("INTAKE_PREPARED_STATEMENT", default=True)
# /healthz says 503 "sla-engine" and the SLA panel shows a red banner when the last sweep is older than
# this (or, if it never ran, the heartbeat row: a grace period after install). Keep it > SLA_SWEEP_SECONDS.
SLA_ENGINE_STALE_SECONDS = env.int("SLA_ENGINE_STALE_SECONDS", default=120)
# Criteria and outcomes (reports/criteria): under this many hand-offs an answer gets no verdict
# ("not enough data"), and the length of a visit for a measured lead without a recorded visit.
CRITERIA_MIN_HANDOFFS = env.int("CRITERIA_MIN_HANDOFFS", default=30)
CRITERIA_VISIT_HOURS = env.float("CRITERIA_VISIT_HOURS", default=2.0)
# The criteria page reads the days changed since the rollup's last refresh raw (exact) while they hold at most
# this many leads; past it, those days are shown as of the refresh (docs/criteria.md)
CRITERIA_STALE_RAW_LEADS = env.int("CRITERIA_STALE_RAW_LEADS", default=20_000)
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "qualification.tasks.sla_sweep", "schedule": SLA_SWEEP_SECONDS},
    "lease-sweep": {"task": "qualification.tasks.claim_lease_sweep", "schedule": 60},
    "acceptance-sweep": {"task": "sales.tasks.acceptance_sweep", "schedule": 60},
    # reminders: the rep the evening before a visit, the client's details on the morning of the day
    "visit-reminders-evening": {
        "task": "sales.tasks.visit_reminders_evening",
        "schedule": crontab(hour=env.int("VISIT_REMINDER_EVENING_HOUR", default=19), minute=0),
    },
    "visit-reminders-morning": {
        "task": "sales.tasks.visit_reminders_morning",
        "schedule": crontab(hour=env.int("VISIT_REMINDER_MORNING_HOUR", default=8), minute=0),
    },
    # 152-ФЗ retention: leads closed without a deal longer than PERSONAL_DATA_RETENTION_DAYS ago lose the person
    # the weekly digest (issue 13 §3): Mondays 09:00 in CELERY_TIMEZONE (Moscow), last week's figures
    "weekly-digest": {
        "task": "reports.tasks.weekly_digest",
        "schedule": crontab(day_of_week="mon", hour=env.int("WEEKLY_DIGEST_HOUR", default=9), minute=0),
    },
    # the dashboards' daily rollup (issue 13 §4): the changed days every few minutes, the recent days nightly
    "report-rollup-refresh": {
        "task": "reports.tasks.rollup_refresh",
        "schedule": env.int("REPORT_ROLLUP_REFRESH_SECONDS", default=300),
    },
    # the staffing planner's snapshot of teams too big to replay on every request (docs/staffing.md)
    "staffing-snapshots-nightly": {
        "task": "reports.tasks.staffing_snapshots_refresh",
        "schedule": crontab(hour=env.int("STAFFING_SNAPSHOT_HOUR", default=3), minute=30),
    },
    "report-rollup-nightly": {
        "task": "reports.tasks.rollup_rebuild_recent",
        "schedule": crontab(hour=env.int("REPORT_ROLLUP_NIGHTLY_HOUR", default=2), minute=15),
    },
    "personal-data-retention": {
        "task": "leadflow.tasks.personal_data_retention",
        "schedule": crontab(hour=env.int("PERSONAL_DATA_RETENTION_HOUR", default=3), minute=30),
    },
    # call recordings (issue 16 §3) older than RECORDING_RETENTION_DAYS lose their file, nightly
    "call-recordings-catch-up": {"task": "qualification.tasks.call_recordings_catch_up", "schedule": 600},
    "call-recordings-retention": {
        "task": "qualification.tasks.call_recordings_expire",
        "schedule": crontab(hour=env.int("RECORDING_RETENTION_HOUR", default=3), minute=45),
    },
    # call quality reviews (issue 16 §4): Mondays 06:00, last week's sample in every qualification team
    "call-review-samples": {
        "task": "qualification.tasks.call_review_samples_draw",
        "schedule": crontab(day_of_week="mon", hour=env.int("CALL_REVIEW_DRAW_HOUR", default=6), minute=0),
    },
}

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["leadflow.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["leadflow.api.authentication.HasIntakeToken"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leadflow API",
    "DESCRIPTION": "Lead intake and telephony webhooks. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Leadflow -----------------------------------------------------------------------------------
# Personal data (152-ФЗ, docs/security.md). The intake form's consent links to PRIVACY_POLICY_URL; empty =
# the app's own /privacy/ page (templates/leadflow/privacy_policy.html, naming PRIVACY_OPERATOR_NAME).
# Absolute links in e-mails (the weekly digest) start with this: the address people open the CRM at.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
PRIVACY_POLICY_URL = env.str("PRIVACY_POLICY_URL", default="")
PRIVACY_POLICY_VERSION = env.str("PRIVACY_POLICY_VERSION", default="1")  # stored with every consent
PRIVACY_OPERATOR_NAME = env.str("PRIVACY_OPERATOR_NAME", default="Leadflow")
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="")
# Disqualified and lost leads are anonymised this many days after they closed (the daily beat task)
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=365)
INTAKE_FORM_RATE = env.str("INTAKE_FORM_RATE", default="10/m")  # per client IP, shared cache
# Behind a reverse proxy, the header that carries the client's address (e.g. HTTP_X_REAL_IP);
# empty = REMOTE_ADDR. Only set it when the proxy overwrites the header, or clients can spoof it.
INTAKE_CLIENT_IP_HEADER = env.str("INTAKE_CLIENT_IP_HEADER", default="") or None
# Per API token (a token's own rate_limit overrides it); over it: JSON 429 with Retry-After
API_TOKEN_RATE = env.str("API_TOKEN_RATE", default="600/m")
# A rotated token's old key keeps working this long, so the client can switch without a gap
API_TOKEN_ROTATION_OVERLAP_HOURS = env.int("API_TOKEN_ROTATION_OVERLAP_HOURS", default=24)
# A telephony event for a call that started longer ago than this is refused (a PBX redelivers within hours).
TELEPHONY_EVENT_MAX_AGE_HOURS = env.int("TELEPHONY_EVENT_MAX_AGE_HOURS", default=24)
# A PBX notification (Mango, Zadarma) dated longer ago than this is a replay and refused; a redelivery
# inside it is answered as a duplicate and changes nothing.
PBX_EVENT_MAX_AGE_MINUTES = env.int("PBX_EVENT_MAX_AGE_MINUTES", default=120)
# Sanity at entry (sales.sanity): a contract amount below/above this many times the quote needs the
# rep's explicit confirmation; a contract date may precede the measurement by at most this many days.
SALES_AMOUNT_CONFIRM_BELOW = env.str("SALES_AMOUNT_CONFIRM_BELOW", default="0.5")
SALES_AMOUNT_CONFIRM_ABOVE = env.str("SALES_AMOUNT_CONFIRM_ABOVE", default="2")
SALES_CONTRACT_DAYS_BEFORE_MEASUREMENT = env.int("SALES_CONTRACT_DAYS_BEFORE_MEASUREMENT", default=30)
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DJANGO_TABLES2_PAGE_RANGE = 8

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
