"""The gate every chat connection passes, built on DRF authentication and permissions."""

from chat.permissions import RoomMember, ValidRoomName
from core.authenticators import SiteAuthenticator


class ChatAuthenticator(SiteAuthenticator):
    """Public rooms admit everyone, anonymous included; private rooms only their members."""

    permission_classes = [ValidRoomName, RoomMember]
