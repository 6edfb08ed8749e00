"""Production settings: deploy checks pass, and static files are served by any ASGI server."""

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core.layers import DEFAULT_REDIS_URL
from tests.support.servers import BASE_DIR, Server, manage, running_server, server_env
from tests.support.services import require_node_modules, unique_prefix


@pytest.fixture(scope="module")
def production_env(
    tmp_path_factory: pytest.TempPathFactory, e2e_redis_url: str | None
) -> dict[str, str]:
    workdir = tmp_path_factory.mktemp("production")
    env = server_env(
        workdir, settings="config.settings.production",
        redis_url=e2e_redis_url or DEFAULT_REDIS_URL,  # named, if not answering: static files only
        prefix=unique_prefix(),
    )  # fmt: skip
    env.update(
        DJANGO_SECRET_KEY="a-long-random-production-secret-for-tests-only-0123456789abcdef",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        WORKDIR=str(workdir),
    )
    manage(env, "migrate", "--noinput")
    return env


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_production_settings_pass_the_deploy_checks(production_env: dict[str, str]) -> None:
    env = {**production_env}
    env.pop("DJANGO_SECURE_SSL_REDIRECT")

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_redis(production_env: dict[str, str]) -> None:
    env = {key: value for key, value in production_env.items() if key != "REDIS_URL"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode != 0
    assert "REDIS_URL is required in production" in result.stderr


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_static_files_are_served_by_the_asgi_server_itself(
    production_env: dict[str, str], server: Server
) -> None:
    require_node_modules()
    manage(production_env, "collectstatic", "--noinput")

    with running_server(production_env, Path(production_env["WORKDIR"]), server) as running:
        _, _, page = fetch(f"{running.http_url}/chat/")
        script = re.search(rb'src="(/static/js/chat\.[0-9a-f]+\.js)"', page)
        assert script is not None, "chat.js is referenced by its hashed name"
        status, content_type, body = fetch(f"{running.http_url}{script.group(1).decode()}")
        module = re.search(rb'from "\./(chat/connection\.[0-9a-f]+\.js)"', body)
        assert module is not None, "imports between modules use hashed names too"
        _, _, imported = fetch(f"{running.http_url}/static/js/{module.group(1).decode()}")
        viewer_status, _, _ = fetch(f"{running.http_url}/static/vendor/asyncapi/index.js")

    assert status == 200
    assert content_type.startswith("text/javascript")
    assert b"new WebSocket" in imported
    assert viewer_status == 200
