"""The photos of a measurement, written through Django's storage API (the caller holds the lead's lock)."""

from ..models import MeasurementPhoto


def photos_store(*, lead, measurement, photos, actor, at, written):
    """Save the already cleaned pictures (`sales.photos.CleanPhoto`) of `measurement`.

    Every file written is appended to `written` as (storage, name) at once: a store is no database, so
    the caller deletes them again when its transaction does not commit (no orphan files).
    """
    for photo in photos:
        row = MeasurementPhoto(
            lead=lead,
            measurement=measurement,
            width=photo.width,
            height=photo.height,
            size=photo.image.size,
            original_name=photo.original_name,
            uploaded_by=actor,
            uploaded_at=at,
        )
        for file, name, content in (
            (row.image, "photo.jpg", photo.image),
            (row.thumbnail, "thumb.jpg", photo.thumbnail),
        ):
            file.save(name, content, save=False)
            written.append((file.storage, file.name))
        row.save()


def photos_discard(written):
    """Delete the files of a measurement that was not recorded (best effort: a store may be down)."""
    for storage, name in written:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001 - the refusal that rolled back matters more than a leftover file
            continue
