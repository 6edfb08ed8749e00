"""Who may connect to a chat room, checked by the authenticator before joining."""

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from chat.rooms import ROOM_NAME_RULE, is_valid_room_name


class ValidRoomName(BasePermission):
    """Denies a connection whose URL names no valid room, saying what a valid name is."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """
        Runs during the handshake; `view.kwargs` holds the URL parameters.

        Raises rather than returning False: for an anonymous client DRF would
        replace a plain denial with "credentials were not provided".
        """
        if not is_valid_room_name(str(view.kwargs.get("room_name", ""))):
            raise PermissionDenied(ROOM_NAME_RULE)
        return True
