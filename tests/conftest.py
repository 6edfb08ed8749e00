"""Fixtures for tests that need a real server process or a real browser."""

import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from asgiref.sync import SyncToAsync
from django.db import connections
from django.test import Client
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from core.layers import redis_answers
from tests.support.servers import (
    ServerProcess,
    migrated_env,
    running_server,
    running_worker,
)
from tests.support.services import require, require_chromium, test_redis_url


@pytest.fixture(autouse=True)
def no_connection_left_in_the_sync_thread() -> Iterator[None]:
    """
    Close what a test left open in asgiref's one thread for sync code, which
    every test shares. chanx authenticates there through `sync_to_async`,
    which leaves its database connection open; the next Channels consumer
    to dispatch a message checks it (`close_old_connections`), and fails in a
    test that has no database access.
    """
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@pytest.fixture(scope="session")
def e2e_redis_url() -> str | None:
    """Redis for server processes; locally they may fall back to the in-memory layer."""
    url = test_redis_url()
    if redis_answers(url):
        return url
    require(os.environ.get("CI") != "true", f"no Redis answers at {url}")
    return None


@pytest.fixture(scope="session")
def server_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def dev_env(server_workdir: Path, e2e_redis_url: str | None) -> dict[str, str]:
    """Environment of a development server (`make run`), with a migrated database."""
    env = migrated_env(server_workdir, redis_url=e2e_redis_url)
    return env


@pytest.fixture(scope="session")
def dev_server(dev_env: dict[str, str], server_workdir: Path) -> Iterator[ServerProcess]:
    """One daphne process serving the project, shared by the end-to-end tests."""
    with running_server(dev_env, server_workdir, "daphne") as server:
        yield server


@pytest.fixture(scope="session")
def dev_worker(dev_env: dict[str, str], server_workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker for dev_server's jobs."""
    with running_worker(dev_env, server_workdir) as worker:
        yield worker


@pytest.fixture(scope="session")
def shared_redis_url(e2e_redis_url: str | None) -> str:
    """Tests of several server processes need the Redis that connects them."""
    require(e2e_redis_url is not None, f"no Redis answers at {test_redis_url()}")
    assert e2e_redis_url is not None
    return e2e_redis_url


@pytest.fixture(scope="module")
def server_pair(
    tmp_path_factory: pytest.TempPathFactory, shared_redis_url: str
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two daphne processes sharing one database and one Redis, like a scaled-out deploy."""
    workdir = tmp_path_factory.mktemp("pair")
    env = migrated_env(workdir, redis_url=shared_redis_url)
    with running_server(env, workdir) as first, running_server(env, workdir) as second:
        yield first, second


@pytest.fixture
def asyncapi_schema(client: Client) -> dict[str, Any]:
    """The AsyncAPI document the server publishes, as JSON."""
    response = client.get("/asyncapi/schema/")
    assert response.status_code == 200
    return dict(response.json())


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the browser runs in the event loop the browser was started in."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """
    Headless Debian Chromium driven by Playwright (no downloaded browser
    builds), one per test process: starting it costs about a second of CPU,
    and each test gets contexts of its own (see offline_page_factory), which
    share nothing with another test's: cookies, storage, cache and pages.
    """
    executable = require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def offline_page_factory(
    browser: Browser,
) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """New pages in fresh contexts that can reach only this machine, as if offline."""
    contexts: list[BrowserContext] = []

    async def new_page() -> Page:
        context = await browser.new_context()
        contexts.append(context)

        async def only_loopback(route: Route) -> None:
            host = urlsplit(route.request.url).hostname
            if host in {"127.0.0.1", "localhost"}:
                await route.continue_()
            else:
                await route.abort("internetdisconnected")

        await context.route("**/*", only_loopback)
        return await context.new_page()

    yield new_page
    for context in contexts:
        await context.close()
