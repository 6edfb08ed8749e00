"""Channels' and chanx's in-process test communicators, with waits sized for a busy machine.

The libraries give an expected frame one second (chanx's authentication frame
half a second), then fail the test and cancel the application. A machine that
runs servers and browsers beside the tests is sometimes slower than that, and a
frame that was only late failed a test that was right. Here every wait for an
expected frame lasts up to WAIT; a frame that comes sooner ends it, so a passing
test takes no longer. Checks that nothing arrives (`receive_nothing`) keep their
own short timeouts, and so does `disconnect`, which only cleans up.

The tests import these classes instead of the libraries' ones, under the same
names. chanx's test case builds its own communicator, so `WebsocketTestCase`
gives the one it built this class: that leans on chanx's communicator keeping
no state beyond what its constructor sets, which
tests/support/test_sockets.py checks against the installed chanx.
"""

# The libraries name these parameters `timeout`; keeping their signatures keeps the drop-in.
# ruff: noqa: ASYNC109

from typing import Any

from channels.testing import WebsocketCommunicator as ChannelsCommunicator
from chanx.channels import testing

# How long a test waits for a frame it expects.
WAIT = 10.0


class WebsocketCommunicator(ChannelsCommunicator):
    """Channels' communicator, whose waits for the application default to WAIT."""

    async def connect(self, timeout: float = WAIT) -> Any:
        return await super().connect(timeout)

    async def receive_output(self, timeout: float = WAIT) -> Any:
        return await super().receive_output(timeout)

    async def receive_from(self, timeout: float = WAIT) -> Any:
        return await super().receive_from(timeout)

    async def receive_json_from(self, timeout: float = WAIT) -> Any:
        return await super().receive_json_from(timeout)


class DjangoWebsocketCommunicator(WebsocketCommunicator, testing.DjangoWebsocketCommunicator):
    """chanx's communicator, which also waits up to WAIT for the authentication frame."""

    async def wait_for_auth(
        self,
        send_authentication_message: bool | None = None,
        max_auth_time: float = WAIT,
        after_auth_time: float = 0.1,
    ) -> Any:
        return await super().wait_for_auth(
            send_authentication_message, max_auth_time, after_auth_time
        )

    async def assert_authenticated_status_ok(self, max_auth_time: float = WAIT) -> None:
        await super().assert_authenticated_status_ok(max_auth_time)


class WebsocketTestCase(testing.WebsocketTestCase):
    """chanx's test case, whose communicators wait up to WAIT."""

    def create_communicator(self, **options: Any) -> DjangoWebsocketCommunicator:
        communicator = super().create_communicator(**options)
        # The same object, tracked for tearDown as before, with the longer waits.
        communicator.__class__ = DjangoWebsocketCommunicator
        assert isinstance(communicator, DjangoWebsocketCommunicator)
        return communicator
