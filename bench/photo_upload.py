"""What one measurement photo costs the web process: a 12-megapixel camera JPEG cleaned by
sales.photos.clean_photo (decode, turn upright, scale to PHOTO_MAX_SIDE, re-encode without metadata,
thumbnail), against a reference measured in the same run: only decoding the upload.

No database: `.venv/bin/python bench/run.py photo_upload`.
"""

import os
import statistics
import time
from io import BytesIO

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from sales.photos import clean_photo  # noqa: E402

ROUNDS = 7


def camera_jpeg(width=4000, height=3000):
    """Grainy, blurred noise in three channels: compresses like a photo of a room, not like a flat colour."""
    grain = Image.effect_noise((width, height), 40).filter(ImageFilter.GaussianBlur(1.2))
    image = Image.merge("RGB", (grain, grain.point(lambda v: v * 0.9), grain.point(lambda v: v * 0.7)))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def timed(action):
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def spread(values):
    return f"min {min(values):.0f} / median {statistics.median(values):.0f} / max {max(values):.0f} ms"


def main():
    data = camera_jpeg()
    reference, cleaned = [], []
    for _ in range(ROUNDS):
        reference.append(timed(lambda: Image.open(BytesIO(data)).load()))
        cleaned.append(timed(lambda: clean_photo(SimpleUploadedFile("camera.jpg", data))))
    result = clean_photo(SimpleUploadedFile("camera.jpg", data))
    print(
        f"12 Mpx camera JPEG {len(data) / 1e6:.1f} MB → kept {result.image.size / 1e6:.2f} MB "
        f"({result.width}×{result.height}), thumbnail {result.thumbnail.size / 1e3:.0f} KB; {ROUNDS} rounds"
    )
    print(f"reference, decode only: {spread(reference)}")
    print(f"clean_photo:            {spread(cleaned)}")


if __name__ == "__main__":
    main()
