"""The measurement kit: the room as data, photos cleaned on upload and shown only to who may see the
deal, one measurement per submitted form, and the S3 path against a fake store on 127.0.0.1."""

import os
import uuid
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from leadflow.models import Lead, LeadStatus
from sales import services as s
from sales.models import Measurement, MeasurementField, MeasurementKit, MeasurementPhoto
from sales.reference import KITCHEN_KIT_FIELDS
from tests.sales.conftest import KITCHEN_ROOM, msk
from tests.sales.fake_s3 import FakeS3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _login(client, user):
    client.force_login(user)


def gps_jpeg(size=(3000, 2000), name="IMG_0001.jpg"):
    """A camera photo: EXIF with the maker, the orientation (turned 90°) and the GPS of the flat."""
    image = Image.new("RGB", size, "orange")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 45.0, 21.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (37.0, 37.0, 4.0),
    }
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"flat 42")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def noise_png(side=800, name="sketch.png"):
    buffer = BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _started(deals):
    """A deal whose visit has started (Tuesday 1 December, 10:00 is now; the visit 09:00 is under way)."""
    return deals.accepted()


def _post_measurement(client, lead, **extra):
    data = {"quote_amount": "410000", "submission_key": str(uuid.uuid4()), **KITCHEN_ROOM, **extra}
    return client.post(reverse("sales:measure", args=[lead.pk]), data)


# --- the room as data ---------------------------------------------------------------------------------


def test_the_kitchen_kit_is_seeded_as_data():
    kit = MeasurementKit.objects.get(team__isnull=True, is_active=True)
    fields = {field.code: field for field in kit.fields.all()}
    assert list(fields) == [code for code, *_rest in KITCHEN_KIT_FIELDS]
    assert fields["layout"].choices() == [
        ("straight", "Прямая"),
        ("l_shaped", "Угловая (Г)"),
        ("u_shaped", "П-образная"),
        ("island", "С островом"),
    ]
    assert (fields["wall_a"].unit, fields["wall_a"].min_value, fields["wall_a"].max_value) == ("мм", 500, 12000)


def test_the_page_shows_the_kit_and_the_camera_input(client, clock, people, deals):
    lead = _started(deals)
    _login(client, people["rep"])
    page = client.get(reverse("sales:measurement", args=[lead.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Стена А, длина, мм" in html and "С островом" in html and "Вывод газа, мм" in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert 'name="submission_key"' in html
    assert f'data-draft="measurement:{lead.pk}"' in html


def test_missing_and_insane_values_are_refused_in_russian_and_kept(client, clock, people, deals):
    lead = _started(deals)
    _login(client, people["rep"])
    response = _post_measurement(
        client, lead, kit_wall_a="45000", kit_height="2,7", kit_layout="", kit_windows="", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Введите число от 500 до 12\u202f000\u00a0мм." in html
    assert "Введите число от 2\u202f000 до 5\u202f000\u00a0мм." in html  # 2,7: metres typed where mm are asked
    assert html.count("Обязательное поле.") == 2  # the layout and the windows
    assert 'value="45000"' in html and 'value="2,7"' in html and 'value="410000"' in html
    assert not Measurement.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.HANDED_OFF


def test_values_are_stored_with_the_kit_version_and_read_on_the_deal(client, clock, people, deals):
    lead = _started(deals)
    _login(client, people["rep"])
    response = _post_measurement(client, lead, kit_wall_b="2 450", kit_gas="yes", kit_notes="Короб у окна")
    assert response.status_code == 302
    measurement = Measurement.objects.get(lead=lead)
    assert measurement.kit.version == 1
    assert measurement.values == {
        "layout": "l_shaped",
        "wall_a": 3200,
        "wall_b": 2450,
        "height": 2700,
        "windows": 1,
        "doors": 1,
        "gas": True,
        "notes": "Короб у окна",
    }
    html = client.get(reverse("sales:deal", args=[lead.pk])).content.decode()
    assert "Угловая (Г)" in html and "3\u202f200\u00a0мм" in html and "Короб у окна" in html
    assert f'data-draft-done="measurement:{lead.pk}"' in html


def test_a_clinic_defines_its_own_form_without_code(client, clock, people, deals):
    MeasurementKit.objects.filter(is_active=True).update(is_active=False)
    kit = MeasurementKit.objects.create(title="Осмотр кабинета", version=2, is_active=True)
    MeasurementField.objects.create(
        kit=kit, code="area", label="Площадь", kind="number", unit="м²", min_value=4, max_value=200, decimal_places=1
    )
    lead = _started(deals)
    _login(client, people["rep"])
    html = client.get(reverse("sales:measurement", args=[lead.pk])).content.decode()
    assert "Площадь, м²" in html and "Стена А" not in html
    response = client.post(reverse("sales:measure", args=[lead.pk]), {"quote_amount": "90000", "kit_area": "18,5"})
    assert response.status_code == 302
    assert Measurement.objects.get(lead=lead).values == {"area": "18.5"}


# --- photos: cleaned on upload --------------------------------------------------------------------------


def test_a_photo_loses_its_gps_and_exif_is_turned_upright_and_scaled(client, clock, people, deals, media):
    lead = _started(deals)
    _login(client, people["rep"])
    response = _post_measurement(client, lead, photos=[gps_jpeg()])
    assert response.status_code == 302
    photo = MeasurementPhoto.objects.get(lead=lead)
    with default_storage.open(photo.image.name, "rb") as stored:
        data = stored.read()
    assert b"Exif" not in data and b"Apple" not in data and b"flat 42" not in data
    image = Image.open(BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert image.size == (1365, 2048) == (photo.width, photo.height)  # turned upright, longest side 2048
    thumbnail = Image.open(default_storage.open(photo.thumbnail.name, "rb"))
    assert max(thumbnail.size) == 320
    assert photo.measurement == Measurement.objects.get(lead=lead) and photo.original_name == "IMG_0001.jpg"
    assert str(media) in default_storage.path(photo.image.name)  # the file system under MEDIA_ROOT by default


def test_several_photos_and_a_transparent_sketch(client, clock, people, deals):
    lead = _started(deals)
    _login(client, people["rep"])
    sketch = BytesIO()
    Image.new("RGBA", (600, 400), (0, 0, 0, 0)).save(sketch, "PNG")
    uploads = [gps_jpeg(name="a.jpg"), gps_jpeg(name="b.jpg"), SimpleUploadedFile("s.png", sketch.getvalue())]
    assert _post_measurement(client, lead, photos=uploads).status_code == 302
    assert MeasurementPhoto.objects.filter(lead=lead).count() == 3
    html = client.get(reverse("sales:deal", args=[lead.pk])).content.decode()
    for photo in MeasurementPhoto.objects.filter(lead=lead):
        assert reverse("sales:photo-thumbnail", args=[photo.pk]) in html
    assert "/media/" not in html


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_stored(client, clock, people, deals, media):
    lead = _started(deals)
    _login(client, people["rep"])
    fake = SimpleUploadedFile("kitchen.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = _post_measurement(client, lead, photos=[gps_jpeg(), fake], HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    html = response.content.decode()
    assert "«kitchen.jpg» — не фото: приложите снимок в формате JPEG, PNG или WEBP." in html
    assert "Выберите фото ещё раз" in html
    assert not Measurement.objects.exists() and not MeasurementPhoto.objects.exists()
    assert not os.path.exists(media) or not any(files for _dir, _dirs, files in os.walk(media))


def test_an_oversized_photo_is_refused(client, clock, people, deals, settings):
    settings.PHOTO_MAX_UPLOAD_MB = 1
    lead = _started(deals)
    _login(client, people["rep"])
    big = noise_png(800)  # ~1.9 MB of noise
    assert big.size > 1024 * 1024
    response = _post_measurement(client, lead, photos=[big], HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "«sketch.png» больше 1 МБ" in response.content.decode()
    assert not MeasurementPhoto.objects.exists()


def test_too_many_photos_are_refused(client, clock, people, deals, settings):
    settings.PHOTO_MAX_COUNT = 2
    lead = _started(deals)
    _login(client, people["rep"])
    uploads = [gps_jpeg((40, 30), name=f"{n}.jpg") for n in range(3)]
    response = _post_measurement(client, lead, photos=uploads, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "Не больше 2 фото на один замер." in response.content.decode()


def test_a_refused_measurement_leaves_no_files_behind(client, clock, people, deals, media):
    lead = deals.scheduled(starts_at=msk(2026, 12, 7, 10, 0))  # the visit is next Monday
    _login(client, people["rep"])
    response = _post_measurement(client, lead, photos=[gps_jpeg()], HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "Замер нельзя записать до начала визита" in response.content.decode()
    assert not MeasurementPhoto.objects.exists()
    assert not any(files for _dir, _dirs, files in os.walk(media))


# --- one form, one measurement ---------------------------------------------------------------------------


def test_a_double_submit_records_one_measurement(client, clock, people, deals, media):
    lead = _started(deals)
    _login(client, people["rep"])
    key = str(uuid.uuid4())
    first = _post_measurement(client, lead, submission_key=key, photos=[gps_jpeg()])
    again = _post_measurement(client, lead, submission_key=key, photos=[gps_jpeg()])
    assert first.status_code == again.status_code == 302
    assert again.url == reverse("sales:deal", args=[lead.pk])
    assert Measurement.objects.filter(lead=lead).count() == 1
    assert MeasurementPhoto.objects.filter(lead=lead).count() == 1
    assert sum(len(files) for _dir, _dirs, files in os.walk(media)) == 2  # the photo and its thumbnail
    _post_measurement(client, lead)  # another form, after the measurement: refused, nothing recorded
    assert Measurement.objects.filter(lead=lead).count() == 1


def test_the_service_returns_the_same_lead_for_a_repeated_key(clock, people, deals):
    lead = _started(deals)
    key = uuid.uuid4()
    first = s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=1000, submission_key=key)
    again = s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=9999, submission_key=key)
    assert first.pk == again.pk and again.quote_amount == 1000
    assert Measurement.objects.get(lead=lead).quote_amount == 1000


# --- who sees the photos ------------------------------------------------------------------------------------


@pytest.fixture
def photo(client, clock, people, deals):
    lead = deals.accepted(rep=people["rep"])
    _login(client, people["rep"])
    assert _post_measurement(client, lead, photos=[gps_jpeg()]).status_code == 302
    client.logout()
    return MeasurementPhoto.objects.get(lead=lead)


def _dispute_reason():
    from tests.factories import reason

    return reason("dispute", "modular")


@pytest.mark.parametrize(
    ("who", "status"),
    [("rep", 200), ("manager", 200), ("other_rep", 403), ("qualifier", 403), ("qlead", 403), (None, 404)],
)
def test_a_photo_is_served_only_to_who_may_see_the_deal(client, photo, people, who, status):
    if who:
        client.force_login(people[who])
    for name in ("sales:photo", "sales:photo-thumbnail"):
        response = client.get(reverse(name, args=[photo.pk]))
        assert response.status_code == status, (who, name)
        if status == 200:
            assert response["Content-Type"] == "image/jpeg"
            assert response["Cache-Control"].startswith("private")
            assert Image.open(BytesIO(b"".join(response.streaming_content))).format == "JPEG"


def test_the_arbiters_of_a_disputed_deal_see_its_photos_in_arbitration(client, clock, people, deals):
    from sales.photos import clean_photo
    from sales.services.photos import photos_store

    lead = deals.handed_off(rep=people["rep"])
    s.handoff_dispute(lead_id=lead.pk, actor=people["rep"], reason=_dispute_reason(), comment="Модульная кухня")
    photos_store(
        lead=lead,
        measurement=None,
        photos=[clean_photo(gps_jpeg())],
        actor=people["rep"],
        at=timezone.now(),
        written=[],
    )
    photo = MeasurementPhoto.objects.get(lead=lead)
    client.force_login(people["qlead"])
    html = client.get(reverse("sales:arbitration")).content.decode()
    assert reverse("sales:photo-thumbnail", args=[photo.pk]) in html
    assert client.get(reverse("sales:photo-thumbnail", args=[photo.pk])).status_code == 200
    client.force_login(people["qualifier"])  # handed it off, but no arbiter
    assert client.get(reverse("sales:photo", args=[photo.pk])).status_code == 403


# --- an S3-compatible store -------------------------------------------------------------------------------


def test_photos_go_to_an_s3_compatible_store_and_are_streamed_from_it(client, clock, people, deals, settings):
    with FakeS3() as s3:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "leadflow-photos",
                    "endpoint_url": s3.url,
                    "region_name": "ru-central1",
                    "access_key": "test",
                    "secret_key": "test",
                    "addressing_style": "path",
                    "default_acl": None,
                    "file_overwrite": False,
                },
            },
        }
        lead = _started(deals)
        _login(client, people["rep"])
        assert _post_measurement(client, lead, photos=[gps_jpeg()]).status_code == 302
        photo = MeasurementPhoto.objects.get(lead=lead)
        stored = s3.objects[f"leadflow-photos/{photo.image.name}"]
        assert f"leadflow-photos/{photo.thumbnail.name}" in s3.objects
        assert Image.open(BytesIO(stored)).size == (1365, 2048) and b"Exif" not in stored
        response = client.get(reverse("sales:photo", args=[photo.pk]))
        assert response.status_code == 200 and b"".join(response.streaming_content) == stored
        client.force_login(people["other_rep"])
        assert client.get(reverse("sales:photo", args=[photo.pk])).status_code == 403
        html = client.get(reverse("sales:deal", args=[lead.pk])).content.decode()
        assert s3.url not in html


# --- personal data -----------------------------------------------------------------------------------------


def test_erasure_deletes_the_photos_of_the_home_and_the_free_text_keeps_the_dimensions(
    client, clock, people, deals, media, django_capture_on_commit_callbacks
):
    from leadflow.privacy.services import personal_data_erase
    from tests.factories import make_user, reason

    lead = _started(deals)
    _login(client, people["rep"])
    assert _post_measurement(client, lead, photos=[gps_jpeg()], kit_notes="Ключ у консьержа").status_code == 302
    s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "competitor"))
    director = make_user("director", username="dpo")
    with django_capture_on_commit_callbacks(execute=True):
        assert personal_data_erase(phone=Lead.objects.get(pk=lead.pk).phone, actor=director) == 1
    assert not MeasurementPhoto.objects.exists()
    assert not any(files for _dir, _dirs, files in os.walk(media))
    values = Measurement.objects.get(lead=lead).values
    assert "notes" not in values and values["wall_a"] == 3200
