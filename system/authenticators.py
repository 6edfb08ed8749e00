"""Who may use /ws/system/: everyone; jobs belong to a user or a browser session."""

from chanx.channels.authenticator import DjangoAuthenticator
from chanx.core.authenticator import Credential
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny


class SystemAuthenticator(DjangoAuthenticator):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]
    credentials = [
        Credential("sessionid", "cookie", "Django session: a user's or a guest's jobs."),
        Credential("Authorization", "header", "`Token <key>` for non-browser clients."),
    ]
