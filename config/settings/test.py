"""Test settings: fast hashing, completion frames, and no Redis probing."""

import os
import tempfile
from pathlib import Path

from core.layers import IN_MEMORY_LAYER

from .base import *  # noqa: F403
from .base import env_list

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

# Authentication runs in a worker thread during the handshake; a slow hasher
# makes it miss the test client's wait.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test's database access is allowed or refused by pytest-django; a kept
# connection would be health-checked in the next test, allowed or not.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405

# Tests pick the layer explicitly (see tests/conftest.py): in-memory by
# default, real Redis where a test asks for it.
CHANNEL_LAYERS = {"default": IN_MEMORY_LAYER}
CHANNEL_LAYER_SUMMARY = "channel layer: in-memory (test settings)"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")

# Tests await the `complete` frame chanx sends after each handled message.
CHANX = {**CHANX, "SEND_COMPLETION": True}  # noqa: F405

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the finders, as in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Jobs run in threads of the test process unless a test starts a Celery worker.
JOBS_BACKEND = "inprocess"
JOB_STEP_DELAY = 0.05
_TMP = Path(tempfile.mkdtemp(prefix="relay-test-"))
MEDIA_ROOT = _TMP / "media"

# A file, not SQLite's shared-cache memory database: job threads write while tests
# read, and a file database waits for its lock where shared cache fails at once.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / "test.sqlite3")}  # noqa: F405
