from django.contrib import admin

from assistants.models import Conversation, Turn


class TurnInline(admin.TabularInline[Turn, Conversation]):
    model = Turn
    extra = 0
    fields = ["role", "status", "content", "error", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = ["title", "owner", "guest_id", "created_at", "updated_at"]
    search_fields = ["title", "owner__username", "turns__content"]
    list_select_related = ["owner"]
    inlines = [TurnInline]
