"""What one lead card costs (issue 14 §2): its query budget per viewer and status, the forms it does not
build for a status that does not show them, and the briefly cached team data that must still change at
once in the process that changed it (leadflow.hotcache)."""

import pytest
from django.urls import reverse

from leadflow import roles
from leadflow.models import LeadStatus, Reason
from qualification import services as q
from qualification.models import CallScript, Checklist, Criterion
from tests.factories import kitchen_checklist, make_user, queue_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids

# session, user, roles, (the manager's two-factor gate), lead, team of the viewer, answers, call attempts,
# history, the phone's leads, their inquiries, the latest PBX call, the bell's count; the checklist, the
# script and the reasons come from the per-process cache (a warm-up request fills it)
CARD_QUERIES = {
    ("qualifier", "new"): 12,
    ("qlead", "qualifying"): 17,  # + the hand-off routes, the team, the reps and the qualifiers to pick from
    ("qlead", "disqualified"): 13,  # no decision forms: no reps, no qualifiers
}


def card(lead):
    return reverse("qualification:lead", args=[lead.pk])


def _lead(status, qualifier):
    lead = queue_lead()
    if status != "new":
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
    if status == "disqualified":
        reason = Reason.objects.filter(kind=Reason.Kind.DISQUALIFY, is_active=True).first()
        q.lead_disqualify(lead_id=lead.pk, actor=qualifier, reason=reason, note="")
    return lead


@pytest.mark.parametrize(("viewer", "status"), list(CARD_QUERIES))
def test_card_keeps_its_query_budget(client, django_assert_num_queries, qualifier, qlead, viewer, status):
    kitchen_checklist()
    make_user(roles.SALES_REP)
    lead = _lead(status, qualifier)
    assert lead.__class__.objects.get(pk=lead.pk).status == status
    client.force_login(qualifier if viewer == "qualifier" else qlead)
    client.get(card(lead))  # sessions, content types and the card's cached team data warm up once
    with django_assert_num_queries(CARD_QUERIES[viewer, status]):
        response = client.get(card(lead))
    assert response.status_code == 200


def test_a_closed_lead_builds_no_decision_forms(client, qualifier, qlead):
    kitchen_checklist()
    lead = _lead("disqualified", qualifier)
    client.force_login(qlead)
    context = client.get(card(lead)).context
    for name in ("qualify_form", "disqualify_form", "reassign_form", "hand_off_form", "call_form"):
        assert context[name] is None, name
    open_lead = _lead("qualifying", qualifier)
    context = client.get(card(open_lead)).context
    for name in ("qualify_form", "disqualify_form", "reassign_form", "call_form"):
        assert context[name] is not None, name
    assert "sales_rep" in context["qualify_form"].fields  # the manager picks the rep


def test_the_cached_checklist_changes_at_once_in_this_process(client, qualifier):
    v1 = kitchen_checklist()
    lead = _lead("qualifying", qualifier)
    client.force_login(qualifier)
    assert f"{v1.title} v1" in client.get(card(lead)).content.decode()
    Checklist.objects.filter(pk=v1.pk).update(is_active=False)  # update(): no signal, the create below sends one
    v2 = Checklist.objects.create(team=v1.team, version=2, title="Новый список", is_active=True)
    Criterion.objects.create(checklist=v2, code="budget", question="Бюджет?", kind=Criterion.Kind.YES_NO, position=1)
    html = client.get(card(lead)).content.decode()
    assert "Новый список v2" in html and "Бюджет" in html


def test_the_cached_script_and_reasons_change_at_once_in_this_process(client, qualifier):
    kitchen_checklist()
    lead = _lead("qualifying", qualifier)
    client.force_login(qualifier)
    client.get(card(lead))
    Reason.objects.create(kind=Reason.Kind.DISQUALIFY, code="too-far", title="Слишком далеко", position=99)
    script = CallScript.objects.filter(team=lead.qualification_team, is_active=True).first()
    script.text = "Здравствуйте, это новый текст"
    script.save()
    html = client.get(card(lead)).content.decode()
    assert "Слишком далеко" in html and "Здравствуйте, это новый текст" in html


def test_another_process_sees_a_change_within_the_cache_time(client, qualifier, settings, time_machine):
    """A save clears only the saving process's cache: the others keep the old rows at most HOT_CACHE_SECONDS."""
    settings.HOT_CACHE_SECONDS = 5
    kitchen_checklist()
    lead = _lead("qualifying", qualifier)
    client.force_login(qualifier)
    time_machine.move_to("2026-11-30 12:00:00+00:00")
    client.get(card(lead))
    Reason.objects.bulk_create([Reason(kind=Reason.Kind.DISQUALIFY, code="elsewhere", title="Сохранено в другом")])
    assert "Сохранено в другом" not in client.get(card(lead)).content.decode()  # as another process would
    time_machine.move_to("2026-11-30 12:00:06+00:00")
    assert "Сохранено в другом" in client.get(card(lead)).content.decode()


def test_a_reason_the_card_does_not_list_yet_is_still_checked_against_the_table(client, qualifier):
    kitchen_checklist()
    lead = _lead("qualifying", qualifier)
    client.force_login(qualifier)
    client.get(card(lead))
    # bulk_create sends no signal: the card's cached list does not have it, the table does
    [fresh] = Reason.objects.bulk_create([Reason(kind=Reason.Kind.DISQUALIFY, code="fresh", title="Новая причина")])
    assert "Новая причина" not in client.get(card(lead)).content.decode()
    response = client.post(reverse("qualification:disqualify", args=[lead.pk]), {"reason": fresh.pk})
    assert response.status_code == 302
    assert lead.__class__.objects.get(pk=lead.pk).status == LeadStatus.DISQUALIFIED
