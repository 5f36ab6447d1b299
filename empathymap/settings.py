"""Settings for empathymap, read from the environment (see README, "Configuration")."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key while DEBUG is off. "
        "Set SECRET_KEY in the environment (or DEBUG=1 on a laptop)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
ALLOW_SIGNUP = DEBUG or env_bool("ALLOW_SIGNUP", False)
HTTPS = env_bool("HTTPS", False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "maps",
    "research",
]

MIDDLEWARE = [
    # /healthz first: before the host check, the HTTPS redirect and every login (health.py).
    "empathymap.health.HealthCheckMiddleware",
    "empathymap.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "empathymap.middleware.MethodNotAllowedPageMiddleware",
    "empathymap.middleware.RefuseHostileInputMiddleware",
    "empathymap.login_limits.LoginAttemptMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "empathymap.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "empathymap.asgi.application"

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
                "empathymap.context.site",
                "maps.workshop.context.mentions",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Statements sent through a server-binding cursor are prepared on their fifth run in a
    # connection (psycopg's default; Django's is never), with a generic plan: the live board's
    # note ops use one (maps.selectors.statement_cursor), and PostgreSQL does not plan their
    # reads again. Only those statements are prepared. 0 turns it off, for a pooler that cannot
    # keep prepared statements or pass `options` (PgBouncer before 1.21).
    threshold = env_int("DB_PREPARE_THRESHOLD", 5)
    if threshold:
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["prepare_threshold"] = threshold
        options["options"] = (
            options.get("options", "") + " -c plan_cache_mode=force_generic_plan"
        ).strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing at once; WAL lets reads go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }

# Background work (research/tasks.py): tasks are rows in the database until a worker process
# (`manage.py db_worker`) runs them. TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend
# runs them in the web process instead, at once (no worker; an import then waits for them).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis' layer, whose group sends can leave out the sender's own feed.
            "BACKEND": "empathymap.channel_layers.RedisChannelLayer",
            "CONFIG": {
                # Timeouts, so that a hung Redis fails a broadcast instead of stalling the
                # process; the read timeout stays above channels_redis' 5 s blocking pops.
                "hosts": [
                    {"address": REDIS_URL, "socket_connect_timeout": 2, "socket_timeout": 15}
                ],
                "capacity": env_int("CHANNEL_CAPACITY", 1000),
                "expiry": 30,
                "group_expiry": 3600,
                # A pytest-xdist worker's databases restart map ids at 1 like any other's: its
                # groups and presence keys get a prefix of their own (the variable is set only
                # in a worker, and its daphne subprocesses inherit it).
                "prefix": env_str("CHANNEL_PREFIX", "empathymap")
                + env_str("PYTEST_XDIST_WORKER", ""),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out account or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins (login page, admin, token endpoint; empathymap/login_limits.py): after
# LOGIN_FAILURE_LIMIT failures for one username, or from one address, logins from there are
# refused for LOGIN_LOCKOUT_MINUTES. A success resets the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# The client's address: the socket's, unless TRUSTED_PROXIES proxies (nginx) sit in front, whose
# X-Forwarded-For is then read; a client cannot pick its own address with the header otherwise.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
if TRUSTED_PROXIES:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# Evidence items one import may create (rows, turns): past it the file is refused with 400.
IMPORT_MAX_ITEMS = env_int("IMPORT_MAX_ITEMS", 20_000)
# Where the library page keeps an uploaded file while it asks about new segments (an hour
# at most; shared between web processes if there are several hosts).
IMPORT_PENDING_DIR = env_str(
    "IMPORT_PENDING_DIR", str(Path(tempfile.gettempdir()) / "empathymap-pending-imports")
)
# Any request body over this is refused with 413 before it is read (empathymap/asgi_limits.py).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", IMPORT_MAX_BYTES + 1024 * 1024)
# Bodies and uploaded files past these sizes go to temporary files, not memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
# Caps per map (maps/limits.py): live notes (the recycle bin does not count) and comments.
# A write past one is refused with 400 (`too_many_notes`, `too_many_comments`), an import or
# duplicate that would pass it creates nothing.
MAX_NOTES_PER_MAP = env_int("MAX_NOTES_PER_MAP", 2000)
MAX_COMMENTS_PER_MAP = env_int("MAX_COMMENTS_PER_MAP", 10_000)
# The persona picture of a map is stored in the database: this is its limit in bytes.
PERSONA_PICTURE_MAX_BYTES = env_int("PERSONA_PICTURE_MAX_BYTES", 512 * 1024)

REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous caller with the first class's challenge, and only
    # a class with one (Token) makes that the contract's 401 rather than a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "empathymap.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "empathymap.parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_RATE", "6000/minute"),
        "token": env_str("TOKEN_RATE", "30/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "empathymap API",
    "DESCRIPTION": "Empathy maps whose notes show the research behind them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "empathymap.schema.add_common_responses",
    ],
    # Two choice sets share the field name "kind": name both, keeping the source kinds' name.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "research.models.SourceKind",
        "TeamSignalKindEnum": "maps.api.TEAM_SIGNAL_KINDS",
        "NoteStanceEnum": "maps.models.StanceValue",
        "StanceEnum": "research.models.Stance",
    },
}

# Websocket tuning (see maps/consumers.py).
WS_SEND_QUEUE_LIMIT = env_int("WS_SEND_QUEUE_LIMIT", 500)
WS_CURSOR_RATE = env_int("WS_CURSOR_RATE", 20)
PRESENCE_TTL_SECONDS = env_int("PRESENCE_TTL_SECONDS", 30)
# Threads for the sockets' database work, each keeping its connection (maps/db_threads.py);
# 0: 4 on PostgreSQL, 1 on SQLite.
WS_DB_THREADS = env_int("WS_DB_THREADS", 0)
# A burst of joins and leaves on a map becomes one presence message per interval (longer on a
# crowded map, at most a heartbeat: maps/feeds.py).
WS_PRESENCE_INTERVAL_MS = env_int("WS_PRESENCE_INTERVAL_MS", 250)
# Limits per socket (maps/socket_limits.py): a larger message closes it with 4009; ops and
# resumes past WS_OP_RATE a second (bursts of WS_OP_BURST) are refused with `rate_limited`;
# a user's sockets to one process past WS_MAX_CONNECTIONS_PER_USER are closed with 4429.
WS_MAX_MESSAGE_BYTES = env_int("WS_MAX_MESSAGE_BYTES", 64 * 1024)
WS_OP_RATE = env_int("WS_OP_RATE", 50)
WS_OP_BURST = env_int("WS_OP_BURST", 200)
WS_MAX_CONNECTIONS_PER_USER = env_int("WS_MAX_CONNECTIONS_PER_USER", 20)

if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if host != "*"]
else:
    CSRF_TRUSTED_ORIGINS = [
        f"http://{host}{port}"
        for host in ALLOWED_HOSTS
        if host != "*"
        for port in ("", ":8000", f":{env_str('PORT', '8000')}")
    ]

# Content-Security-Policy on every response (django-csp): scripts and styles only from files this
# site serves, so no inline <script>, event handler attribute or style attribute runs; no
# framing. The websocket is same-origin ('self' covers ws: and wss: in CSP Level 3 browsers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Swagger UI draws some of its icons as data: images.
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# LOG_FORMAT=json: one JSON object per line (for a log collector); text: for people. Every line
# carries the request id (empathymap/request_log.py); one line per request at INFO from
# the "empathymap.request" logger (REQUEST_LOG_LEVEL=WARNING silences them).
LOG_FORMAT = env_str("LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "empathymap.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "empathymap.request_log.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "empathymap.request": {"level": env_str("REQUEST_LOG_LEVEL", "INFO")},
    },
}
