from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from chat import moderation
from chat.models import (
    Attachment,
    Membership,
    Mention,
    Message,
    ModerationAction,
    Mute,
    Reaction,
    ReadState,
    Report,
    Room,
)
from chat.services import ChatError


class MembershipInline(admin.TabularInline[Membership, Room]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = ["name", "kind", "owner", "last_seq", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["room", "seq", "kind", "target_seq", "author_name", "is_guest", "created_at"]
    list_filter = ["kind", "is_guest", "room__kind"]
    search_fields = ["body", "author_name", "room__name", "author__username"]
    list_select_related = ["room"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["room", "user", "role", "added_at"]
    list_filter = ["role"]
    search_fields = ["room__name", "user__username"]
    list_select_related = ["room", "user"]


@admin.register(ReadState)
class ReadStateAdmin(admin.ModelAdmin[ReadState]):
    list_display = ["user", "room", "last_read_seq", "updated_at"]
    search_fields = ["room__name", "user__username"]
    list_select_related = ["room", "user"]
    readonly_fields = ["updated_at"]


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin[Reaction]):
    list_display = ["message", "emoji", "user", "created_at"]
    search_fields = ["message__room__name", "user__username"]
    list_select_related = ["message__room", "user"]
    raw_id_fields = ["message"]


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin[Mention]):
    list_display = ["room", "seq", "user"]
    search_fields = ["room__name", "user__username"]
    list_select_related = ["room", "user"]
    raw_id_fields = ["message"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    """Files as uploaded: their rows only; a file changes with its message, not here."""

    list_display = ["name", "room", "uploader", "content_type", "size", "message", "created_at"]
    list_filter = ["content_type"]
    search_fields = ["name", "room__name", "uploader__username"]
    list_select_related = ["room", "uploader", "message__room"]
    raw_id_fields = ["message"]
    readonly_fields = ["file", "thumbnail", "content_type", "size", "width", "height"]


def _acting_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "the admin is for signed-in staff"
    return request.user


class ReadOnly:
    """Rows written by the chat, where they are audited, and only read here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ReadOnly, admin.ModelAdmin[Report]):
    """
    The moderation queue: reported messages, open ones first. Deleting a
    message goes through the chat, so every client sees the tombstone; both
    actions are audited (Moderation actions).
    """

    list_display = [
        "created_at",
        "room",
        "seq",
        "excerpt",
        "author",
        "reporter",
        "reason",
        "status",
    ]
    list_filter = ["status"]
    search_fields = ["reason", "message__body", "message__room__name", "reporter__username"]
    list_select_related = ["message__room", "reporter"]
    readonly_fields = ["message", "reporter", "reason", "created_at", "handled_by", "handled_at"]
    fields = [*readonly_fields, "status"]
    actions = ["delete_messages", "dismiss"]
    ordering = ["-status", "-created_at"]  # "open" after "dismissed" and "deleted"

    @admin.display(ordering="message__room__name")
    def room(self, report: Report) -> str:
        return report.message.room.name

    @admin.display(ordering="message__seq")
    def seq(self, report: Report) -> int:
        return report.message.seq

    @admin.display(description="message")
    def excerpt(self, report: Report) -> str:
        if report.message.deleted_at is not None:
            return "(deleted)"
        return report.message.body[:80]

    def author(self, report: Report) -> str:
        return report.message.author_name

    @admin.action(description="Delete the reported messages (a tombstone for everyone)")
    def delete_messages(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        try:
            deleted = moderation.delete_reported(queryset, actor=_acting_user(request))
        except ChatError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"Deleted {deleted} message(s).", messages.SUCCESS)

    @admin.action(description="Dismiss the reports, keeping the messages")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        try:
            dismissed = moderation.dismiss(queryset, actor=_acting_user(request))
        except ChatError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"Dismissed {dismissed} report(s).", messages.SUCCESS)


@admin.register(Mute)
class MuteAdmin(ReadOnly, admin.ModelAdmin[Mute]):
    """Mutes, in force or over; made and lifted in the chat."""

    list_display = ["room", "user", "until", "reason", "muted_by", "created_at"]
    search_fields = ["room__name", "user__username"]
    list_select_related = ["room", "user", "muted_by"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin[ModerationAction]):
    """The audit: read only, for everyone, superusers too."""

    list_display = [
        "created_at",
        "actor_name",
        "kind",
        "room_name",
        "subject_name",
        "seq",
        "detail",
    ]
    list_filter = ["kind"]
    search_fields = ["actor_name", "room_name", "subject_name", "detail"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
