from django.contrib import admin

from chat.models import Attachment, Membership, Mention, Message, Reaction, ReadState, Room


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
    list_display = ["room", "user", "added_at"]
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
