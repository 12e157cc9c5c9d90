"""The people most qualification tests start from."""

import pytest

from leadflow import roles
from tests.factories import make_user


@pytest.fixture
def qualifier():
    return make_user(roles.QUALIFIER, username="anna")


@pytest.fixture
def qlead():
    """The qualification team lead."""
    return make_user(roles.QUALIFICATION_LEAD, username="lida")
