"""Photos and sketches of a measurement, made safe on upload with Pillow.

Every upload is decoded (a file that is not a picture is refused whatever its name says), turned the
way the camera held it, scaled down to PHOTO_MAX_SIDE and written again as a fresh JPEG with no
metadata at all: EXIF (with the GPS position of the client's flat), XMP, comments and ICC are dropped.
A small thumbnail is made for the deal card and the arbitration.
"""

from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# what a phone's camera or gallery gives through <input type=file accept="image/*">
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85


class PhotoRefused(ValueError):
    """Why an upload is not kept (a message for the rep)."""


@dataclass
class CleanPhoto:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    original_name: str


def max_upload_bytes():
    return settings.PHOTO_MAX_UPLOAD_MB * 1024 * 1024


def _jpeg(image, side):
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = BytesIO()
    copy.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif=, icc_profile=: none kept
    return buffer.getvalue(), copy.size


def _flat_rgb(image):
    """RGB on white (a PNG sketch with transparency reads as drawn on paper)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def clean_photo(upload) -> CleanPhoto:
    """A safe JPEG of the uploaded picture and its thumbnail; `PhotoRefused` says what is wrong."""
    name = (getattr(upload, "name", "") or "")[-200:]
    if upload.size > max_upload_bytes():
        raise PhotoRefused(
            _("“%(name)s” is larger than %(limit)s MB: take the photo again or choose a smaller one.")
            % {"name": name, "limit": settings.PHOTO_MAX_UPLOAD_MB}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            width, height = probe.size
        if kind not in ACCEPTED_FORMATS:
            raise UnidentifiedImageError(kind)
        if width * height > settings.PHOTO_MAX_PIXELS:
            raise PhotoRefused(_("“%(name)s” is too large an image to process.") % {"name": name})
        upload.seek(0)
        with Image.open(upload) as source:
            source.load()
            upright = ImageOps.exif_transpose(source)
            pixels = _flat_rgb(upright)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused(
            _("“%(name)s” is not a photo: attach a JPEG, PNG or WEBP picture.") % {"name": name}
        ) from None
    pixels.info.clear()
    data, (width, height) = _jpeg(pixels, settings.PHOTO_MAX_SIDE)
    thumb, _size = _jpeg(pixels, THUMBNAIL_SIDE)
    return CleanPhoto(
        image=ContentFile(data, name="photo.jpg"),
        thumbnail=ContentFile(thumb, name="thumb.jpg"),
        width=width,
        height=height,
        original_name=name,
    )
