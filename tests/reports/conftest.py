from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reports.selectors import Period, ReportFilter, Scope

from . import dataset

MSK = ZoneInfo("Europe/Moscow")
MARCH = Period(datetime(2025, 3, 1, tzinfo=MSK), datetime(2025, 4, 1, tzinfo=MSK))
FEBRUARY = Period(datetime(2025, 2, 1, tzinfo=MSK), datetime(2025, 3, 1, tzinfo=MSK))
NOW = datetime(2025, 4, 10, 12, 0, tzinfo=MSK)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def data(db, frozen_now):
    return dataset.build()


@pytest.fixture
def march():
    return ReportFilter(period=MARCH)


@pytest.fixture
def everyone():
    return Scope()
