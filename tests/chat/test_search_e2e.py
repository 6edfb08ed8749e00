"""Search on PostgreSQL: the same answers as on SQLite, from its full-text index."""

import json
import secrets
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.support.servers import ServerProcess, manage

SEED = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from chat import services
from chat.participants import participant_for
ann = User.objects.create_user("{ann}")
ben = User.objects.create_user("{ben}")
Token.objects.create(user=ben, key="{token}")
services.create_private_room(owner=ann, name="{team}", member_usernames=[])
for room, body in [("{team}", "the launch plan"), ("{lobby}", "Launch party at noon"),
                   ("{lobby}", "dinner at eight")]:
    services.post_message(room_name=room, user=ann, body=body, client_id=body,
        author=participant_for(ann, guest_id=None, guest_name=None, connection="seed"))
"""
EXPLAIN = """
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from chat import search
sql, params = search.matching("launch par", AnonymousUser()).query.sql_with_params()
with connection.cursor() as cursor:
    cursor.execute("SET enable_seqscan = off")  # a tiny table would be read whole anyway
    cursor.execute("EXPLAIN " + sql, params)
    print("\\n".join(row[0] for row in cursor.fetchall()))
"""


@pytest.fixture(scope="module")
def seeded(pg_server: ServerProcess) -> dict[str, str]:
    names = {name: f"{name}-{secrets.token_hex(4)}" for name in ("ann", "ben", "team", "lobby")}
    token = secrets.token_hex(20)
    manage(pg_server.env, "shell", "-c", SEED.format(token=token, **names))
    return {**names, "token": token}


def searched(server: ServerProcess, query: str, token: str | None = None) -> Any:
    url = f"{server.http_url}/api/chat/search/?{urllib.parse.urlencode({'q': query})}"
    headers = {"Authorization": f"Token {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as reply:
        return json.loads(reply.read())


def test_every_word_the_last_as_a_prefix_in_the_public_rooms(
    pg_server: ServerProcess, seeded: dict[str, str]
) -> None:
    results = searched(pg_server, "LAUNCH par")["results"]

    assert [(r["room"], r["message"]) for r in results] == [
        (seeded["lobby"], "Launch party at noon")
    ]
    assert searched(pg_server, "launch dinner")["results"] == []


def test_a_private_room_is_searched_by_its_members_only(
    pg_server: ServerProcess, seeded: dict[str, str]
) -> None:
    as_ben = searched(pg_server, "launch", seeded["token"])["results"]

    assert [r["room"] for r in as_ben] == [seeded["lobby"]]


def test_the_query_is_answered_from_the_full_text_index(pg_server: ServerProcess) -> None:
    plan = manage(pg_server.env, "shell", "-c", EXPLAIN)

    assert "messages_search" in plan, plan
