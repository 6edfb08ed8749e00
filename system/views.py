from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chat.selectors import room_access
from core.owners import owner_from_request
from system.jobs import export_path
from system.messages import CONTENT_MAX_LENGTH, NOTIFICATION_MAX_LENGTH
from system.models import Job
from system.services import job_of

EXPORT_FORMATS = {"markdown": ("md", "text/markdown"), "json": ("json", "application/json")}


def system_page(request: HttpRequest) -> HttpResponse:
    """Echo, jobs and notifications; the live parts are in static/js/system.js."""
    owner_from_request(request)  # gives an anonymous visitor the session their jobs belong to
    return render(
        request,
        "system/index.html",
        {
            "content_max_length": CONTENT_MAX_LENGTH,
            "notification_max_length": NOTIFICATION_MAX_LENGTH,
        },
    )


def download_export(request: HttpRequest, job_id: str, fmt: str) -> FileResponse:
    """A finished export, for its owner, while they may still read the room."""
    job = job_of(owner_from_request(request), job_id)
    if (
        job is None
        or fmt not in EXPORT_FORMATS
        or job.task_type != "export_transcript"
        or job.status != Job.Status.SUCCEEDED
        or not room_access(job.content, request.user).allowed
    ):
        raise Http404("No such export.")
    extension, content_type = EXPORT_FORMATS[fmt]
    path = export_path(str(job.pk), extension)
    if not path.is_file():
        raise Http404("The export file is gone.")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.content}-transcript.{extension}",
        content_type=content_type,
    )
