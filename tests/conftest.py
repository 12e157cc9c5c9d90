import os
import shutil

import pytest
from django.db import connection

from leadflow.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run inline in tests (ids in, state re-read), except where a test starts a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


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
