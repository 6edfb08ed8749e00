"""The assistant against a real server process: streaming never blocks the event loop."""

from bench.assistant_lag import measure
from tests.support.servers import ServerProcess

# A loop blocked for a whole answer holds some ping for seconds; one blocked at each
# token (a synchronous sleep or client call) delays most pings by a round of tokens
# across the streams. A healthy loop answers most pings within a millisecond or two,
# with the odd stall when the machine is busy.
BLOCKED_FOR_AN_ANSWER_MS = 1000
BLOCKED_AT_EACH_TOKEN_MS = 100


async def test_a_ping_is_answered_promptly_while_20_answers_stream_at_once(
    dev_server: ServerProcess,
) -> None:
    report = await measure(dev_server.ws_url, streams=20, ping_every=0.2)

    assert report.pings >= 10, "the streams ran long enough to be measured"
    assert report.p50_ms < BLOCKED_AT_EACH_TOKEN_MS, "\n".join(report.lines())
    assert report.max_ms < BLOCKED_FOR_AN_ANSWER_MS, "\n".join(report.lines())
