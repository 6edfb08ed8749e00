"""The patient communicators stay drop-in replacements for the libraries' ones."""

import asyncio
import inspect
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator as ChannelsCommunicator
from chanx.channels import testing

from system.consumers import SystemConsumer
from tests.support import sockets


def overrides(cls: type) -> dict[str, Any]:
    return {name: value for name, value in vars(cls).items() if inspect.iscoroutinefunction(value)}


@pytest.mark.parametrize(
    ("patient", "library"),
    [
        (sockets.WebsocketCommunicator, ChannelsCommunicator),
        (sockets.DjangoWebsocketCommunicator, testing.DjangoWebsocketCommunicator),
    ],
)
def test_every_wait_overrides_a_library_method_with_the_same_parameters(
    patient: type, library: type
) -> None:
    for name, method in overrides(patient).items():
        theirs = inspect.signature(getattr(library, name))
        ours = inspect.signature(method)
        assert list(ours.parameters) == list(theirs.parameters), name
        for parameter in ours.parameters.values():
            if parameter.name in {"timeout", "max_auth_time"}:
                assert parameter.default == sockets.WAIT, (name, parameter.name)


class TestTheTestCase(sockets.WebsocketTestCase):
    consumer = SystemConsumer
    ws_path = "/ws/system/"

    def test_its_communicators_keep_the_state_chanx_gives_them(self) -> None:
        ours = self.create_communicator()
        theirs = testing.DjangoWebsocketCommunicator(
            ours.application, self.ws_path, consumer=SystemConsumer
        )

        assert type(ours) is sockets.DjangoWebsocketCommunicator
        assert set(vars(ours)) == set(vars(theirs))


async def late(scope: Any, receive: Any, send: Any) -> None:
    """Accepts, then answers the first frame later than the libraries' one second."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    await receive()
    await asyncio.sleep(1.5)
    await send({"type": "websocket.send", "text": '{"late": true}'})


async def test_a_frame_later_than_a_second_still_arrives() -> None:
    communicator = sockets.WebsocketCommunicator(late, "/late/")
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="hello")

    assert await communicator.receive_json_from() == {"late": True}
    await communicator.disconnect()
