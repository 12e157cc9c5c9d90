"""Fast working-time arithmetic on integer POSIX seconds for the bulk generator.

Same rule as leadflow.workhours.WorkCalendar (it builds the day windows from it, holidays included);
only the per-call cost is different: a million leads need several million deadline computations.
"""

from datetime import UTC, date, datetime, time, timedelta


class FastCalendar:
    def __init__(self, calendar, first_day: date):
        self.calendar = calendar
        self.tz = calendar.tz
        self.first_day = first_day
        self._windows = []  # per day index: (opens, closes) seconds, or None when closed
        self._midnights = []
        offsets = {self.tz.utcoffset(datetime.combine(first_day + timedelta(days=n), time(12))) for n in (0, 90, 180)}
        # A fixed-offset zone (Moscow has no DST) lets a timestamp find its day by arithmetic.
        self._fixed_offset = int(offsets.pop().total_seconds()) if len(offsets) == 1 else None
        self._first_midnight = self._midnight(first_day)

    def _midnight(self, day):
        return int(datetime.combine(day, time.min, self.tz).timestamp())

    def _extend(self, index):
        while len(self._windows) <= index:
            day = self.first_day + timedelta(days=len(self._windows))
            window = self.calendar.window_on(day)
            self._windows.append(None if window is None else (int(window[0].timestamp()), int(window[1].timestamp())))
            self._midnights.append(self._midnight(day))

    def day_index(self, ts: int) -> int:
        if self._fixed_offset is not None:
            index = (ts + self._fixed_offset) // 86400 - (self._first_midnight + self._fixed_offset) // 86400
        else:
            index = (datetime.fromtimestamp(ts, self.tz).date() - self.first_day).days
        if index < 0:
            raise ValueError("timestamp before the calendar's first day")
        return index

    def window(self, index):
        self._extend(index)
        return self._windows[index]

    def midnight(self, index):
        self._extend(index)
        return self._midnights[index]

    def add(self, ts: int, seconds: int) -> int:
        """The moment `seconds` of working time after `ts` (which may fall outside the hours)."""
        index = self.day_index(ts)
        remaining = seconds
        cursor = ts
        for _ in range(400):
            window = self.window(index)
            if window is not None:
                opens, closes = window
                if cursor < opens:
                    cursor = opens
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            index += 1
        raise ValueError("No working hours within a year: check the team's calendar.")

    def add_minutes(self, ts: int, minutes: float) -> int:
        return self.add(ts, int(round(minutes * 60)))

    def next_open(self, ts: int) -> int:
        """`ts` itself when open, else the next opening."""
        return self.add(ts, 0)

    def is_open(self, ts: int) -> bool:
        window = self.window(self.day_index(ts))
        return window is not None and window[0] <= ts < window[1]

    def at_local(self, index: int, seconds_of_day: int):
        """The moment `seconds_of_day` after local midnight of day `index`, or None when closed then."""
        window = self.window(index)
        if window is None:
            return None
        ts = self.midnight(index) + seconds_of_day
        return ts if window[0] <= ts < window[1] else None

    def local_date(self, ts: int) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()


def aware(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
