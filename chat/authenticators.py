"""The gate every chat connection passes, built on DRF authentication and permissions."""

from chanx.channels.authenticator import DjangoAuthenticator
from chanx.core.authenticator import Credential
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from chat.permissions import RoomMember, ValidRoomName


class ChatAuthenticator(DjangoAuthenticator):
    """
    Browsers authenticate with the session cookie, other clients with
    `Authorization: Token <key>`; anonymous clients may enter public rooms.
    Listing the token first makes a missing login a 401 (close 4401).
    """

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [ValidRoomName, RoomMember]
    credentials = [
        Credential("sessionid", "cookie", "Django session of a signed-in browser."),
        Credential("Authorization", "header", "`Token <key>` for non-browser clients."),
    ]
