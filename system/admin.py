from django.contrib import admin

from system.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ["task_type", "status", "progress", "owner", "created_at", "finished_at"]
    list_filter = ["status", "task_type"]
    search_fields = ["content", "owner__username", "error"]
    list_select_related = ["owner"]
    readonly_fields = ["heartbeat_at", "finished_at"]
