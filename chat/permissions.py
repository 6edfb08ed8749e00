"""Who may connect to a chat room, checked by the authenticator before anything is sent."""

from typing import Any

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from chat.rooms import ROOM_NAME_RULE, is_valid_room_name
from chat.selectors import room_access


def _room_name(view: Any) -> str:
    return str(view.kwargs.get("room_name", ""))


class ValidRoomName(BasePermission):
    """Denies a connection whose URL names no valid room, saying what a valid name is."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """
        Runs during the handshake; `view.kwargs` holds the URL parameters.

        Raises rather than returning False: for an anonymous client DRF would
        replace a plain denial with "credentials were not provided".
        """
        if not is_valid_room_name(_room_name(view)):
            raise PermissionDenied(ROOM_NAME_RULE)
        return True


class RoomMember(BasePermission):
    """Public rooms admit everyone; private and direct rooms only their members."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Runs during the handshake, after ValidRoomName."""
        access = room_access(_room_name(view), request.user)
        if access.needs_login:
            raise NotAuthenticated(
                access.reason or "This room is private: log in as one of its members."
            )
        if not access.allowed:
            raise PermissionDenied(
                access.reason or "This room is private: only its members may enter."
            )
        return True
