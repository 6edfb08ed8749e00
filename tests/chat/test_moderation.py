"""Moderation: roles in private rooms, mutes, reports, and the audit of every action."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.test import Client
from django.utils import timezone

from chat import moderation, selectors, services
from chat.models import Membership, Message, ModerationAction, Mute, Report, Room
from tests.chat.test_message_changes import delete, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(db: None) -> User:
    return User.objects.create_user("cat")


@pytest.fixture
def vault(ann: User, ben: User, cat: User) -> Room:
    """Ann's private room, with Ben and Cat in it."""
    return services.create_private_room(owner=ann, name="vault", member_usernames=["ben", "cat"])


@pytest.fixture
def moderator(db: None) -> User:
    """A site moderator: not staff, given the permission."""
    user = User.objects.create_user("mod")
    user.user_permissions.add(Permission.objects.get(codename="moderate_room"))
    return User.objects.get(pk=user.pk)  # permissions are cached per instance


def audited() -> list[tuple[str, str, str, str]]:
    """The audit, oldest first: (actor, kind, room, subject)."""
    rows = ModerationAction.objects.order_by("pk")
    return [(a.actor_name, a.kind, a.room_name, a.subject_name) for a in rows]


class TestRoles:
    def test_the_owner_makes_a_member_an_admin_who_then_moderates_the_room(
        self, vault: Room, ann: User, ben: User
    ) -> None:
        assert not selectors.may_moderate(vault, ben)

        moderation.set_role(room_name="vault", actor=ann, username="ben", role="admin")

        assert selectors.role_in(vault, ben) == "admin"
        assert selectors.may_moderate(vault, ben)
        assert audited() == [("ann", "set_role", "vault", "ben")]

    def test_an_admin_adds_and_removes_members_but_not_other_admins(
        self, vault: Room, ann: User, ben: User, cat: User
    ) -> None:
        User.objects.create_user("dan")
        moderation.set_role(room_name="vault", actor=ann, username="ben", role="admin")
        moderation.set_role(room_name="vault", actor=ann, username="cat", role="admin")

        services.add_member(room_name="vault", actor=ben, username="dan")
        services.remove_member(room_name="vault", actor=ben, username="dan")
        with pytest.raises(services.NotAllowed, match="Only the room's owner may remove an admin"):
            services.remove_member(room_name="vault", actor=ben, username="cat")
        with pytest.raises(services.ChatError, match="owner cannot be removed"):
            services.remove_member(room_name="vault", actor=ben, username="ann")

        assert audited()[2:] == [
            ("ben", "add_member", "vault", "dan"),
            ("ben", "remove_member", "vault", "dan"),
        ]
        assert selectors.role_in(vault, cat) == "admin"

    def test_only_the_owner_changes_roles(self, vault: Room, ann: User, ben: User) -> None:
        moderation.set_role(room_name="vault", actor=ann, username="ben", role="admin")

        with pytest.raises(services.NotAllowed, match="Only the room's owner may change roles"):
            moderation.set_role(room_name="vault", actor=ben, username="cat", role="admin")

    def test_the_owner_hands_the_room_over_and_stays_as_an_admin(
        self, vault: Room, ann: User, ben: User
    ) -> None:
        moderation.set_role(room_name="vault", actor=ann, username="ben", role="owner")

        vault.refresh_from_db()
        assert vault.owner == ben
        assert (selectors.role_in(vault, ben), selectors.role_in(vault, ann)) == ("owner", "admin")

    def test_a_plain_member_manages_no_one(self, vault: Room, ben: User) -> None:
        with pytest.raises(services.NotAllowed):
            services.add_member(room_name="vault", actor=ben, username="cat")
        with pytest.raises(services.NotAllowed):
            services.remove_member(room_name="vault", actor=ben, username="cat")

    def test_a_member_who_leaves_is_not_recorded_as_moderated(
        self, vault: Room, ann: User, ben: User
    ) -> None:
        moderation.set_role(room_name="vault", actor=ann, username="ben", role="admin")

        services.remove_member(room_name="vault", actor=ben, username="ben")

        assert [kind for _, kind, _, _ in audited()] == ["set_role"]


class TestMutes:
    def test_a_muted_user_may_not_post_edit_or_react_but_may_delete_their_own(
        self, ann: User, ben: User, moderator: User
    ) -> None:
        seq = post("lobby", ben)

        moderation.mute(room_name="lobby", actor=moderator, username="ben", minutes=10)

        with pytest.raises(services.Muted, match="You are muted in this room until"):
            services.post_and_publish(room_name="lobby", user=ben, body="still here")
        with pytest.raises(services.Muted):
            services.edit_message(room_name="lobby", user=ben, seq=seq, body="x", client_id="e")
        with pytest.raises(services.Muted):
            services.react(
                room_name="lobby", user=ben, seq=seq, emoji="👍", remove=False, client_id="r"
            )
        delete("lobby", ben, seq)
        services.post_and_publish(room_name="lobby", user=ann, body="others still post")

    def test_a_mute_ends_at_its_time_or_when_lifted(self, ben: User, moderator: User) -> None:
        post("lobby", ben)
        moderation.mute(room_name="lobby", actor=moderator, username="ben", minutes=10)
        lobby = Room.objects.get(name="lobby")

        Mute.objects.update(until=timezone.now() - timedelta(seconds=1))
        assert selectors.muted_until(lobby, ben) is None
        with pytest.raises(services.ChatError, match="ben is not muted"):
            moderation.unmute(room_name="lobby", actor=moderator, username="ben")

        moderation.mute(room_name="lobby", actor=moderator, username="ben", minutes=10)
        moderation.unmute(room_name="lobby", actor=moderator, username="ben")
        assert selectors.muted_until(lobby, ben) is None
        assert [kind for _, kind, _, _ in audited()] == ["mute", "mute", "unmute"]

    def test_only_the_room_s_moderators_mute_and_never_one_another(
        self, vault: Room, ann: User, ben: User, cat: User, moderator: User
    ) -> None:
        post("lobby", ann)
        with pytest.raises(services.NotAllowed):
            moderation.mute(room_name="lobby", actor=ann, username="ben", minutes=5)
        with pytest.raises(services.NotAllowed):
            moderation.mute(room_name="vault", actor=ben, username="cat", minutes=5)
        with pytest.raises(services.ChatError, match="mod moderates this room"):
            moderation.mute(room_name="vault", actor=ann, username="mod", minutes=5)
        with pytest.raises(services.ChatError, match="ann moderates this room"):
            moderation.mute(room_name="vault", actor=moderator, username="ann", minutes=5)

        moderation.mute(room_name="vault", actor=ann, username="cat", minutes=5)

    def test_a_direct_conversation_has_no_moderators(self, ann: User, ben: User) -> None:
        room = services.direct_room(user=ann, other_username="ben")

        with pytest.raises(services.ChatError, match="no moderators"):
            moderation.mute(room_name=room.name, actor=ann, username="ben", minutes=5)

    @pytest.mark.parametrize("minutes", [0, -1, moderation.MUTE_MINUTES_MAX + 1])
    def test_a_mute_s_length_is_bounded(self, ben: User, moderator: User, minutes: int) -> None:
        post("lobby", ben)

        with pytest.raises(services.ChatError, match="A mute lasts from 1 to"):
            moderation.mute(room_name="lobby", actor=moderator, username="ben", minutes=minutes)


class TestReports:
    def test_a_report_waits_in_the_queue_once_however_often_it_is_made(
        self, ann: User, ben: User
    ) -> None:
        seq = post("lobby", ann, "buy cheap watches")

        first, created = moderation.report(room_name="lobby", user=ben, seq=seq, reason="spam")
        again, created_again = moderation.report(room_name="lobby", user=ben, seq=seq, reason="!")

        assert (created, created_again, again.pk) == (True, False, first.pk)
        assert (again.status, again.reason) == (Report.Status.OPEN, "spam")

    @pytest.mark.parametrize(
        ("who", "seq", "reason", "refusal"),
        [
            ("ann", 1, "spam", "your own message"),
            ("ben", 9, "spam", "no message 9"),
            ("ben", 1, "  ", "Say why"),
            ("nobody", 1, "spam", "Log in"),
        ],
    )
    def test_a_report_that_cannot_be_taken_says_why(
        self, ann: User, ben: User, who: str, seq: int, reason: str, refusal: str
    ) -> None:
        post("lobby", ann)
        user = AnonymousUser() if who == "nobody" else User.objects.get(username=who)

        with pytest.raises(services.ChatError, match=refusal):
            moderation.report(room_name="lobby", user=user, seq=seq, reason=reason)

    def test_no_one_reports_what_they_may_not_read(self, vault: Room, ann: User) -> None:
        seq = post("vault", ann)
        outsider = User.objects.create_user("eve")

        with pytest.raises(services.NotAllowed):
            moderation.report(room_name="vault", user=outsider, seq=seq, reason="spam")

    def test_deleting_a_reported_message_handles_its_reports_and_is_audited(
        self, ann: User, ben: User, cat: User, moderator: User
    ) -> None:
        seq = post("lobby", ann, "rude words")
        for reporter in (ben, cat):
            moderation.report(room_name="lobby", user=reporter, seq=seq, reason="rude")

        deleted = moderation.delete_reported(Report.objects.all(), actor=moderator)

        assert deleted == 1
        assert set(Report.objects.values_list("status", "handled_by")) == {
            (Report.Status.DELETED, moderator.pk)
        }
        assert Message.objects.get(seq=seq).deleted_at is not None
        (action,) = ModerationAction.objects.all()
        assert (action.kind, action.subject_name, action.seq) == ("delete_message", "ann", seq)
        assert action.detail == "rude words (reported 2 times)"

    def test_a_message_reported_in_a_private_room_is_deleted_by_a_site_moderator(
        self, vault: Room, ann: User, ben: User, moderator: User
    ) -> None:
        seq = post("vault", ann, "rude words")
        moderation.report(room_name="vault", user=ben, seq=seq, reason="rude")

        assert moderation.delete_reported(Report.objects.all(), actor=moderator) == 1

    def test_dismissing_keeps_the_message_and_is_audited(
        self, ann: User, ben: User, moderator: User
    ) -> None:
        seq = post("lobby", ann, "a joke")
        moderation.report(room_name="lobby", user=ben, seq=seq, reason="rude")

        assert moderation.dismiss(Report.objects.all(), actor=moderator) == 1

        assert Report.objects.get().status == Report.Status.DISMISSED
        assert Message.objects.get(seq=seq).deleted_at is None
        assert audited() == [("mod", "dismiss_report", "lobby", "ann")]

    def test_reports_of_a_room_are_handled_only_by_its_moderators(
        self, vault: Room, ann: User, ben: User, cat: User
    ) -> None:
        seq = post("lobby", ann)
        moderation.report(room_name="lobby", user=ben, seq=seq, reason="rude")

        with pytest.raises(services.NotAllowed):
            moderation.dismiss(Report.objects.all(), actor=cat)
        with pytest.raises(services.ChatError):
            moderation.delete_reported(Report.objects.all(), actor=cat)

        assert Report.objects.get().status == Report.Status.OPEN
        assert audited() == []


class TestAudit:
    def test_deleting_someone_else_s_message_is_audited_and_one_s_own_is_not(
        self, vault: Room, ann: User, ben: User
    ) -> None:
        own, others = post("vault", ben), post("vault", ben, "off topic")

        delete("vault", ben, own)
        delete("vault", ann, others)

        assert audited() == [("ann", "delete_message", "vault", "ben")]

    def test_an_action_refused_leaves_no_record(self, vault: Room, ann: User) -> None:
        with pytest.raises(services.ChatError):
            moderation.set_role(room_name="vault", actor=ann, username="ben", role="king")

        assert audited() == []
        assert Membership.objects.get(user__username="ben").role == "member"

    def test_every_kind_of_moderation_action_has_a_way_to_be_recorded(
        self, vault: Room, ann: User, ben: User, cat: User, moderator: User
    ) -> None:
        User.objects.create_user("dan")
        seq = post("lobby", ann)
        moderation.report(room_name="lobby", user=ben, seq=seq, reason="rude")
        moderation.dismiss(Report.objects.all(), actor=moderator)
        moderation.set_role(room_name="vault", actor=ann, username="ben", role="admin")
        services.add_member(room_name="vault", actor=ann, username="dan")
        services.remove_member(room_name="vault", actor=ann, username="dan")
        moderation.mute(room_name="vault", actor=ann, username="cat", minutes=5)
        moderation.unmute(room_name="vault", actor=ann, username="cat")
        delete("lobby", moderator, seq)

        assert {kind for _, kind, _, _ in audited()} == set(ModerationAction.Kind.values)

    def test_the_record_outlives_the_room_and_the_people(
        self, vault: Room, ann: User, ben: User
    ) -> None:
        moderation.set_role(room_name="vault", actor=ann, username="ben", role="admin")

        vault.delete()
        ann.delete()
        ben.delete()

        assert audited() == [("ann", "set_role", "vault", "ben")]


class TestModerationOverHttp:
    def test_a_moderator_mutes_by_name_and_is_told_until_when(
        self, ben: User, moderator: User
    ) -> None:
        post("lobby", ben)
        client = Client()
        client.force_login(moderator)

        reply = client.post(
            "/api/chat/rooms/lobby/mutes/",
            {"username": "ben", "minutes": 30, "reason": "flooding"},
            "application/json",
        )

        assert reply.status_code == 201
        mute = Mute.objects.get()
        assert (mute.user, mute.reason, mute.muted_by) == (ben, "flooding", moderator)
        assert reply.json()["until"].startswith(mute.until.isoformat()[:16])

    def test_a_post_from_a_muted_user_over_http_is_refused_with_the_reason(
        self, ben: User, moderator: User
    ) -> None:
        post("lobby", ben)
        moderation.mute(room_name="lobby", actor=moderator, username="ben", minutes=5)
        client = Client()
        client.force_login(ben)

        reply = client.post(
            "/api/chat/rooms/lobby/messages/", {"message": "hi"}, "application/json"
        )

        assert reply.status_code == 403
        assert "You are muted in this room until" in reply.json()["detail"]

    def test_a_role_that_does_not_exist_is_refused_by_name(self, vault: Room, ann: User) -> None:
        client = Client()
        client.force_login(ann)

        reply = client.patch(
            "/api/chat/rooms/vault/members/ben/", {"role": "king"}, "application/json"
        )

        assert reply.status_code == 400
        assert "role" in reply.json()
