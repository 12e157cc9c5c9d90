import os
import shutil

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings

from leadflow.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Property-based tests give the same verdict on every run: the suite explores a fixed, derandomized
# sequence of examples and keeps no example database. bench/reliability_full.py runs the wide random
# exploration (HYPOTHESIS_PROFILE=wide); what it finds becomes a regression test (docs/reliability.md).
hypothesis_settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("wide", derandomize=False, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run inline in tests (ids in, state re-read), except where a test starts a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _hotcache_empty():
    """Each test starts without the intake cache of the one before (rows rolled back, pks reused)."""
    from leadflow import hotcache

    hotcache.clear()
    yield
    hotcache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language: LocaleMiddleware activates a request's Accept-Language
    in the thread and never deactivates it, so a test client asking for English left the next test
    (a sweep writing notifications, say) in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _vertical_default():
    """A fresh test database has no business profile (the kitchen default): the shared cache says so,
    and the Russian catalog speaks kitchen again after a test that applied another vertical."""
    from django.utils import translation

    from leadflow import vertical

    vertical.prime()
    yield
    vertical.prime()
    with translation.override("ru"):
        vertical.vocabulary_activate(vertical.DEFAULT)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded files (measurement photos) go to a temporary folder, never to the checkout's var/."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False  # the test client's login() passes no request; test_login_throttling enables it
    # load tests post thousands of deliveries with one token; test_api_tokens.py sets its own limits
    settings.API_TOKEN_RATE = "1000000/m"


def _need(condition, what):
    """Outside CI a missing service skips; in CI it fails, so nothing is silently skipped there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but not available")
    pytest.skip(f"{what} not available (runs in CI)")


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres"):
        _need(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")
    if request.node.get_closest_marker("browser"):
        _need(shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    if request.node.get_closest_marker("redis"):
        url = os.environ.get("CELERY_BROKER_URL", "")
        _need(url.startswith("redis://"), "Redis (CELERY_BROKER_URL=redis://…)")


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Browser tests write their screenshots under var/; `make screenshots` refreshes docs/screenshots/.
SCREENSHOTS = os.environ.get("LEADFLOW_SCREENSHOTS") or os.path.join(ROOT, "var", "screenshots")


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    _need(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context on the live server; `page.login(username)` logs in with password 'pass'."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="ru-RU")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.base_url = live_server.url

    def login(username, password="pass"):
        pg.goto(f"{live_server.url}/login/")
        pg.fill("#id_username", username)
        pg.fill("#id_password", password)
        pg.click("button[type=submit]")
        pg.wait_for_load_state()

    def screenshot(name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        pg.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)

    pg.login = login
    pg.save_screenshot = screenshot
    yield pg
    context.close()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush the database, reference data included: put it back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if transactional or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from django.apps import apps

        from leadflow.reference import ensure_reference_data

        request.getfixturevalue("transactional_db")
        ensure_reference_data(lambda label, name: apps.get_model(label, name))


@pytest.fixture
def english(request):
    """Run a test in English (the msgids), whatever the Russian translation says; the test client
    asks for English too. Tests about behaviour assert on msgids; the browser tests check Russian."""
    from django.utils import translation

    if "client" in request.fixturenames:
        request.getfixturevalue("client").defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def reset_producer_pools():
    """Celery caches broker connections; drop them so the next publish uses the current broker_url."""
    from kombu import pools as kombu_pools

    kombu_pools.reset()  # closes and forgets every cached pool (they are keyed by connection)
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def celery_broker():
    """Point the Celery app at a real broker for one test (publishes for real), then restore eager mode."""
    from leadflow.broker import transport_for

    keys = ("broker_url", "broker_write_url", "broker_read_url", "broker_transport", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}

    def use(url):
        celery_app.conf.update(
            broker_url=url,
            broker_write_url=url,
            broker_read_url=url,
            broker_transport=transport_for(url),  # the transport settings would choose for this URL
            task_always_eager=False,
        )
        reset_producer_pools()

    yield use
    celery_app.conf.update(saved)
    reset_producer_pools()


@pytest.fixture(autouse=True)
def _forget_report_rollup_state():
    """The dashboards cache which days the rollup holds (reports.rollup.rollup_state); a test's database
    is rolled back, so the next test must not trust the last one's state."""
    from reports.rollup import forget_state

    forget_state()
    yield
