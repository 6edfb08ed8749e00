"""A test case's channel layer: a real Redis, under a key prefix of the test's own."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings

from tests.support.services import redis_test_layer, require_redis


class OnRedisLayer:
    """
    Mixed in before a test case: each test runs on a Redis channel layer of
    `layer_kind` ("lists" or "pubsub"), flushed afterwards.
    """

    layer_kind = "lists"

    def setUp(self) -> None:
        require_redis()
        self.layer_settings = override_settings(
            CHANNEL_LAYERS=redis_test_layer(kind=self.layer_kind)
        )
        self.layer_settings.enable()
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        layer = get_channel_layer()
        assert layer is not None
        async_to_sync(layer.flush)()
        self.layer_settings.disable()
