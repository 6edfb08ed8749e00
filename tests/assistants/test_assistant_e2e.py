"""The assistant against a real server process: streaming never blocks the event loop."""

from bench.assistant_lag import measure
from tests.support.servers import ServerProcess

# A blocked event loop holds a ping for a whole answer (seconds); a healthy one for
# the time it takes to interleave one more frame among the streams.
PROMPT_PING_MS = 500


async def test_a_ping_is_answered_promptly_while_20_answers_stream_at_once(
    dev_server: ServerProcess,
) -> None:
    report = await measure(dev_server.ws_url, streams=20, ping_every=0.2)

    assert report.pings >= 10, "the streams ran long enough to be measured"
    assert report.max_ms < PROMPT_PING_MS, "\n".join(report.lines())
