"""The measurement on a 390×844 phone in headless Chromium: the form, a submit that never reaches the
server (the draft brings everything typed back), a photo from the camera, the deal with its thumbnail.
Screenshots go to docs/screenshots/mobile/ with `make screenshots`."""

import os
from io import BytesIO

import pytest
import time_machine
from PIL import ExifTags, Image

from leadflow.models import Lead, LeadStatus
from sales.models import Measurement, MeasurementPhoto
from tests.conftest import SCREENSHOTS
from tests.sales.conftest import NOW, msk
from tests.test_pages_language import offences, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def moving_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def phone(chromium, live_server, settings, tmp_path):
    """A phone-sized browser context; `phone.login(username)`, `phone.shot(name)`, `phone.fits()`."""
    settings.MEDIA_ROOT = tmp_path / "media"
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url

    def login(username):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pass")
        page.click("button[type=submit]")
        page.wait_for_load_state()

    def shot(name):
        os.makedirs(os.path.join(SCREENSHOTS, "mobile"), exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, "mobile", f"{name}.png"), full_page=True)

    def fits():
        """No sideways scroll, and the visible text reads as Russian."""
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
        assert not offences(visible_text(page.content())), (page.url, offences(visible_text(page.content())))

    page.login, page.shot, page.fits = login, shot, fits
    yield page
    context.close()


def camera_photo():
    image = Image.new("RGB", (2400, 1800), (214, 190, 160))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (55.0, 45.0, 21.0)}
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


TYPED = {
    "kit_wall_a": "3200",
    "kit_wall_b": "2450",
    "kit_height": "2700",
    "kit_windows": "1",
    "kit_doors": "1",
    "kit_water_point": "1200",
    "kit_notes": "Короб вентиляции у окна",
    "quote_amount": "420000",
    "next_step": "Прислать 3D-проект",
}


def test_a_rep_measures_on_a_phone_and_a_failed_submit_loses_nothing(phone, moving_clock, people, deals):
    lead = deals.scheduled(name="Анна Смирнова", address="Москва, Бутово, ул. Южнобутовская, 12, кв. 40")
    moving_clock.move_to(msk(2026, 12, 2, 11, 10))  # the rep is in the kitchen: the visit has started
    phone.login("rep")
    phone.goto(f"{phone.base_url}/board/deal/{lead.pk}/")
    with phone.expect_navigation():
        phone.click("[data-testid=start-measurement]")
    form_url = phone.url
    assert form_url.endswith(f"/board/deal/{lead.pk}/measurement/")
    phone.fits()
    phone.shot("measurement_form")

    # a typing error: the server refuses it in Russian and keeps what was typed
    phone.get_by_label("Угловая (Г)").check()
    for name, value in TYPED.items():
        phone.fill(f"#id_{name}", value)
    phone.fill("#id_kit_wall_a", "32000")
    with phone.expect_navigation():
        phone.click("[data-testid=submit-measure]")
    assert "Введите число от 500 до 12\u202f000\u00a0мм." in phone.inner_text("main")
    assert phone.input_value("#id_kit_wall_a") == "32000" and phone.input_value("#id_kit_wall_b") == "2450"
    phone.fits()
    phone.shot("measurement_form_error")
    phone.fill("#id_kit_wall_a", "3200")
    key = phone.input_value("#id_submission_key")

    # the connection drops on the staircase: the submit never gets an answer from the server
    phone.route("**/measure/", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    with phone.expect_navigation():
        phone.click("[data-testid=submit-measure]")
    assert not Measurement.objects.exists()
    phone.unroute("**/measure/")

    phone.goto(form_url)  # back to the form: everything typed is there again
    assert phone.is_visible("[data-draft-note]")
    for name, value in TYPED.items():
        assert phone.input_value(f"#id_{name}") == value, name
    assert phone.is_checked("input[name=kit_layout][value=l_shaped]")
    assert phone.input_value("#id_submission_key") == key  # the retry is the same measurement
    phone.fits()
    phone.shot("measurement_draft_restored")

    phone.set_input_files("#id_photos", files=[camera_photo()])
    assert phone.inner_text("[data-photo-count]") == "Выбрано фото: 1"
    with phone.expect_navigation():
        phone.click("[data-testid=submit-measure]")
    measurement = Measurement.objects.get(lead=lead)
    assert str(measurement.submission_key) == key
    assert measurement.values["wall_a"] == 3200 and measurement.values["layout"] == "l_shaped"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED
    assert phone.evaluate(f"localStorage.getItem('leadflow-draft:measurement:{lead.pk}')") is None

    photo = MeasurementPhoto.objects.get(lead=lead)
    thumbnail = phone.locator("[data-testid=photo-thumbs] img")
    assert thumbnail.count() == 1
    thumbnail.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert f"/board/photo/{photo.pk}/" in phone.content()
    assert "Угловая (Г)" in phone.inner_text("[data-testid=measured-values]")
    phone.fits()
    phone.shot("deal_measured_with_photo")


def test_the_calendar_feed_page_on_a_phone(phone, people):
    phone.login("rep")
    phone.goto(f"{phone.base_url}/board/calendar/feed/")
    with phone.expect_navigation():
        phone.click("[data-testid=feed-rotate]")
    link = phone.input_value("[data-testid=feed-link] input")
    assert link.startswith("http://localhost:8000/board/calendar/feed/cal_") and link.endswith(".ics")
    assert phone.get_attribute("[data-testid=feed-webcal]", "href") == "webcal://" + link.removeprefix("http://")
    phone.fits()
    phone.shot("calendar_feed")
