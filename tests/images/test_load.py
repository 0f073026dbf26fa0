"""Loading images for the model: types from bytes, limits, scaling, re-encoding, refusals."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from devagent.images import (
    MAX_BASE64_BYTES,
    MAX_LONG_EDGE,
    ImageError,
    image_media_type,
    image_placeholder,
    is_image_path,
    load_image,
    redact_images,
)


def picture(size: tuple[int, int], fmt: str, mode: str = "RGB", noisy: bool = False) -> bytes:
    """A real image file's bytes; ``noisy`` makes it hard to compress."""
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 0)
    if noisy:
        image = Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_each_type_is_recognised_from_its_bytes_and_sent_unchanged(
    tmp_path: Path, fmt: str, media_type: str
) -> None:
    data = picture((40, 30), fmt)
    assert image_media_type(data[:16]) == media_type
    image = load_image(write(tmp_path, "pic.img", data), "pic.img")
    assert (image.media_type, image.width, image.height, image.resized) == (
        media_type,
        40,
        30,
        False,
    )
    assert image.data == data
    block = image.block()
    assert block["type"] == "image" and block["source"]["media_type"] == media_type
    assert base64.b64decode(block["source"]["data"]) == data


def test_the_bytes_decide_the_type_not_the_name(tmp_path: Path) -> None:
    image = load_image(write(tmp_path, "really-a-jpeg.png", picture((8, 8), "JPEG")), "x.png")
    assert image.media_type == "image/jpeg"


def test_image_names() -> None:
    assert is_image_path("a/B.PNG") and is_image_path("x.jpeg") and is_image_path("y.webp")
    assert not is_image_path("notes.txt") and not is_image_path("archive.png.zip")


def test_a_large_image_is_scaled_to_the_recommended_long_edge(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.png", picture((3136, 1960), "PNG"))
    image = load_image(path, "wide.png")
    assert (image.width, image.height) == (MAX_LONG_EDGE, 980)
    assert image.media_type == "image/png" and image.resized
    assert Image.open(io.BytesIO(image.data)).size == (MAX_LONG_EDGE, 980)
    assert image.placeholder == (
        f"[image: wide.png, PNG {MAX_LONG_EDGE}x980, "
        f"{max(1, len(image.data) // 1024)} KB, scaled from 3136x1960]"
    )


def test_an_image_over_the_base64_limit_is_re_encoded_until_it_fits(tmp_path: Path) -> None:
    data = picture((1500, 1500), "PNG", noisy=True)  # noise: about 6.4 MB as PNG
    assert len(base64.b64encode(data)) > MAX_BASE64_BYTES
    image = load_image(write(tmp_path, "noise.png", data), "noise.png")
    assert len(image.block()["source"]["data"]) <= MAX_BASE64_BYTES
    assert image.media_type == "image/jpeg" and (image.width, image.height) == (1500, 1500)
    assert "re-encoded from" in image.placeholder


def test_transparency_survives_scaling_as_png(tmp_path: Path) -> None:
    path = write(tmp_path, "icon.png", picture((2000, 100), "PNG", mode="RGBA"))
    image = load_image(path, "icon.png")
    assert image.media_type == "image/png"
    assert Image.open(io.BytesIO(image.data)).mode == "RGBA"


def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a PNG, JPEG, GIF or WebP image"):
        load_image(write(tmp_path, "fake.png", b"just text"), "fake.png")


def test_a_truncated_image_is_refused_before_the_api_sees_it(tmp_path: Path) -> None:
    data = picture((300, 300), "PNG", noisy=True)
    with pytest.raises(ImageError, match=r"cannot be decoded.*truncated or damaged"):
        load_image(write(tmp_path, "cut.png", data[: len(data) // 2]), "cut.png")


def test_a_decompression_bomb_is_refused(tmp_path: Path) -> None:
    bomb = picture((14000, 14000), "PNG", mode="1")  # ~196 M pixels, a tiny file
    with pytest.raises(ImageError, match="too many pixels"):
        load_image(write(tmp_path, "bomb.png", bomb), "bomb.png")


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"Cannot read gone\.png"):
        load_image(tmp_path / "gone.png", "gone.png")


def test_redaction_keeps_the_shape_and_drops_the_bytes(tmp_path: Path) -> None:
    block = load_image(write(tmp_path, "p.png", picture((10, 10), "PNG")), "p.png").block()
    message = {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text"}, block]},
            block,
        ],
    }
    redacted = redact_images(message)
    inner = redacted["content"][0]["content"][1]
    assert inner["source"]["type"] == "omitted" and inner["source"]["media_type"] == "image/png"
    assert redacted["content"][1]["source"]["bytes"] > 0
    assert block["source"]["data"] not in str(redacted)
    assert message["content"][1] is block and "data" in block["source"]  # not changed in place
    assert image_placeholder(block).startswith("[image: image/png, ")
