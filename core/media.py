"""Where uploaded files are kept: chosen from the environment by the settings."""

from collections.abc import Mapping
from typing import Any


def media_storage(env: Mapping[str, str]) -> dict[str, Any]:
    """
    The storage of uploaded files (Django's STORAGES["default"]): an
    S3-compatible bucket when S3_BUCKET is set, through django-storages
    (S3_ENDPOINT_URL for a service other than AWS; credentials as boto3
    finds them: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the
    machine's role); otherwise files under MEDIA_ROOT.
    """
    bucket = env.get("S3_BUCKET")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": env.get("S3_ENDPOINT_URL") or None,
        "region_name": env.get("S3_REGION") or None,
        "location": env.get("S3_PREFIX", "media"),
        # Private objects: the app checks each download, then redirects to a
        # URL signed for a few minutes.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "signature_version": "s3v4",
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
