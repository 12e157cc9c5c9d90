"""Object-level access (IDOR) beyond the matrix: the plain cases named in issue 7, the services
refusing on their own (a view is not the only way in), unknown ids and redirects."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from leadflow.exceptions import PermissionRefused
from leadflow.models import Lead, LeadStatus
from qualification import services as q
from sales import services as s
from sales.models import Dispute
from sales.services.visits import ensure_may_book

from .world import NOW, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield build_world()


def _as(world, role):
    client = Client()
    client.force_login(world.people[role])
    return client


def test_qualifier_of_another_team_cannot_open_or_claim_an_unclaimed_lead(world):
    lead = world.leads["new_a"]
    client = _as(world, "qualifier_b")
    assert client.get(reverse("qualification:lead", args=[lead.pk])).status_code == 403
    assert client.post(reverse("qualification:claim", args=[lead.pk])).status_code == 403
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.qualifier_id) == (LeadStatus.NEW, None)
    # the same qualifier's own team works
    own = world.leads["new_b"]
    assert client.post(reverse("qualification:claim", args=[own.pk])).status_code == 302
    own = Lead.objects.get(pk=own.pk)
    assert own.qualifier == world.people["qualifier_b"]


def test_rep_cannot_open_or_win_another_reps_deal(world):
    deal = world.leads["measured_a"]
    client = _as(world, "rep")
    assert client.get(reverse("sales:deal", args=[deal.pk])).status_code == 403
    response = client.post(reverse("sales:win", args=[deal.pk]), {"deal_amount": "350000", "deal_date": "2026-12-01"})
    assert response.status_code == 403
    deal = Lead.objects.get(pk=deal.pk)
    assert deal.status == LeadStatus.MEASURED and deal.deal_amount is None
    # the owner can
    owner = _as(world, "rep2")
    response = owner.post(reverse("sales:win", args=[deal.pk]), {"deal_amount": "350000", "deal_date": "2026-12-01"})
    assert response.status_code == 302
    assert Lead.objects.get(pk=deal.pk).status == LeadStatus.WON


def test_services_refuse_other_peoples_objects_without_the_views(world):
    """The object-level rules live in the services, so a future view or task cannot skip them."""
    p, leads = world.people, world.leads
    with pytest.raises(PermissionRefused):
        q.lead_claim(lead_id=leads["new_a"].pk, actor=p["qualifier_b"])
    with pytest.raises(PermissionRefused):
        q.call_attempt_log(lead_id=leads["held_a"].pk, actor=p["qualifier"], outcome="no_answer")
    with pytest.raises(PermissionRefused):
        q.lead_release(lead_id=leads["held_a"].pk, actor=p["qlead_b"])
    with pytest.raises(PermissionRefused):
        s.handoff_accept(lead_id=leads["deal_a"].pk, actor=p["rep"])
    with pytest.raises(PermissionRefused):
        s.handoff_accept(lead_id=leads["deal_a"].pk, actor=p["rep_b"])
    with pytest.raises(PermissionRefused):
        s.visit_mark_no_show(visit_id=world.visit.pk, actor=p["rep"])
    with pytest.raises(PermissionRefused):
        s.dispute_reject(dispute_id=world.dispute.pk, actor=p["qlead_b"], note="not my team")
    with pytest.raises(PermissionRefused):
        ensure_may_book(lead=leads["held_a"], actor=p["qlead_b"])
    assert Dispute.objects.get(pk=world.dispute.pk).is_pending
    # the team's own qualification lead decides it
    assert s.dispute_reject(dispute_id=world.dispute.pk, actor=p["qlead"], note="target lead").decision == "rejected"


def test_arbitration_queue_of_a_qualification_lead_lists_only_their_team(world):
    other = _as(world, "qlead_b").get(reverse("sales:arbitration"))
    own = _as(world, "qlead").get(reverse("sales:arbitration"))
    assert other.status_code == own.status_code == 200
    assert "SEC Disputed A" not in other.content.decode()
    assert "SEC Disputed A" in own.content.decode()


def test_marking_someone_elses_notification_read_changes_nothing(world):
    response = _as(world, "rep").post(reverse("notifications-read"), {"id": world.notification.pk})
    assert response.status_code == 302
    world.notification.refresh_from_db()
    assert world.notification.read_at is None


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)", "http://testserver.evil/"]
)
def test_notifications_next_is_never_an_open_redirect(world, next_url):
    response = _as(world, "rep").post(reverse("notifications-read"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")


def test_notifications_next_on_this_site_is_followed(world):
    response = _as(world, "rep").post(reverse("notifications-read"), {"next": "/notifications/?page=2"})
    assert response["Location"] == "/notifications/?page=2"


@pytest.mark.parametrize(
    ("role", "method", "url", "status"),
    [
        ("qlead", "get", "/queue/999999/", 404),
        ("qlead", "post", "/queue/999999/claim/", 302),  # the service says "The lead does not exist."
        ("manager", "get", "/board/deal/999999/", 404),
        ("manager", "post", "/board/deal/999999/win/", 404),
        ("manager", "post", "/board/visit/999999/no-show/", 404),
        ("manager", "post", "/board/arbitration/999999/reject/", 404),
        ("manager", "get", "/board/slots/?lead=999999", 404),
    ],
)
def test_unknown_ids_are_refused_not_500(world, role, method, url, status):
    response = getattr(_as(world, role), method)(url)
    assert response.status_code == status


def test_a_rep_cannot_widen_the_board_or_calendar_to_another_rep(world):
    client = _as(world, "rep")
    other = world.people["rep2"].pk
    assert client.get(reverse("sales:index"), {"rep": other}).status_code == 403
    assert client.get(reverse("sales:calendar"), {"rep": other}).status_code == 403
    assert client.get(reverse("sales:index"), {"rep": other}, HTTP_HX_REQUEST="true").status_code == 403
