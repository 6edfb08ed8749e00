"""
Settings shared by every environment.

Values that differ between machines come from the environment; each
environment module (dev, test, production) layers its own choices on top.
"""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext

from core.layers import channel_layer_config
from core.logs import rendered_by_structlog
from core.media import media_storage

# Lets classes such as ModelAdmin[Room] be subscripted at run time, as the type checker wants.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated environment variable as a list, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "chanx.channels",
    "core",
    "chat",
    "assistants",
    "system",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "core.context_processors.websocket",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (postgres://...) switches engines.
# Connections are kept for a minute (checked before reuse): a new PostgreSQL
# connection for every query cost each chat message milliseconds, in the one
# thread that runs every consumer's queries.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts: concurrent writers then
    # queue instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
# On PostgreSQL, a chat message is stored from the event loop, on a pool of
# at most this many connections per server process (see core.pg); 0 sends
# it through Django's database thread like every other query.
DATABASE_LOOP_POOL_SIZE = int(os.environ.get("DATABASE_LOOP_POOL_SIZE", "4"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat:index"
LOGOUT_REDIRECT_URL = "chat:index"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: our own under static/, third-party browser code from node_modules
# (installed by `npm ci`) under static/vendor/. WhiteNoise serves them under any
# ASGI server.
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
NODE_MODULES = BASE_DIR / "node_modules"
ASYNCAPI_ASSETS_DIR = NODE_MODULES / "@asyncapi" / "react-component"
VENDOR_ASSETS = {
    "vendor/asyncapi": ASYNCAPI_ASSETS_DIR / "browser" / "standalone",
    "vendor/asyncapi/styles": ASYNCAPI_ASSETS_DIR / "styles",
    "vendor/marked": NODE_MODULES / "marked" / "lib",
    "vendor/dompurify": NODE_MODULES / "dompurify" / "dist",
}
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
STATICFILES_DIRS += [(prefix, path) for prefix, path in VENDOR_ASSETS.items() if path.is_dir()]
# Uploaded files (the chat's attachments): local files, or S3 when S3_BUCKET is set.
STORAGES = {
    "default": media_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Channels: Redis when REDIS_URL is set or a Redis answers at the default
# address, otherwise the in-memory layer (one process only).
REDIS_URL = os.environ.get("REDIS_URL") or None
# The pub/sub layer drops nothing when consumers fall behind; CHANNEL_LAYER_KIND=lists
# selects the list-based one.
CHANNEL_LAYERS, CHANNEL_LAYER_SUMMARY = channel_layer_config(
    REDIS_URL,
    prefix=os.environ.get("CHANNEL_LAYER_PREFIX", "relay"),
    kind=os.environ.get("CHANNEL_LAYER_KIND", "pubsub"),
)

# WebSocket handshakes from a browser must come from one of these origins
# (scheme-less entries match any scheme and port; a leading dot matches
# subdomains). Defaults to ALLOWED_HOSTS. A handshake without an Origin
# header is not from a browser and is allowed; see README "Origin policy".
WEBSOCKET_ALLOWED_ORIGINS = env_list("DJANGO_WEBSOCKET_ALLOWED_ORIGINS")

# No endpoint parses a frame larger than this (see core.frames): above the
# largest frame any endpoint accepts (the echo's 512 KiB), below daphne's own
# 1 MiB protocol limit.
WEBSOCKET_MAX_FRAME_BYTES = int(os.environ.get("WEBSOCKET_MAX_FRAME_BYTES", str(768 * 1024)))

# Signed-in sockets close as soon as their session, token or account ends
# (see core.credentials); as a backstop each also rechecks this often (seconds).
WEBSOCKET_CREDENTIALS_RECHECK = float(os.environ.get("WEBSOCKET_CREDENTIALS_RECHECK", "60"))

# A socket that sends nothing for this long (seconds) is closed with 4408;
# the pages say `ping` five times as often. 0 keeps silent sockets open.
WEBSOCKET_IDLE_TIMEOUT = float(os.environ.get("WEBSOCKET_IDLE_TIMEOUT", "300"))

# At most this many frames of one socket are handled at once; further frames
# wait unread, so a client that floods without reading is slowed down by TCP
# instead of filling this process's memory.
WEBSOCKET_MAX_IN_FLIGHT = int(os.environ.get("WEBSOCKET_MAX_IN_FLIGHT", "32"))

# How fast clients may send frames (see core.ratelimit), in the syntax of the
# `limits` package. The per-user count is shared by every server process
# through Redis when the channel layer is Redis.
WEBSOCKET_RATE_PER_CONNECTION = os.environ.get("WEBSOCKET_RATE_PER_CONNECTION", "100/10 seconds")
WEBSOCKET_RATE_PER_USER = os.environ.get("WEBSOCKET_RATE_PER_USER", "600/minute")
WEBSOCKET_RATE_STRIKES = os.environ.get("WEBSOCKET_RATE_STRIKES", "50/minute")
WEBSOCKET_RATE_NAMESPACE = os.environ.get("CHANNEL_LAYER_PREFIX", "relay")
WEBSOCKET_RATE_STORAGE = (
    "async+memory://"
    if CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    else "async+" + CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]
)

REST_FRAMEWORK = {
    # Token first: a request with no credentials gets 401 and a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.AllowAny",
    ],
}

CHANX: dict[str, object] = {
    "ASYNCAPI_TITLE": "Relay real-time API",
    "ASYNCAPI_DESCRIPTION": (
        "WebSocket API of Relay, a real-time Django application built on chanx. "
        "Every frame is a JSON object whose `action` names its type. "
        "After connecting, the server sends an `authentication` frame; on denial "
        "it closes with 4401 or 4403. Invalid frames are answered with an `error` "
        "frame and the connection stays open."
    ),
    "ASYNCAPI_VERSION": "1.0.0",
}
# The docs page loads its viewer from our static files, so it renders offline.
# Without `npm ci` it falls back to chanx's pinned CDN copy (start-up says so).
if ASYNCAPI_ASSETS_DIR.is_dir():
    CHANX["ASYNCAPI_DOCS_JS_URL"] = "vendor/asyncapi/index.js"
    CHANX["ASYNCAPI_DOCS_CSS_URL"] = "vendor/asyncapi/styles/default.min.css"

# Requests are logged by the server: daphne under runserver
# (`django.channels.server`), uvicorn in production. A logger named here loses
# the handlers Django or uvicorn gave it, which printed each line a second time.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Its warnings ("Not Found: /x") repeat the server's line of a 4xx; errors say more.
        "django.request": {"level": "ERROR"},
        # Levels as uvicorn's --log-level sets them.
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
        "relay": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# chanx logs through structlog, so structlog renders every line: readable here,
# JSON lines in production (config/settings/production.py); core.logs also
# drops what repeats a request's line.
LOGGING = rendered_by_structlog(LOGGING, json=False)

# Chat presence: a connection that misses heartbeats for CHAT_PRESENCE_TTL
# seconds is dropped, so a killed server's users leave within TTL + HEARTBEAT.
CHAT_PRESENCE_TTL = int(os.environ.get("CHAT_PRESENCE_TTL", "30"))
CHAT_PRESENCE_HEARTBEAT = float(os.environ.get("CHAT_PRESENCE_HEARTBEAT", "10"))
# Typing indicators are relayed at most once per interval per connection.
CHAT_TYPING_INTERVAL = 2.0
# A reconnecting client may resume from at most this many missed messages;
# further behind, it gets `resync_required` and a fresh history page.
CHAT_RESUME_LIMIT = 1000
CHAT_HISTORY_PAGE = 50
# A broadcast that overtook an earlier seq (two server processes racing)
# waits this long (seconds) for it before the gap is read from the database.
CHAT_GAP_WAIT = float(os.environ.get("CHAT_GAP_WAIT", "0.1"))
# On a channel layer that drops events past a channel's capacity (the
# list-based and in-memory ones), a connection whose room moved and then
# went quiet for this long (seconds) checks that it missed nothing at the
# end; 0 never checks.
CHAT_TAIL_CHECK = float(os.environ.get("CHAT_TAIL_CHECK", "2"))
# Every this many seconds each server process reads the newest seq of the rooms
# its connections follow; one that stays behind for a whole interval reads what
# it missed (a message stored by a process that died before broadcasting it).
# 0 never checks (chat/heads.py).
CHAT_HEAD_CHECK = float(os.environ.get("CHAT_HEAD_CHECK", "2"))
# How stale a server process's list of the mutes in force may grow (chat.mutes).
CHAT_MUTE_CHECK = float(os.environ.get("CHAT_MUTE_CHECK", "2"))

# The assistant. Offline by default: it answers from the documentation below.
# ASSISTANT_BACKEND=openai (implied by OPENAI_API_KEY or OPENAI_BASE_URL) uses any
# OpenAI-compatible server: OpenAI, Ollama, vLLM, LM Studio...
ASSISTANT_DOCS = [BASE_DIR / "README.md", BASE_DIR / "docs"]
ASSISTANT_OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL") or None
ASSISTANT_OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY") or "not-needed-for-local-servers"
ASSISTANT_OPENAI_MODEL = os.environ.get("ASSISTANT_MODEL", "gpt-4o-mini")
ASSISTANT_OPENAI_TIMEOUT = float(os.environ.get("ASSISTANT_TIMEOUT", "60"))
ASSISTANT_BACKEND = os.environ.get("ASSISTANT_BACKEND") or (
    "openai" if os.environ.get("OPENAI_API_KEY") or ASSISTANT_OPENAI_BASE_URL else "docs"
)
# Pause between streamed words of the offline assistant, so it reads like a model.
ASSISTANT_TOKEN_DELAY = float(os.environ.get("ASSISTANT_TOKEN_DELAY", "0.02"))
# A streaming answer is saved this often, so a reload shows what was streamed.
ASSISTANT_SAVE_EVERY = 0.5
# An answer still "streaming" but untouched this long belonged to a process that died.
ASSISTANT_STALE_AFTER = 120
ASSISTANT_HISTORY_TURNS = 20

# Background jobs run on Celery with Redis as the broker. Without a broker
# (no Redis, or JOBS_BACKEND=inprocess) they run in the server process, in
# worker threads off the event loop, and start-up says so.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or (
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]
    if CHANNEL_LAYERS["default"]["BACKEND"] != "channels.layers.InMemoryChannelLayer"
    else None
)
JOBS_BACKEND = os.environ.get("JOBS_BACKEND") or ("celery" if CELERY_BROKER_URL else "inprocess")
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the Job model, not a result backend
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "relay-jobs")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Jobs report progress at least this often; one silent for JOB_STALE_AFTER seconds
# belonged to a worker that died and is marked failed.
JOB_HEARTBEAT = 1.0
JOB_STALE_AFTER = float(os.environ.get("JOB_STALE_AFTER", "15"))
# Pause between the steps of the demonstration jobs, so progress is visible.
JOB_STEP_DELAY = float(os.environ.get("JOB_STEP_DELAY", "0.3"))
JOB_EXPORT_BATCH = 1000
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
# Files sent in the chat: at most this large each (chat/files.py).
CHAT_ATTACHMENT_MAX_BYTES = int(os.environ.get("CHAT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
