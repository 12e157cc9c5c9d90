"""Every URL of the project × every role → the expected status (the permission matrix).

The URL list is read from the URL conf (`get_resolver()`, recursively), so a new URL without a row
in MATRIX fails `test_every_url_pattern_has_a_row`. Object ids in the URLs are other people's
objects (a lead held by another qualifier, deals of another rep, a dispute of team A): a refused
request (401/403/404/405, or the login redirect) must leave the database exactly as it was.

Columns (world.ROLES): anonymous, qualifier (team A), qualification lead (team A), sales rep
(sales team A), sales manager, director, and the other teams' people: a qualifier and the
qualification lead of team B, a rep of sales team B.

Statuses: 200/204/302/401/403/405 as returned; L = 302 to the login page; O = 302 to the
qualifier's "outcomes" page (the board sends the qualification team there).
The director watches and configures: the FSM transitions of the doers (disqualify, measure, win,
lose) refuse the director (leadflow.roles.can_qualify / can_sell), hence the 403s in that column.
POST-only actions are posted with a valid CSRF token (`enforce_csrf_checks=True`) and valid form
data, so an allowed role gets past the form and a refused one is refused by the permission check.
"""

from dataclasses import dataclass, field

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_fsm_log.models import StateLog

from leadflow.models import Lead, Notification, Reason, Shift
from leadflow.services import engine_heartbeat_record
from qualification.models import CallAttempt, LeadAnswer
from sales.models import Dispute, Visit
from tests.factories import KITCHEN_PASSING_ANSWERS
from tests.sales.conftest import KITCHEN_ROOM

from .world import NOW, ROLES, build_world

pytestmark = pytest.mark.django_db

L = "login"
O = "outcomes"  # noqa: E741

# Prefixes of URL patterns left out of the matrix, and why.
SKIPPED_PREFIXES = {
    "admin/": "Django admin: staff only, guarded by admin.site (tests/leadflow/test_admin.py; the lead "
    "page is fetched by tests/security/test_xss.py)",
    "i18n/": "Django's set_language view: public by design, changes only the visitor's own language cookie",
    "static/": "static files are served by WhiteNoise middleware, not by URL patterns (none exist)",
}

CSRF_SECRET = "s" * 32  # an unmasked CSRF secret: valid as cookie and as form token


@dataclass
class Row:
    method: str
    statuses: tuple
    target: str = ""  # which world object fills the URL's id (lead:<key>, visit, dispute)
    data: object = None  # callable(world) -> POST data
    query: object = None  # callable(world) -> query string
    expect: dict = field(default_factory=dict)

    def __post_init__(self):
        assert len(self.statuses) == len(ROLES), f"{len(self.statuses)} statuses for {len(ROLES)} roles"
        self.expect = dict(zip(ROLES, self.statuses, strict=True))


def _reason(kind, code):
    return Reason.objects.get(kind=kind, code=code).pk


def _slot(world, day, hour):
    return f"{world.people['rep'].pk}|2026-12-{day:02d}T{hour:02d}:00"


GET, POST = "GET", "POST"
HELD, DEAL = "lead:held_a", "lead:deal_a"

# fmt: off
MATRIX = {
    # url name                    method  anon  qual  qlead rep   mgr   dir   qualB qleadB repB
    "home":                  Row(GET,  (L,    302,  302,  302,  302,  302,  302,  302,  302)),
    "login":                 Row(GET,  (200,  200,  200,  200,  200,  200,  200,  200,  200)),
    "logout":                Row(POST, (L,    L,    L,    L,    L,    L,    L,    L,    L)),
    "healthz":               Row(GET,  (200,  200,  200,  200,  200,  200,  200,  200,  200)),
    "intake":                Row(GET,  (200,  200,  200,  200,  200,  200,  200,  200,  200)),
    # every role's search (issue 16 §5): each finds only what leads_scope lets them see
    "search":                Row(GET,  (L,    200,  200,  200,  200,  200,  200,  200,  200),
                                 query=lambda w: "q=SEC"),
    "notifications":         Row(GET,  (L,    200,  200,  200,  200,  200,  200,  200,  200)),
    # personal data (152-ФЗ): the policy is public, a person's requests are the director's
    "privacy-policy":        Row(GET,  (200,  200,  200,  200,  200,  200,  200,  200,  200)),
    "privacy:requests":      Row(GET,  (L,    403,  403,  403,  403,  200,  403,  403,  403)),
    "privacy:export":        Row(POST, (L,    403,  403,  403,  403,  200,  403,  403,  403),
                                 data=lambda w: {"phone": "+79990001122"}),
    "privacy:erase":         Row(POST, (L,    403,  403,  403,  403,  302,  403,  403,  403),
                                 data=lambda w: {"phone": "+79990001122", "confirm": "on"}),
    "notifications-read":    Row(POST, (L,    302,  302,  302,  302,  302,  302,  302,  302),
                                 data=lambda w: {"id": w.notification.pk}),
    # machine API: token auth only, a session never authenticates (so no CSRF question arises)
    "api-leads":             Row(POST, (401,  401,  401,  401,  401,  401,  401,  401,  401),
                                 data=lambda w: {"phone": "+79161234567", "name": "api"}),
    "api-calls":             Row(POST, (401,  401,  401,  401,  401,  401,  401,  401,  401), data=lambda w: {}),
    # PBX notifications: the provider's signature, never a session; an unknown account is 404 for everyone
    "api-pbx-mango":         Row(POST, (404,  404,  404,  404,  404,  404,  404,  404,  404), target="pbx",
                                 data=lambda w: {}),
    "api-pbx-zadarma":       Row(POST, (404,  404,  404,  404,  404,  404,  404,  404,  404), target="pbx",
                                 data=lambda w: {}),
    "api-schema":            Row(GET,  (200,  200,  200,  200,  200,  200,  200,  200,  200)),
    # the qualification workspace; lead ids: a lead of team A held by another qualifier
    "qualification:index":   Row(GET,  (L,    200,  200,  403,  403,  200,  200,  200,  403)),
    "qualification:next":    Row(POST, (L,    302,  302,  403,  403,  403,  302,  302,  403)),
    "qualification:sla-panel": Row(GET, (L,   403,  200,  403,  403,  200,  403,  200,  403)),
    "qualification:handoffs": Row(GET, (L,    200,  200,  403,  403,  200,  200,  200,  403)),
    "qualification:lead":    Row(GET,  (L,    403,  200,  403,  403,  200,  403,  403,  403), target=HELD),
    "qualification:claim":   Row(POST, (L,    302,  302,  403,  403,  403,  403,  403,  403), target="lead:new_a"),
    # click-to-call: no PBX in this world, so who may call is sent back to the card with the refusal
    "qualification:call-place": Row(POST, (L, 403,  302,  403,  403,  302,  403,  403,  403), target=HELD),
    "qualification:call-live": Row(GET, (L,   403,  200,  403,  403,  200,  403,  403,  403), target=HELD),
    "qualification:call-log": Row(POST, (L,   403,  302,  403,  403,  302,  403,  403,  403), target=HELD,
                                 data=lambda w: {"outcome": "no_answer", "note": "matrix"}),
    "qualification:checklist": Row(POST, (L,  403,  302,  403,  403,  302,  403,  403,  403), target=HELD,
                                 data=lambda w: KITCHEN_PASSING_ANSWERS),
    "qualification:qualify": Row(POST, (L,    403,  302,  403,  403,  302,  403,  403,  403), target=HELD,
                                 data=lambda w: {"note": "matrix"}),
    "qualification:hand-off": Row(POST, (L,   403,  302,  403,  403,  302,  403,  403,  403), target=HELD,
                                 data=lambda w: {"note": "matrix", "sales_rep": w.people["rep"].pk}),
    "qualification:disqualify": Row(POST, (L, 403,  302,  403,  403,  403,  403,  403,  403), target=HELD,
                                 data=lambda w: {"reason": _reason("disqualify", "no_budget")}),
    "qualification:release": Row(POST, (L,    403,  302,  403,  403,  302,  403,  403,  403), target=HELD),
    "qualification:reassign": Row(POST, (L,   403,  302,  403,  403,  302,  403,  403,  403), target=HELD,
                                 data=lambda w: {"qualifier": w.people["qualifier"].pk}),
    # the deal board; deal ids: deals of another rep (rep2) of sales team A
    "sales:index":           Row(GET,  (L,    O,    O,    200,  200,  200,  O,    O,    200)),
    # "Сегодня": a rep's own day (the visit of rep2 below is on 2 December); the manager any rep's
    "sales:today":           Row(GET,  (L,    O,    O,    200,  200,  200,  O,    O,    200),
                                 query=lambda w: "day=2026-12-02"),
    "sales:running-late":    Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target="visit",
                                 data=lambda w: {"minutes": 15}),
    "sales:board-column":    Row(GET,  (L,    O,    O,    200,  200,  200,  O,    O,    200), target="column:new"),
    "sales:closed":          Row(GET,  (L,    O,    O,    200,  200,  200,  O,    O,    200)),
    "sales:outcomes":        Row(GET,  (L,    200,  200,  403,  403,  200,  200,  200,  403)),
    "sales:deal":            Row(GET,  (L,    O,    O,    403,  200,  200,  O,    O,    403), target=DEAL),
    "sales:accept":          Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target=DEAL),
    "sales:dispute":         Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"reason": _reason("dispute", "modular"), "comment": "matrix"}),
    "sales:schedule":        Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"starts_at": "2026-12-03T12:00", "address": "Москва, Тверская, 1"}),
    "sales:measurement":     Row(GET,  (L,    O,    O,    403,  200,  200,  O,    O,    403), target=DEAL),
    "sales:measure":         Row(POST, (L,    403,  403,  403,  302,  403,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"quote_amount": "300000", **KITCHEN_ROOM}),
    # a photo of the disputed deal: its people and the arbiters of team A; an anonymous visitor learns nothing
    "sales:photo":           Row(GET,  (404,  403,  200,  403,  200,  200,  403,  403,  403), target="photo"),
    "sales:photo-thumbnail": Row(GET,  (404,  403,  200,  403,  200,  200,  403,  403,  403), target="photo"),
    # the recording of the disputed lead's hand-off call: the same people as its photos (issue 16 §3)
    "qualification:recording": Row(GET, (404, 403,  200,  403,  200,  200,  403,  403,  403), target="recording"),
    # call quality reviews (issue 16 §4): the team's qualification lead and the director; another team's
    # lead gets their own (empty) lists and cannot draw team A (the form refuses the team); a qualifier
    # only their own reviews (the world's review is another qualifier's call)
    "qualification:reviews": Row(GET, (L,     403,  200,  403,  403,  200,  403,  200,  403)),
    "qualification:reviews-done": Row(GET, (L, 403, 200,  403,  403,  200,  403,  200,  403)),
    "qualification:review":  Row(GET,  (L,    403,  200,  403,  403,  200,  403,  403,  403), target="review"),
    "qualification:review-draw": Row(POST, (L, 403, 302,  403,  403,  302,  403,  302,  403),
                                 data=lambda w: {"team": w.teams["a"].pk, "week": "2026-11-30"}),
    "qualification:my-reviews": Row(GET, (L,  200,  200,  403,  403,  200,  200,  200,  403)),
    # only the qualifier whose call was reviewed acknowledges it, once it is reviewed
    "qualification:review-acknowledge": Row(POST, (L, 302, 403, 403, 403, 403, 403, 403, 403),
                                 target="own_review"),
    "sales:win":             Row(POST, (L,    403,  403,  403,  302,  403,  403,  403,  403),
                                 target="lead:measured_a",
                                 data=lambda w: {"deal_amount": "400000", "deal_date": "2026-12-01"}),
    "sales:lose":            Row(POST, (L,    403,  403,  403,  302,  403,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"reason": _reason("lose", "price")}),
    "sales:reassign":        Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"sales_rep": w.people["rep"].pk}),
    # corrections of a closed deal: the sales manager and the director (the world's deals are open, so
    # the allowed roles are refused by the service's state check, after the permission check)
    "sales:correct":         Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"amount": "500000", "deal_date": "2026-12-01", "reason": "matrix"}),
    "sales:reopen":          Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target=DEAL,
                                 data=lambda w: {"reason": "matrix"}),
    "sales:reschedule":      Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target="visit",
                                 data=lambda w: {"starts_at": "2026-12-04T12:00"}),
    "sales:no-show":         Row(POST, (L,    403,  403,  403,  302,  302,  403,  403,  403), target="visit"),
    "sales:arbitration":     Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "sales:uphold":          Row(POST, (L,    403,  302,  403,  302,  302,  403,  403,  403), target="dispute",
                                 data=lambda w: {f"u{w.dispute.pk}-note": "matrix"}),
    "sales:reject":          Row(POST, (L,    403,  302,  403,  302,  302,  403,  403,  403), target="dispute",
                                 data=lambda w: {f"r{w.dispute.pk}-note": "matrix"}),
    "sales:calendar":        Row(GET,  (L,    O,    O,    200,  200,  200,  O,    O,    200)),
    # free slots of a lead of team A held by another qualifier
    "sales:slots":           Row(GET,  (L,    403,  200,  403,  200,  200,  403,  403,  403),
                                 query=lambda w: f"lead={w.leads['held_a'].pk}"),
    "sales:calendar-feed":   Row(GET,  (L,    O,    O,    200,  200,  200,  O,    O,    200)),
    "sales:calendar-feed-rotate": Row(POST, (L,  O,    O,    302,  302,  302,  O,    O,    302)),
    # the feed itself: the secret link is the key (a calendar app has no session), whoever asks
    "sales:calendar-feed-ics": Row(GET, (200,  200,  200,  200,  200,  200,  200,  200,  200), target="feed"),
    "sales:book":            Row(POST, (L,    403,  302,  403,  302,  302,  403,  403,  403),
                                 data=lambda w: {"lead": w.leads["held_a"].pk, "slot": _slot(w, 3, 14),
                                                 "address": "Москва, Арбат, 2"}),
    # book + qualify + hand off in one submit: the queue's side only (a sales manager may book, not qualify);
    # held_a's checklist is unanswered: the qualification lead's and the director's submit is refused on the page (409)
    "sales:book-hand-off":   Row(POST, (L,    403,  409,  403,  403,  409,  403,  403,  403),
                                 data=lambda w: {"lead": w.leads["held_a"].pk, "slot": _slot(w, 3, 14),
                                                 "address": "Москва, Арбат, 2"}),
    # reports: team leads, managers and the director; "my stats" for everyone
    "reports:index":         Row(GET,  (L,    302,  302,  302,  302,  302,  302,  302,  302)),
    "reports:funnel":        Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:speed":         Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:handoff":       Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:reviews":       Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    # the staffing planner and its roster (issue 17 §1): the qualification lead (own team) and the director;
    # an empty what-if applies nothing (302 back with a message); another team's shift is not found
    "reports:staffing":      Row(GET,  (L,    403,  200,  403,  403,  200,  403,  200,  403)),
    "reports:staffing-roster": Row(GET, (L,   403,  200,  403,  403,  200,  403,  200,  403)),
    "reports:staffing-backtest": Row(GET, (L, 403,  200,  403,  403,  200,  403,  200,  403)),
    "reports:staffing-apply": Row(POST, (L,   403,  302,  403,  403,  302,  403,  302,  403), data=lambda w: {}),
    "reports:staffing-shift-delete": Row(POST, (L, 403, 302, 403, 403, 302, 403, 404, 403), target="shift"),
    # criteria and outcomes (issue 17 §2): the qualification lead (own team) and the director; only the
    # director promotes a rule (an empty form goes back to the page with the errors)
    "reports:criteria":      Row(GET,  (L,    403,  200,  403,  403,  200,  403,  200,  403)),
    "reports:criteria-promote": Row(POST, (L, 403,  403,  403,  403,  302,  403,  403,  403), data=lambda w: {}),
    "reports:disqualified":  Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:sales":         Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:economics":     Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:pilot":         Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:my":            Row(GET,  (L,    200,  200,  200,  200,  200,  200,  200,  200)),
    # the leads behind one's own figure on My stats: everyone's own (the person is never a parameter)
    "reports:my-leads":      Row(GET,  (L,    200,  200,  200,  200,  200,  200,  200,  200),
                                 query=lambda w: "figure=my.won&dim=month"),
    # the leads with client contacts (export logged) and the export log: issue 12 §3
    "reports:leads":         Row(GET,  (L,    403,  200,  403,  200,  200,  403,  200,  403)),
    "reports:exports-log":   Row(GET,  (L,    403,  403,  403,  403,  200,  403,  403,  403)),
    # source economics and its spend upload (issue 18 §1): the company's money, the director's
    "reports:sources":       Row(GET,  (L,    403,  403,  403,  403,  200,  403,  403,  403)),
    "reports:spend-import":  Row(GET,  (L,    403,  403,  403,  403,  200,  403,  403,  403)),
    # the first-run wizard (issue 18 §2): the director sets up the installation
    "presets:wizard":        Row(GET,  (L,    403,  403,  403,  403,  200,  403,  403,  403)),
    # two-factor sign-in: managers, the director and admins; to qualifiers and reps it does not exist.
    # Nobody here has a second factor: the code step sends them on, a code given is wrong (400).
    "two_factor:setup":      Row(GET,  (L,    404,  200,  404,  200,  200,  404,  200,  404)),
    "two_factor:start":      Row(POST, (L,    404,  302,  404,  302,  302,  404,  302,  404)),
    "two_factor:confirm":    Row(POST, (L,    404,  400,  404,  400,  400,  404,  400,  404),
                                 data=lambda w: {"token": "000000"}),
    "two_factor:disable":    Row(POST, (L,    404,  400,  404,  400,  400,  404,  400,  404),
                                 data=lambda w: {"token": "000000"}),
    "two_factor:policy":     Row(POST, (L,    404,  404,  404,  404,  302,  404,  404,  404), data=lambda w: {}),
    "two_factor:verify":     Row(GET,  (L,    302,  302,  302,  302,  302,  302,  302,  302)),
}
# fmt: on

# List pages must not show other people's leads: (url name, role) → world lead keys that must be absent.
LEAKS = {
    ("qualification:index", "qualifier"): ("held_a",),
    ("qualification:index", "qualifier_b"): ("new_a", "held_a"),
    ("qualification:index", "qlead_b"): ("new_a", "held_a"),
    ("qualification:handoffs", "qualifier"): ("deal_a", "measured_a"),
    ("qualification:handoffs", "qlead_b"): ("deal_a", "measured_a"),
    ("sales:outcomes", "qualifier"): ("deal_a", "measured_a", "disputed_a"),
    ("sales:outcomes", "qualifier_b"): ("deal_a", "measured_a", "disputed_a"),
    ("sales:index", "rep"): ("deal_a", "measured_a", "visit_a"),
    ("sales:index", "rep_b"): ("deal_a", "measured_a", "visit_a"),
    ("sales:calendar", "rep"): ("visit_a",),
    ("sales:today", "rep"): ("visit_a",),
    ("sales:today", "rep_b"): ("visit_a",),
    ("sales:board-column", "rep"): ("deal_a", "measured_a", "visit_a"),
    ("sales:calendar", "rep_b"): ("visit_a",),
    ("sales:arbitration", "qlead_b"): ("disputed_a",),
    ("notifications", "rep"): ("deal_a",),
}
REFUSED = {401, 403, 404, 405}


def url_patterns(resolver=None, prefix="", namespace=""):
    """(route, name) of every URL pattern, walking included URL confs."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if any(route.startswith(skip) for skip in SKIPPED_PREFIXES):
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from url_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            if any(route.startswith(skip) for skip in SKIPPED_PREFIXES):
                continue
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name


def test_every_url_pattern_has_a_row():
    """A new URL fails here until someone decides who may open it."""
    found = dict(url_patterns())
    unnamed = [route for route, name in found.items() if not name]
    assert not unnamed, f"URL patterns without a name cannot be checked: {unnamed}"
    names = set(found.values())
    missing = sorted(names - set(MATRIX))
    stale = sorted(set(MATRIX) - names)
    assert not missing, f"URLs without a permission-matrix row (add one to MATRIX): {missing}"
    assert not stale, f"MATRIX rows for URLs that no longer exist: {stale}"


def test_the_matrix_is_big_enough():
    """The figure quoted in docs/security.md."""
    assert len(MATRIX) * len(ROLES) == len(MATRIX) * 9 >= 450


def _url(world, name):
    row = MATRIX[name]
    kwargs = {}
    if row.target == "feed":
        kwargs = {"token": world.feed_token}
    elif row.target.startswith("column:"):
        kwargs = {"column": row.target.partition(":")[2]}
    elif row.target == "pbx":  # an account that does not exist
        kwargs = {"account_id": 999_999} | ({"kind": "call"} if "<str:kind>" in _pattern_of(name) else {})
    elif row.target:
        kind, _, key = row.target.partition(":")
        pk = world.leads[key].pk if kind == "lead" else getattr(world, kind).pk
        pattern_kwargs = [k for k in ("lead_id", "pk") if k in _pattern_of(name)]
        kwargs = {pattern_kwargs[0]: pk}
    url = reverse(name, kwargs=kwargs)
    if row.query:
        url += "?" + row.query(world)
    return url


def _pattern_of(name):
    return next(route for route, found in url_patterns() if found == name)


def _client(world, role):
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_SECRET
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    return client


def fingerprint():
    """What a refused request must not change."""
    return (
        list(
            Lead.objects.order_by("pk").values_list(
                "pk", "status", "qualifier_id", "sales_rep_id", "handoff_state", "criteria_passed", "updated_at"
            )
        ),
        list(Visit.objects.order_by("pk").values_list("pk", "status", "starts_at", "rep_id")),
        list(Dispute.objects.order_by("pk").values_list("pk", "decision")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        CallAttempt.objects.count(),
        LeadAnswer.objects.count(),
        StateLog.objects.count(),
        Shift.objects.count(),
    )


def _outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("login")):
            return L
        if location.startswith(reverse("sales:outcomes")):
            return O
    return response.status_code


def _request(world, name, role):
    row = MATRIX[name]
    client = _client(world, role)
    url = _url(world, name)
    if row.method == GET:
        return client.get(url)
    data = dict(row.data(world)) if row.data else {}
    data["csrfmiddlewaretoken"] = CSRF_SECRET
    return client.post(url, data)


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr("leadflow.views._check_broker", lambda: True)  # healthz: the broker is not under test
    with time_machine.travel(NOW, tick=False):
        engine_heartbeat_record()  # healthz: the SLA engine swept just now (its states: tests/leadflow/test_health.py)
        yield build_world()


def _savepoint():
    """A savepoint that a top-level service's atomic(durable=True) may run inside, as it may inside the
    test's own transaction: Django lets a durable block nest only in a TestCase's blocks, which it marks
    like this (django.db.transaction.Atomic.__enter__)."""
    block = transaction.atomic()
    block._from_testcase = True
    return block


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(world, name):
    """One URL, every role; each request runs in a savepoint that is rolled back, so roles do not
    see each other's changes. Collects every mismatch before failing, so the report is the diff."""
    mismatches = []
    for role in ROLES:
        with _savepoint():
            before = fingerprint()
            response = _request(world, name, role)
            got = _outcome(response)
            expected = MATRIX[name].expect[role]
            if got != expected:
                mismatches.append(f"{role}: expected {expected}, got {got} ({response.status_code})")
            elif (got in REFUSED or got == L) and fingerprint() != before:
                mismatches.append(f"{role}: refused with {got} but the database changed")
            for key in LEAKS.get((name, role), ()):
                lead_name = world.leads[key].name
                if response.status_code == 200 and lead_name in response.content.decode():
                    mismatches.append(f"{role}: the page shows {key} ({lead_name}) of someone else")
            transaction.set_rollback(True)
    assert not mismatches, f"{name}:\n" + "\n".join(mismatches)
