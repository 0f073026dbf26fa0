"""Image blocks in messages as people see them: a one-line placeholder, never the bytes.

The transcript on disk keeps an image's base64 (a resumed conversation must show the model
the same images); everything printed (the chat's replay, ``-p --output-format stream-json``)
goes through these instead.
"""

from __future__ import annotations

from typing import Any

from devagent.messages import Block


def image_placeholder(block: Block) -> str:
    """``[image: image/png, 214 KB]`` for an ``image`` block (its size as sent)."""
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    media_type = str(source.get("media_type") or "image")
    data = source.get("data")
    if isinstance(data, str) and data:
        return f"[image: {media_type}, {_kilobytes(_decoded_size(data))}]"
    url = source.get("url")
    return f"[image: {url}]" if isinstance(url, str) and url else f"[image: {media_type}]"


def _decoded_size(data: str) -> int:
    """How many bytes base64 ``data`` decodes to, without decoding it."""
    return len(data) * 3 // 4 - (len(data) - len(data.rstrip("=")))


def _kilobytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def redact_images(value: Any) -> Any:
    """``value`` (a message, a block, a list of them) with each image's base64 left out:
    the block keeps its type and media type, its source becomes ``{"type": "omitted",
    "media_type": ..., "bytes": N}``. Other data is returned as it is (not copied)."""
    if isinstance(value, list):
        return [redact_images(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("type") == "image":
        return _omitted(value)
    if isinstance(value.get("content"), list):
        return {**value, "content": redact_images(value["content"])}
    return value


def _omitted(block: Block) -> Block:
    source = block.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("data"), str):
        return block
    omitted = {
        "type": "omitted",
        "media_type": source.get("media_type"),
        "bytes": _decoded_size(source["data"]),
    }
    return {**block, "source": omitted}
