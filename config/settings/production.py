"""
Production: everything secret or host-specific comes from the environment.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL.
`python manage.py check --deploy` is clean with these settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from core.logs import rendered_by_structlog
from core.media import media_storage

from .base import *  # noqa: F403
from .base import LOGGING

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
# Uploaded files (the chat's attachments): local files, or S3 when S3_BUCKET is set.
STORAGES = {
    "default": media_storage(os.environ),
    "staticfiles": {"BACKEND": "core.storage.StaticFilesStorage"},
}

# Server processes and workers reach one another only through Redis: without
# it each process would serve its own clients alone, on the in-memory layer.
if not os.environ.get("REDIS_URL"):
    raise ImproperlyConfigured(
        "REDIS_URL is required in production: the channel layer and the job broker "
        "that every server process and worker share."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "true") == "true"
# Load balancers probe the health check over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Cookies travel over HTTPS only; DJANGO_SECURE_COOKIES=false is for a plain-HTTP
# local stack (docker-compose.yml) and nothing else.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = (
    os.environ.get("DJANGO_SECURE_COOKIES", "true") == "true"
)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# One JSON object a line, for whatever collects the logs.
LOGGING = rendered_by_structlog(LOGGING, json=True)
