"""The gate every chat connection passes, built on DRF authentication and permissions."""

from chanx.channels.authenticator import DjangoAuthenticator
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from chat.permissions import ValidRoomName


class ChatAuthenticator(DjangoAuthenticator):
    """Public rooms are open to everyone, anonymous included, if the room name is valid."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny, ValidRoomName]
