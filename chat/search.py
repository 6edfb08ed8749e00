"""
Finding messages by their words, in the rooms a user may read.

Each database searches with its own index: on PostgreSQL a GIN index of
the messages' text (`to_tsvector('simple', body)`), on SQLite an FTS5
table the database keeps in step with the messages by triggers (both made
by migration 0007). A query means the same on both: every word must be
in the message, the last one as a prefix, so results come as you type;
words are matched whole and without regard to case, in any language
(no stemming: `run` does not find `running`; accents count: `cafe` does
not find `café`).
"""

import re

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from chat.models import Membership, Message, Room

RESULTS_MAX = 20
QUERY_MAX_LENGTH = 200
WORDS_MAX = 10
WORD = re.compile(r"\w+")
# Both this module and migration 0007 name the text searched: the same expression,
# or PostgreSQL would not use the index.
SEARCHED = SearchVector("body", config="simple")
FTS_TABLE = "chat_message_search"


def words(query: str) -> list[str]:
    """The words of a query, as the search matches them."""
    return WORD.findall(query[:QUERY_MAX_LENGTH].lower())[:WORDS_MAX]


def readable_messages(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Message]:
    """The messages (not changes, not deleted) of the rooms `user` may read now."""
    rooms = Q(room__kind=Room.Kind.PUBLIC)
    if user.is_authenticated:
        rooms |= Q(room__in=Membership.objects.filter(user_id=user.pk).values("room_id"))
    return Message.objects.filter(rooms, kind=Message.Kind.MESSAGE, deleted_at__isnull=True)


def search(
    query: str,
    user: AbstractBaseUser | AnonymousUser,
    *,
    room_name: str | None = None,
    limit: int = RESULTS_MAX,
) -> list[Message]:
    """The newest messages that have every word of `query`, in rooms `user` may read."""
    messages = matching(query, user, room_name=room_name)
    if messages is None:
        return []
    newest = messages.select_related("room").prefetch_related("room__memberships__user")
    return list(newest.order_by("-created_at", "-id")[:limit])


def matching(
    query: str, user: AbstractBaseUser | AnonymousUser, *, room_name: str | None = None
) -> QuerySet[Message] | None:
    """The messages `search` finds, unordered; None for a query with no words."""
    found = words(query)
    if not found:
        return None
    messages = readable_messages(user)
    if room_name is not None:
        messages = messages.filter(room__name=room_name)
    if connection.vendor == "postgresql":
        tsquery = " & ".join([*found[:-1], f"{found[-1]}:*"])
        matching = SearchQuery(tsquery, config="simple", search_type="raw")
        messages = messages.annotate(document=SEARCHED).filter(document=matching)
    else:
        match = " ".join([*(f'"{word}"' for word in found[:-1]), f'"{found[-1]}"*'])
        rowids = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        messages = messages.filter(id__in=rowids)
    return messages


# PostgreSQL's index, of exactly the expression `search` filters on, for messages only.
PG_INDEX = GinIndex(SEARCHED, name="messages_search", condition=Q(kind=Message.Kind.MESSAGE))


def fts_setup_sql() -> list[str]:
    """SQLite: the FTS5 table of the messages' text, and the triggers that keep it in step."""
    table = Message._meta.db_table
    message = Message.Kind.MESSAGE
    add = f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body);"
    remove = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body);"
    )
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(body, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON {table} "
        f"WHEN new.kind = '{message}' BEGIN {add} END",
        f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {table} "
        f"WHEN old.kind = '{message}' BEGIN {remove} END",
        f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF body ON {table} "
        f"WHEN old.kind = '{message}' BEGIN {remove} {add} END",
        f"INSERT INTO {FTS_TABLE}(rowid, body) SELECT id, body FROM {table} "
        f"WHERE kind = '{message}'",
    ]


def fts_teardown_sql() -> list[str]:
    triggers = [
        f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{when}" for when in ("insert", "delete", "update")
    ]
    return [*triggers, f"DROP TABLE IF EXISTS {FTS_TABLE}"]
