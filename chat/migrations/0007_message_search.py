"""
The index the chat's search uses, each database its own (see chat/search.py):
a GIN index of the messages' text on PostgreSQL, an FTS5 table kept in step
by triggers on SQLite, filled with the messages already stored.
"""

from typing import Any

from django.db import migrations

from chat import search


def add_index(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.add_index(apps.get_model("chat", "Message"), search.PG_INDEX)
    elif vendor == "sqlite":
        for statement in search.fts_setup_sql():
            schema_editor.execute(statement)


def remove_index(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("chat", "Message"), search.PG_INDEX)
    elif vendor == "sqlite":
        for statement in search.fts_teardown_sql():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("chat", "0006_attachments")]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
