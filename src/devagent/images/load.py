"""Loading an image file for the model: its type from its bytes, then a version that fits.

``load_image`` reads the file (refusing more than ``MAX_FILE_BYTES``), names its type from its
first bytes (the extension may lie: a ``.png`` holding a JPEG is sent as ``image/jpeg``, which
is what the API checks), decodes it fully so a truncated or corrupt file is refused here
rather than by the API (which would then refuse every later request of the conversation), and
scales or re-encodes it only when it is over the limits the package docstring lists.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devagent.messages import Block

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_LONG_EDGE = 1568
MAX_BASE64_BYTES = 5 * 1024 * 1024
MAX_FILE_BYTES = 50 * 1024 * 1024
MIN_LONG_EDGE = 256
JPEG_QUALITIES = (85, 70, 55)
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
_FORMAT_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP"}


class ImageError(Exception):
    """The file cannot be sent as an image; the message says why and what to do instead."""


def image_media_type(head: bytes) -> str | None:
    """The media type the first bytes of a file announce, for the four types the API takes."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_image_path(path: Path | str) -> bool:
    """Whether the name ends like an image the API takes (the bytes decide in the end)."""
    return os.path.splitext(os.fspath(path))[1].lower() in IMAGE_SUFFIXES


def _base64_size(size: int) -> int:
    return 4 * ((size + 2) // 3)


@dataclass(frozen=True)
class LoadedImage:
    """An image ready to send: the bytes, their type and size, and what the file held."""

    name: str
    media_type: str
    data: bytes
    width: int
    height: int
    original_width: int
    original_height: int
    file_bytes: int

    @property
    def resized(self) -> bool:
        return (self.width, self.height) != (self.original_width, self.original_height)

    def block(self) -> Block:
        """The Messages API ``image`` block (base64 source)."""
        data = base64.b64encode(self.data).decode("ascii")
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": self.media_type, "data": data},
        }

    @property
    def placeholder(self) -> str:
        """One line that stands for the image wherever people see it."""
        kind = _FORMAT_NAMES.get(self.media_type, self.media_type)
        parts = [self.name, f"{kind} {self.width}x{self.height}", _kilobytes(len(self.data))]
        if self.resized:
            parts.append(f"scaled from {self.original_width}x{self.original_height}")
        elif len(self.data) != self.file_bytes:
            parts.append(f"re-encoded from {_kilobytes(self.file_bytes)}")
        return f"[image: {', '.join(parts)}]"


def _kilobytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def load_image(path: Path, name: str) -> LoadedImage:
    """The image at ``path`` (shown as ``name``), fitted to the API's limits; ``ImageError``."""
    return image_from_bytes(_read(path, name), name)


def image_from_bytes(data: bytes, name: str) -> LoadedImage:
    """The image a file held (its whole content), fitted to the API's limits; ``ImageError``."""
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(_too_big(name, len(data)))
    media_type = image_media_type(data[:16])
    if media_type is None:
        raise ImageError(
            f"{name} is not a PNG, JPEG, GIF or WebP image (its first bytes say otherwise); "
            "only those can be shown to the model."
        )
    image = _decode(data, name, media_type)
    width, height = image.size
    if max(width, height) <= MAX_LONG_EDGE and _base64_size(len(data)) <= MAX_BASE64_BYTES:
        return LoadedImage(name, media_type, data, width, height, width, height, len(data))
    media_type, fitted, size = _fit(image, media_type, name)
    return LoadedImage(name, media_type, fitted, *size, width, height, len(data))


def _read(path: Path, name: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise ImageError(_too_big(name, size))
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImageError(f"Cannot read {name}: {exc.strerror or exc}.") from exc


def _too_big(name: str, size: int) -> str:
    return (
        f"{name} is {size // (1024 * 1024)} MB, more than the {MAX_FILE_BYTES // (1024 * 1024)} "
        "MB devagent reads as an image; make a smaller copy first (for example with "
        "ImageMagick: convert big.png -resize 1568x1568 small.png)."
    )


def _decode(data: bytes, name: str, media_type: str) -> Image:
    from PIL import Image, UnidentifiedImageError

    kind = _FORMAT_NAMES[media_type]
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{name} has too many pixels to decode safely ({exc}).") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(
            f"{name} starts like a {kind} image but cannot be decoded ({exc}); the file may "
            "be truncated or damaged."
        ) from exc
    return image


def _fit(image: Image, media_type: str, name: str) -> tuple[str, bytes, tuple[int, int]]:
    """Scale to ``MAX_LONG_EDGE``, then re-encode (PNG, or JPEG at falling quality, then
    smaller) until the base64 fits ``MAX_BASE64_BYTES``."""
    long_edge = min(max(image.size), MAX_LONG_EDGE)
    while long_edge >= MIN_LONG_EDGE:
        scaled = _scaled(image, long_edge)
        for out_type, data in _encodings(scaled, media_type):
            if _base64_size(len(data)) <= MAX_BASE64_BYTES:
                return out_type, data, scaled.size
        long_edge //= 2
    raise ImageError(f"{name} cannot be made small enough to send (over 5 MB even scaled down).")


def _scaled(image: Image, long_edge: int) -> Image:
    from PIL import Image as PILImage

    width, height = image.size
    frame = image.convert("RGBA") if image.mode in ("P", "PA", "LA", "I;16") else image
    if max(width, height) <= long_edge:
        return frame
    ratio = long_edge / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return frame.resize(size, PILImage.Resampling.LANCZOS)


def _encodings(image: Image, media_type: str) -> Iterator[tuple[str, bytes]]:
    """Lossless first unless the source was a JPEG; JPEG at falling quality after that.
    Each is made only when the one before did not fit."""
    if media_type != "image/jpeg":
        yield "image/png", _encode(image, "PNG")
    rgb = _flattened(image)
    for quality in JPEG_QUALITIES:
        yield "image/jpeg", _encode(rgb, "JPEG", quality=quality)


def _flattened(image: Image) -> Image:
    """RGB for JPEG: transparency becomes white."""
    from PIL import Image as PILImage

    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = PILImage.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _encode(image: Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()
