"""Who owns what an anonymous socket creates."""

from django.contrib.auth.models import AnonymousUser

from core.models import Owned
from core.owners import owner_from_scope


def test_a_socket_without_a_session_owns_by_a_short_digest_not_its_address() -> None:
    channel = (
        "relay-a-long-deployment-prefix.specific.0123456789abcdef0123456789abcdef!AbCdEfGh1234"
    )

    owner = owner_from_scope(AnonymousUser(), {}, channel)

    column = Owned._meta.get_field("guest_id")
    assert len(owner.guest_id) <= column.max_length  # type: ignore[operator]
    assert channel not in owner.guest_id
    assert owner == owner_from_scope(AnonymousUser(), {}, channel)
