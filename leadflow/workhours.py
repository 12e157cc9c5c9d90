"""Working-hours calendar: deadlines counted only in a team's opening hours, in its time zone,
skipping Russian public holidays (the maintained `holidays` package, not a hand-kept list).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils.translation import gettext_lazy

MAX_DAYS_AHEAD = 60  # a calendar with no opening in two months is a configuration error
MEMO_DAYS = 400  # days whose window a calendar keeps (a year's report reads each once)


@lru_cache(maxsize=32)
def _russian_holidays(year):
    return holidays.country_holidays("RU", years=year)


def is_public_holiday(day: date) -> bool:
    return day in _russian_holidays(day.year)


@dataclass(frozen=True)
class WorkCalendar:
    """Opening windows by weekday (0 = Monday) in `time_zone`. No windows at all means 24/7."""

    time_zone: str
    windows: dict  # weekday -> (opens_at: time, closes_at: time)
    skip_holidays: bool = True
    # day -> window_on(day): a calendar is read for the same few days lead after lead (intake's deadlines)
    _by_day: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def for_team(cls, team):
        windows = {wh.weekday: (wh.opens_at, wh.closes_at) for wh in team.working_hours.all()}
        return cls(time_zone=team.time_zone, windows=windows, skip_holidays=team.skip_public_holidays)

    @cached_property
    def tz(self):
        return ZoneInfo(self.time_zone)

    def window_on(self, day: date):
        """The (opens, closes) aware datetimes of `day`, or None when closed."""
        try:
            return self._by_day[day]
        except KeyError:
            pass
        if len(self._by_day) >= MEMO_DAYS:
            self._by_day.clear()
        window = self._by_day[day] = self._window_on(day)
        return window

    def _window_on(self, day: date):
        if not self.windows:
            start = datetime.combine(day, time.min, self.tz)
            return start, start + timedelta(days=1)
        if self.skip_holidays and is_public_holiday(day):
            return None
        window = self.windows.get(day.weekday())
        if window is None:
            return None
        opens, closes = window
        return datetime.combine(day, opens, self.tz), datetime.combine(day, closes, self.tz)

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of working time after `start` (which may fall outside hours)."""
        remaining = timedelta(minutes=minutes)
        cursor = start.astimezone(self.tz)
        day = cursor.date()
        for _ in range(MAX_DAYS_AHEAD):
            window = self.window_on(day)
            if window is not None:
                opens, closes = window
                cursor = max(cursor, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time.min, self.tz)
        raise ValueError(f"No working hours within {MAX_DAYS_AHEAD} days: check the team's calendar.")

    def next_opening(self, moment: datetime):
        """When the team is next open at or after `moment` (`moment` itself if open now), or None."""
        cursor = moment.astimezone(self.tz)
        day = cursor.date()
        for _ in range(MAX_DAYS_AHEAD):
            window = self.window_on(day)
            if window is not None and cursor < window[1]:
                return max(cursor, window[0])
            day += timedelta(days=1)
            cursor = datetime.combine(day, time.min, self.tz)
        return None

    def is_open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        window = self.window_on(local.date())
        return window is not None and window[0] <= local < window[1]

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            window = self.window_on(day)
            if window is not None:
                lo, hi = max(window[0], start), min(window[1], end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds() / 60


# The zones a Russian team works in, by the city people know them by (gettext: English msgid).
_ZONE_CITIES = {
    "Europe/Kaliningrad": gettext_lazy("Kaliningrad"),
    "Europe/Moscow": gettext_lazy("Moscow"),
    "Europe/Volgograd": gettext_lazy("Volgograd"),
    "Europe/Samara": gettext_lazy("Samara"),
    "Asia/Yekaterinburg": gettext_lazy("Yekaterinburg"),
    "Asia/Omsk": gettext_lazy("Omsk"),
    "Asia/Novosibirsk": gettext_lazy("Novosibirsk"),
    "Asia/Krasnoyarsk": gettext_lazy("Krasnoyarsk"),
    "Asia/Irkutsk": gettext_lazy("Irkutsk"),
    "Asia/Yakutsk": gettext_lazy("Yakutsk"),
    "Asia/Vladivostok": gettext_lazy("Vladivostok"),
    "Asia/Magadan": gettext_lazy("Magadan"),
    "Asia/Kamchatka": gettext_lazy("Kamchatka"),
}


def time_zone_label(name: str, at: datetime | None = None) -> str:
    """A time zone as people read it, "Москва (UTC+3)"; a zone without a known city shows its offset only."""
    moment = at or datetime.now(tz=ZoneInfo("UTC"))
    try:
        offset = moment.astimezone(ZoneInfo(name)).utcoffset() or timedelta()
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return name
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    city = _ZONE_CITIES.get(name)
    return f"{city} ({utc})" if city else utc
