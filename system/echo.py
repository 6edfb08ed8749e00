"""
What the echo endpoint answers, without any socket: frames in, answers out.

Text that looks like JSON (starts with `{` or `[` after whitespace) must be
valid JSON, nested at most MAX_JSON_DEPTH levels deep. Binary frames starting
with the four bytes `ZLIB` carry zlib-compressed data, decompressed with a
bound so a small frame cannot expand into unbounded memory; their bytes are
hashed and echoed, never parsed.
"""

import hashlib
import json
import zlib
from typing import Any

from system.messages import (
    BinaryEcho,
    BinaryEchoPayload,
    JsonEcho,
    JsonEchoPayload,
    JsonSummary,
    TextEcho,
    TextEchoPayload,
)

# Below daphne's own 1 MiB cap, which drops the connection without a close frame.
MAX_FRAME_BYTES = 512 * 1024
COMPRESSED_MARKER = b"ZLIB"
# The echo sends the value back: pydantic refuses to serialise it past 255
# levels, and json.loads runs out of Python stack at about a thousand.
MAX_JSON_DEPTH = 128


class EchoError(Exception):
    """A frame that cannot be echoed; the message says why."""


def summary(value: Any) -> JsonSummary:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    kind = kinds.get(type(value), "number")
    size = len(value) if isinstance(value, dict | list) else 0
    return JsonSummary(type=kind, fields=size)  # type: ignore[arg-type]


def depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed value (0 for a scalar), without recursing."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, at = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, at)
            pending.extend((child, at + 1) for child in item)
    return deepest


def echo_text(text: str) -> TextEcho | JsonEcho:
    if text.lstrip()[:1] in ("{", "["):
        too_deep = EchoError(f"Invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            value = json.loads(text)
        except RecursionError:
            raise too_deep from None
        except ValueError as error:
            raise EchoError(f"Invalid JSON: {error}") from error
        if depth(value) > MAX_JSON_DEPTH:
            raise too_deep
        return JsonEcho(payload=JsonEchoPayload(received=value, summary=summary(value)))
    return TextEcho(payload=TextEchoPayload(text=f"System: {text}"))


def echo_binary(data: bytes) -> tuple[BinaryEcho, bytes]:
    """The description of a binary frame, and the bytes to echo back."""
    compressed_size = None
    if data.startswith(COMPRESSED_MARKER):
        compressed_size = len(data)
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(data[len(COMPRESSED_MARKER) :], MAX_FRAME_BYTES)
        except zlib.error as error:
            raise EchoError(f"Corrupt compressed frame: {error}") from error
        if inflater.unconsumed_tail:
            raise EchoError(f"Compressed frame expands beyond {MAX_FRAME_BYTES} bytes.")
        if not inflater.eof:
            raise EchoError("Corrupt compressed frame: the zlib stream is truncated.")
    description = BinaryEchoPayload(
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), compressed_size=compressed_size
    )
    return BinaryEcho(payload=description), data
