"""The people and objects the security tests act on, built through the real services.

Two qualification teams (A feeds sales team A, B feeds sales team B). Team A has the people whose
objects the others reach for: `qualifier2` holds a lead, `rep2` owns the deals, the visit and the
disputed hand-off. Every lead has a distinctive name, so a list page that leaks one is caught.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from leadflow import roles
from leadflow.models import Lead, Notification, Shift, Team
from leadflow.services import notification_send
from qualification import services as q
from sales import services as s
from tests.factories import (
    LeadFactory,
    TeamFactory,
    UserFactory,
    kitchen_checklist,
    make_user,
    qualification_team,
    reason,
    sales_team,
    set_hours,
)

MSK = ZoneInfo("Europe/Moscow")
# Tuesday 1 December 2026, 10:00 in Moscow: inside both teams' working hours.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=MSK)
SALES_HOURS = dict.fromkeys(range(6), ("09:00", "20:00"))

# The people a request comes from (the matrix's columns); "anonymous" has no user.
ROLES = (
    "anonymous",
    "qualifier",
    "qlead",
    "rep",
    "manager",
    "director",
    "qualifier_b",
    "qlead_b",
    "rep_b",
)


@dataclass
class World:
    people: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    leads: dict = field(default_factory=dict)
    visit: object = None
    dispute: object = None
    notification: object = None
    photo: object = None  # a photo of the disputed deal (its rep, manager, director and arbiters see it)
    recording: object = None  # the recording of the disputed lead's call (who may see the lead hears it)
    review: object = None  # that call drawn for the qualification lead's review (issue 16 §4)
    own_review: object = None  # a reviewed call of the team A qualifier's own: theirs to acknowledge
    shift: object = None  # team A's qualifier on the roster (the staffing planner, issue 17 §1)
    feed_token: str = ""  # the deal owner's calendar feed link

    def user(self, role):
        return None if role == "anonymous" else self.people[role]


def build_world(**names):
    """Everything the matrix needs. `names` overrides lead names (the XSS corpus uses this)."""
    from django.apps import apps

    from sales.reference import ensure_objection_tags

    ensure_objection_tags(apps.get_model)
    kitchen_checklist()
    team_a = qualification_team()
    sales_a = sales_team()
    sales_b = TeamFactory(name="Продажи (Казань)", kind=Team.Kind.SALES)
    set_hours(sales_b, SALES_HOURS)
    team_b = TeamFactory(name="Квалификация Б", kind=Team.Kind.QUALIFICATION, sales_team=sales_b)

    people = {
        "qualifier": make_user(roles.QUALIFIER, team=team_a, username="sec_qualifier"),
        "qualifier2": make_user(roles.QUALIFIER, team=team_a, username="sec_qualifier2"),
        "qlead": make_user(roles.QUALIFICATION_LEAD, team=team_a, username="sec_qlead"),
        "rep": make_user(roles.SALES_REP, team=sales_a, username="sec_rep"),
        "rep2": make_user(roles.SALES_REP, team=sales_a, username="sec_rep2"),
        "manager": make_user(roles.SALES_MANAGER, team=sales_a, username="sec_manager"),
        "director": UserFactory(role=roles.DIRECTOR, team=None, username="sec_director"),  # on no team
        "qualifier_b": make_user(roles.QUALIFIER, team=team_b, username="sec_qualifier_b"),
        "qlead_b": make_user(roles.QUALIFICATION_LEAD, team=team_b, username="sec_qlead_b"),
        "rep_b": make_user(roles.SALES_REP, team=sales_b, username="sec_rep_b"),
    }
    team_a.lead = people["qlead"]
    team_a.save(update_fields=["lead"])
    team_b.lead = people["qlead_b"]
    team_b.save(update_fields=["lead"])

    def name(key, default):
        return names.get(key, default)

    holder, owner = people["qualifier2"], people["rep2"]

    def qualified(key, default):
        lead = LeadFactory(name=name(key, default), address="Москва, ул. Тверская, 1", qualification_team=team_a)
        q.lead_claim(lead_id=lead.pk, actor=holder)
        Lead.objects.filter(pk=lead.pk).update(criteria_passed=True)
        return q.lead_qualify(lead_id=lead.pk, actor=holder)

    def handed_off(key, default):
        lead = qualified(key, default)
        return q.lead_hand_off(lead_id=lead.pk, actor=holder, sales_rep=owner)

    leads = {}
    leads["new_a"] = LeadFactory(name=name("new_a", "SEC New A"), qualification_team=team_a)
    held = LeadFactory(name=name("held_a", "SEC Held A"), address="Москва, ул. Арбат, 2", qualification_team=team_a)
    leads["held_a"] = q.lead_claim(lead_id=held.pk, actor=holder)
    leads["deal_a"] = handed_off("deal_a", "SEC Deal A")
    measured = handed_off("measured_a", "SEC Measured A")
    s.handoff_accept(lead_id=measured.pk, actor=owner)
    leads["measured_a"] = s.lead_record_measurement(lead_id=measured.pk, actor=owner, quote_amount=Decimal("350000"))
    visited = handed_off("visit_a", "SEC Visit A")
    s.handoff_accept(lead_id=visited.pk, actor=owner)
    visit = s.visit_schedule(lead_id=visited.pk, actor=owner, starts_at=datetime(2026, 12, 2, 11, 0, tzinfo=MSK))
    leads["visit_a"] = Lead.objects.get(pk=visited.pk)
    disputed = handed_off("disputed_a", "SEC Disputed A")
    dispute = s.handoff_dispute(
        lead_id=disputed.pk, actor=owner, reason=reason("dispute", "modular"), comment="Клиенту нужна модульная"
    )
    leads["disputed_a"] = Lead.objects.get(pk=disputed.pk)
    leads["new_b"] = LeadFactory(name=name("new_b", "SEC New B"), qualification_team=team_b)

    notification = notification_send(
        recipient=owner, kind=Notification.Kind.INFO, lead=leads["deal_a"], text="SEC note for rep2", url=""
    )
    _feed, feed_token = s.calendar_feed_rotate(actor=owner)
    return World(
        people=people,
        teams={"a": team_a, "b": team_b, "sales_a": sales_a, "sales_b": sales_b},
        leads=leads,
        visit=visit,
        dispute=dispute,
        notification=notification,
        photo=_photo_of(leads["disputed_a"], owner),
        recording=(recording := _recording_of(leads["disputed_a"], holder)),
        review=_review_of(recording, team_a),
        own_review=_reviewed_call_of(leads["new_a"], people["qualifier"], people["qlead"], team_a),
        shift=Shift.objects.create(
            team=team_a, user=people["qualifier"], weekday=0, starts_at=time(9), ends_at=time(18)
        ),
        feed_token=feed_token,
    )


def _reviewed_call_of(lead, qualifier, reviewer, team):
    from qualification.models import CallAttempt, CallReview, CallScript

    attempt = CallAttempt.objects.create(lead=lead, actor=qualifier, outcome=CallAttempt.Outcome.REACHED)
    return CallReview.objects.create(
        attempt=attempt,
        qualifier=qualifier,
        team=team,
        week=NOW.date(),
        script=CallScript.objects.filter(team=team, is_active=True).first(),
        reviewer=reviewer,
        reviewed_at=NOW,
        score=Decimal("0.75"),
    )


def _review_of(recording, team):
    from qualification.models import CallReview, CallScript

    script = CallScript.objects.filter(team=team, is_active=True).first()
    return CallReview.objects.create(
        attempt=recording.attempt, qualifier=recording.attempt.actor, team=team, week=NOW.date(), script=script
    )


def _recording_of(lead, actor):
    from django.core.files.base import ContentFile

    from qualification.models import CallAttempt, CallRecording

    attempt = CallAttempt.objects.create(
        lead=lead, actor=actor, outcome=CallAttempt.Outcome.REACHED, recording_ref="r1"
    )
    recording = CallRecording(attempt=attempt, content_type="audio/mpeg", size_bytes=8)
    recording.file.save("call.mp3", ContentFile(b"ID3audio"), save=False)
    recording.save()
    return recording


def _photo_of(lead, actor):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from PIL import Image

    from sales.models import MeasurementPhoto
    from sales.photos import clean_photo
    from sales.services.photos import photos_store

    buffer = BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buffer, "JPEG")
    photo = clean_photo(SimpleUploadedFile("kitchen.jpg", buffer.getvalue()))
    photos_store(lead=lead, measurement=None, photos=[photo], actor=actor, at=timezone.now(), written=[])
    return MeasurementPhoto.objects.get(lead=lead)
