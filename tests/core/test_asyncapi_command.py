"""
`manage.py asyncapi`: the committed copy of the AsyncAPI document is the one
the server serves, and the command says how to make it so when it is not.
"""

import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.management.commands.asyncapi import DOCUMENT_HOST, committed_path
from tests.support.servers import ServerProcess


def test_the_committed_document_is_the_one_a_running_server_serves(
    dev_server: ServerProcess,
) -> None:
    # A server process of its own: chanx collects message types in a registry for
    # the whole process, which test consumers elsewhere in this one add to.
    request = urllib.request.Request(
        f"{dev_server.http_url}/asyncapi/schema/?format=yaml", headers={"Host": DOCUMENT_HOST}
    )
    with urllib.request.urlopen(request, timeout=30) as served:
        document = served.read()

    assert document == committed_path().read_bytes(), (
        "schema/asyncapi.yaml is not what the server serves: run `make schema` and commit it"
    )


def test_writing_the_document_gives_a_copy_that_the_check_accepts(tmp_path: Path) -> None:
    with override_settings(BASE_DIR=tmp_path):
        call_command("asyncapi")
        call_command("asyncapi", check=True)

        assert committed_path().read_bytes().startswith(b"asyncapi: 3.0.0\n")


@pytest.mark.parametrize("copy", ["stale", "missing"])
def test_a_stale_or_missing_copy_fails_the_check_and_says_how_to_fix_it(
    tmp_path: Path, copy: str
) -> None:
    if copy == "stale":
        (tmp_path / "schema").mkdir()
        (tmp_path / "schema" / "asyncapi.yaml").write_text("asyncapi: 3.0.0\n")

    with override_settings(BASE_DIR=tmp_path), pytest.raises(CommandError, match="make schema"):
        call_command("asyncapi", check=True)
