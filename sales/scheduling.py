"""Pure rules of the visit calendar: how long a visit is, the travel buffer, when a time is free.

Shared by the free-slot selector and the booking service, so the page and the booking agree.
Overridable in settings (SALES_VISIT_MINUTES, SALES_TRAVEL_BUFFER_MINUTES, SALES_SLOT_STEP_MINUTES).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings

from leadflow import vertical

# "Running late" on the rep's day: the delays offered (minutes) and the most a report may say.
LATE_CHOICES = (10, 15, 20, 30, 45, 60)
LATE_MAX_MINUTES = 180


def visit_minutes():
    """The setting when given (tests, an override), else the vertical's visit length (90 for a kitchen)."""
    return getattr(settings, "SALES_VISIT_MINUTES", None) or vertical.visit_minutes()


def travel_buffer_minutes():
    return getattr(settings, "SALES_TRAVEL_BUFFER_MINUTES", 60)


def slot_step_minutes():
    return getattr(settings, "SALES_SLOT_STEP_MINUTES", 30)


@dataclass(frozen=True)
class Slot:
    rep: object
    starts_at: datetime
    ends_at: datetime


def clashes(starts_at, ends_at, busy, *, buffer_minutes=None):
    """True when [starts_at, ends_at) comes closer than the travel buffer to any busy interval."""
    buffer = timedelta(minutes=travel_buffer_minutes() if buffer_minutes is None else buffer_minutes)
    return any(starts_at < busy_end + buffer and busy_start < ends_at + buffer for busy_start, busy_end in busy)


def within_working_hours(calendar, starts_at, ends_at):
    local = starts_at.astimezone(calendar.tz)
    window = calendar.window_on(local.date())
    return window is not None and window[0] <= starts_at and ends_at <= window[1]


def free_starts(calendar, day: date, busy, *, not_before, duration_minutes=None, step_minutes=None):
    """Start times on `day` (in the calendar's zone) where a visit fits the hours and the buffer."""
    window = calendar.window_on(day)
    if window is None:
        return []
    opens, closes = window
    duration = timedelta(minutes=duration_minutes or visit_minutes())
    step = timedelta(minutes=step_minutes or slot_step_minutes())
    starts = []
    cursor = opens
    while cursor + duration <= closes:
        if cursor >= not_before and not clashes(cursor, cursor + duration, busy):
            starts.append(cursor)
        cursor += step
    return starts
