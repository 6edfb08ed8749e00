"""What a signed-in socket checks to know its credentials still stand."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from core.credentials import SignedIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice")


def signed_in_session(user: User) -> tuple[Client, SignedIn]:
    client = Client()
    client.force_login(user)
    return client, SignedIn(user.pk, session_key=client.session.session_key)


def test_a_live_session_and_a_live_token_are_valid(alice: User) -> None:
    _, by_session = signed_in_session(alice)
    by_token = SignedIn(alice.pk, token_key=Token.objects.create(user=alice).key)

    assert by_session.still_valid()
    assert by_token.still_valid()


def test_a_session_logged_out_is_not(alice: User) -> None:
    client, signed_in = signed_in_session(alice)

    client.logout()

    assert not signed_in.still_valid()


def test_a_session_now_signed_in_as_someone_else_is_not(alice: User) -> None:
    client, signed_in = signed_in_session(alice)

    client.force_login(User.objects.create_user("bob"))

    assert not SignedIn(alice.pk, session_key=client.session.session_key).still_valid()
    assert not signed_in.still_valid()


def test_a_deleted_token_is_not(alice: User) -> None:
    token = Token.objects.create(user=alice)
    signed_in = SignedIn(alice.pk, token_key=token.key)

    token.delete()

    assert not signed_in.still_valid()


def test_nothing_is_valid_for_a_deactivated_account(alice: User) -> None:
    _, signed_in = signed_in_session(alice)

    alice.is_active = False
    alice.save()

    assert not signed_in.still_valid()


def test_signed_in_sockets_hear_of_their_user_and_of_their_session_or_token() -> None:
    by_session = SignedIn(7, session_key="s3ss10n").groups()
    by_token = SignedIn(7, token_key="t0k3n").groups()

    assert by_session[0] == by_token[0] == "user.7"
    assert by_session[1].startswith("session.")
    assert by_token[1].startswith("token.")
    assert "s3ss10n" not in by_session[1]
    assert "t0k3n" not in by_token[1]
