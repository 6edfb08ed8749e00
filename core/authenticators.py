"""How every WebSocket endpoint authenticates, through chanx's bridge to DRF."""

from chanx.channels.authenticator import DjangoAuthenticator
from chanx.core.authenticator import Credential
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny


class SiteAuthenticator(DjangoAuthenticator):
    """
    Browsers authenticate with the session cookie, other clients with
    `Authorization: Token <key>`; anyone may connect unless a subclass's
    permissions say otherwise. Listing the token first makes a missing login
    a 401 (close 4401) where a permission requires one.
    """

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]
    credentials = [
        Credential("sessionid", "cookie", "Django session of a browser (a user or a guest)."),
        Credential("Authorization", "header", "`Token <key>` for non-browser clients."),
    ]
