"""Calls that must be reviewed whatever the random sample draws, registered by the apps built on top.

The sales app registers the hand-off calls of its upheld disputes (sales/apps.py): qualification never
imports sales (the import graph points reports → sales → qualification → leadflow), so sales tells it.
A source is `fn(*, team_id, start, end)` → the ids of the call attempts to review for that week.
"""

_sources = {}


def register(key, fn):
    _sources[key] = fn


def must_review_attempt_ids(*, team_id, start, end):
    ids = set()
    for fn in _sources.values():
        ids.update(fn(team_id=team_id, start=start, end=end))
    return ids
