"""When the demo leads arrive: three months with a weekly and hourly shape, and the few leads kept
open "now" so the queue and the board always have something to show."""

from datetime import datetime, time, timedelta

from leadflow.workhours import is_public_holiday

from . import funnel

MINUTE, HOUR = 60, 3600


def received_times(rng, *, total, now, calendar_tz, days=91):
    """`total` sorted receipt moments over the last `days` days: weekly and hourly shape, a growth
    trend, quieter public holidays; nothing in the future."""
    today = datetime.fromtimestamp(now, calendar_tz).date()
    first = today - timedelta(days=days - 1)
    day_list, weights, midnights = [], [], []
    hour_total = sum(funnel.HOUR_WEIGHTS)
    for n in range(days):
        day = first + timedelta(days=n)
        weight = funnel.WEEKDAY_WEIGHTS[day.weekday()]
        weight *= funnel.TREND[0] + (funnel.TREND[1] - funnel.TREND[0]) * n / max(1, days - 1)
        if is_public_holiday(day):
            weight *= funnel.HOLIDAY_WEIGHT
        midnight = int(datetime.combine(day, time.min, calendar_tz).timestamp())
        if day == today:  # only the part of today that has passed
            elapsed = (now - midnight) / HOUR
            weight *= sum(w * min(1.0, max(0.0, elapsed - h)) for h, w in enumerate(funnel.HOUR_WEIGHTS)) / hour_total
        day_list.append(n)
        weights.append(weight)
        midnights.append(midnight)
    cumulative = []
    running = 0.0
    for weight in weights:
        running += weight
        cumulative.append(running)
    hours = list(range(24))
    hour_cumulative = []
    running = 0.0
    for weight in funnel.HOUR_WEIGHTS:
        running += weight
        hour_cumulative.append(running)
    days_drawn = rng.choices(day_list, cum_weights=cumulative, k=total)
    hours_drawn = rng.choices(hours, cum_weights=hour_cumulative, k=total)
    result = []
    limit = now - MINUTE
    for day, hour in zip(days_drawn, hours_drawn, strict=True):
        ts = midnights[day] + hour * HOUR + rng.randrange(HOUR)
        while ts > limit:
            day = rng.choices(day_list, cum_weights=cumulative)[0]
            hour = rng.choices(hours, cum_weights=hour_cumulative)[0]
            ts = midnights[day] + hour * HOUR + rng.randrange(HOUR)
        result.append(ts)
    result.sort()
    return result


def force_open(rng, *, received, paths, now):
    """Make sure the queue and the board have something to show now, whatever the hour: the newest
    leads are still new, the next ones wait for a callback, the latest hand-offs await acceptance and
    the ones before have a measurement visit booked in the coming days.
    Mutates `received` (fresh moments for the newest leads) and returns {index: kind}."""
    total = len(received)
    if total == 0:
        return {}
    each = max(3, min(25, round(total * 0.002)))
    forced = {}
    newest = sorted(now - rng.randint(1 * MINUTE, 14 * MINUTE) for _ in range(min(each, total)))
    for offset, ts in enumerate(newest):
        index = total - len(newest) + offset
        received[index] = max(ts, received[index - 1] if index > 0 else ts)
        forced[index] = "new"
    index = total - len(newest) - 1
    callbacks = 0
    while index >= 0 and callbacks < each:
        forced[index] = "callback"
        callbacks += 1
        index -= 1
    pending = 0
    while index >= 0 and pending < each:
        if paths[index] in ("won", "measured_lost", "lost_before_visit"):
            forced[index] = "pending"
            pending += 1
        index -= 1
    booked = 0
    while index >= 0 and booked < each:
        if paths[index] in ("won", "measured_lost"):
            forced[index] = "booked"  # accepted, the measurement visit is coming up this week
            booked += 1
        index -= 1
    return forced
