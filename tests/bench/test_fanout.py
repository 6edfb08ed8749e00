"""bench.fanout counts every delivery of a real server, and the peers speak its protocol."""

from pathlib import Path

import pytest

from bench.fanout import Load, measure
from bench.plot import bar_chart
from tests.support.servers import Server, migrated_env, running_server

SMALL = Load(rooms=2, clients=3, messages=4, rate=20.0, idle=2)


@pytest.mark.parametrize(
    ("app", "server"),
    [
        ("config.asgi:application", "uvicorn"),
        ("bench.peers.bare_channels:application", "uvicorn"),
        ("bench.peers.starlette_rooms:application", "uvicorn"),
        ("config.asgi:application", "granian"),
    ],
)
async def test_every_message_reaches_every_other_member_of_its_room_once(
    app: str, server: Server, tmp_path: Path, e2e_redis_url: str | None
) -> None:
    env = migrated_env(tmp_path, redis_url=e2e_redis_url)
    with running_server(env, tmp_path, server, app) as running:
        report = await measure([running.ws_url], SMALL, [running.process.pid])

    assert report.expected == 2 * 3 * 4 * 2
    assert (report.delivered, report.lost, report.duplicated) == (report.expected, 0, 0)
    assert report.p50_ms <= report.p99_ms
    assert report.cpu_us_per_delivery is not None  # may round to 0 ticks on so short a run
    assert report.kib_per_connection is not None


@pytest.mark.parametrize("by_room", [False, True])
async def test_a_load_spread_over_two_servers_reaches_every_member_once(
    by_room: bool, tmp_path: Path, shared_redis_url: str
) -> None:
    env = migrated_env(tmp_path, redis_url=shared_redis_url)
    with (
        running_server(env, tmp_path, "uvicorn") as first,
        running_server(env, tmp_path, "uvicorn") as second,
    ):
        servers = [first, second]
        report = await measure(
            [server.ws_url for server in servers],
            SMALL,
            [server.process.pid for server in servers],
            by_room=by_room,
        )

    assert (report.delivered, report.lost, report.duplicated) == (report.expected, 0, 0)


def test_the_chart_draws_a_bar_per_target_scaled_to_the_longest() -> None:
    svg = bar_chart("CPU <per> delivery", [("chat", 200.0), ("bare", 100.0)])

    assert svg.startswith("<svg")
    assert "CPU &lt;per&gt; delivery" in svg
    assert 'width="420.0"' in svg
    assert 'width="210.0"' in svg
