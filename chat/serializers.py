"""How rooms look to the user who asks: the API's answers and the chat page's first list."""

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers

from chat import selectors
from chat.models import Membership, Room


class RoomSerializer(serializers.ModelSerializer[Room]):
    """
    A room as the user in the context ("user") sees it. `title` is what to
    call it on a page: a direct room's name (dm-<id>-<id>) is internal, so
    its title is the other person's username.
    """

    title = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    admins = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = ["name", "kind", "title", "owner", "members", "admins"]

    def get_title(self, room: Room) -> str:
        viewer = self.context["user"]
        assert isinstance(viewer, AbstractBaseUser)
        return selectors.room_title(room, viewer)

    def get_owner(self, room: Room) -> str | None:
        return room.owner.get_username() if room.owner is not None else None

    def get_members(self, room: Room) -> list[str]:
        return sorted(m.user.get_username() for m in room.memberships.all())

    def get_admins(self, room: Room) -> list[str]:
        admins = (m for m in room.memberships.all() if m.role == Membership.Role.ADMIN)
        return sorted(m.user.get_username() for m in admins)
