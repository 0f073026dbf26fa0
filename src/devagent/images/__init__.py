"""Images the model can see: recognising PNG, JPEG, GIF and WebP files, fitting them to the
Messages API's limits, and the ``image`` block and one-line placeholder for each.

The Read tool and chat attachments (an ``@path`` or a pasted path) both go through
``load_image``. Limits follow Anthropic's vision documentation: at most 8000x8000 px per image
(2000x2000 once a request holds more than 20), at most 5 MB of base64 per image, and a long
edge above 1568 px only costs tokens, since the API scales it down anyway. So an image whose
long edge passes ``MAX_LONG_EDGE`` is scaled to it (which also keeps it under the many-image
limit), and one whose base64 would pass ``MAX_BASE64_BYTES`` is re-encoded smaller. Images
that already fit go as they are, byte for byte.

Pillow does the decoding and resizing. It is the maintained, standard imaging library for
Python, with wheels for every platform that bundle the PNG, JPEG, GIF and WebP codecs, and
its own guard against decompression bombs; it is imported only when an image is loaded.

What people see is never the bytes: ``LoadedImage.placeholder`` is one line
(``[image: shot.png, PNG 1568x980, 214 KB, scaled from 3136x1960]``).
"""

from devagent.images.blocks import image_placeholder, redact_images
from devagent.images.load import (
    IMAGE_SUFFIXES,
    MAX_BASE64_BYTES,
    MAX_FILE_BYTES,
    MAX_LONG_EDGE,
    ImageError,
    LoadedImage,
    image_from_bytes,
    image_media_type,
    is_image_path,
    load_image,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_BASE64_BYTES",
    "MAX_FILE_BYTES",
    "MAX_LONG_EDGE",
    "ImageError",
    "LoadedImage",
    "image_from_bytes",
    "image_media_type",
    "image_placeholder",
    "is_image_path",
    "load_image",
    "redact_images",
]
