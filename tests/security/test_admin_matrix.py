"""The admin is not a back door (issue 12 §1): every changelist and change page of every registered model,
for every role, shows only the rows that person may see in the app (leadflow.access).

Generated from the admin registry, so a model registered without a rule fails here: every ModelAdmin
must carry leadflow.admin_scope.ScopedAdmin and name its `row_scope`. Staff are set up as the demo
company has them: the director configures (add/change/view), the two team leads and the sales manager
look (view only), qualifiers and reps are not staff.
"""

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from demo.people import ADMIN_APPS
from leadflow import access
from leadflow.admin_scope import DirectorOnlyAdmin, ScopedAdmin
from leadflow.models import ApiToken, Lead, Notification, SecurityEvent
from leadflow.services import api_token_issue, engine_heartbeat_record, notification_send

from .world import NOW, ROLES, build_world

pytestmark = pytest.mark.django_db
STAFF_VIEWERS = ("qlead", "qlead_b", "manager")
# models whose changelist answers with a redirect by design (the policy is edited on its own page)
CHANGELIST_REDIRECTS = {"leadflow.securitypolicy"}
PAGES_PER_SIDE = 3  # change pages opened per role: in scope and out of scope, each


def _grant(user, *, change):
    perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    perms = perms.exclude(codename__startswith="delete_") if change else perms.filter(codename__startswith="view_")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*perms)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        world = build_world()
        engine_heartbeat_record()
        for role in STAFF_VIEWERS:
            _grant(world.people[role], change=False)
        _grant(world.people["director"], change=True)
        world.people["root"] = get_user_model().objects.create_superuser("sec_root", "root@example.com", "pass")
        api_token_issue(source=world.leads["new_a"].source, name="site", created_by=world.people["root"])
        notification_send(recipient=world.people["qlead"], kind=Notification.Kind.INFO, text="SEC note for qlead")
        yield world


def _client(world, role):
    client = Client()
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    return client


def _expected_access(model_admin, user):
    """'login' (not staff), 'forbidden' (no permission, or the director's only) or 'list'."""
    if user is None or not user.is_active or not user.is_staff:
        return "login"
    if isinstance(model_admin, DirectorOnlyAdmin) and not access.is_director(user):
        return "forbidden"
    opts = model_admin.model._meta
    if not (
        user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    ):
        return "forbidden"
    return "list"


def _other_side(world, role):
    """The teams a team-A (or team-B) staff member must never see rows of."""
    a = {world.teams["a"].pk, world.teams["sales_a"].pk}
    b = {world.teams["b"].pk, world.teams["sales_b"].pk}
    return b if role in ("qlead", "manager") else a


def test_every_registered_model_names_its_row_scope():
    unscoped = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, ScopedAdmin) or model_admin.row_scope is None
    ]
    assert not unscoped, f"admin without a row scope (leadflow/admin_scope.py): {unscoped}"


@pytest.mark.parametrize(
    "model", sorted(admin.site._registry, key=lambda model: model._meta.label), ids=lambda m: m._meta.label
)
def test_admin_pages_show_only_what_the_role_may_see(world, model):
    model_admin = admin.site._registry[model]
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    every_pk = set(model._default_manager.values_list("pk", flat=True))
    mismatches = []
    for role in (*ROLES, "root"):
        user = world.user(role)
        client = _client(world, role)
        expected = _expected_access(model_admin, user)
        response = client.get(changelist)
        if expected == "login":
            if not (response.status_code == 302 and "/login/" in response["Location"]):
                mismatches.append(f"{role}: the changelist answered {response.status_code}, not the login page")
            continue
        if expected == "forbidden":
            if response.status_code != 403:
                mismatches.append(f"{role}: the changelist answered {response.status_code}, not 403")
            for pk in sorted(every_pk)[:PAGES_PER_SIDE]:
                page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
                if page.status_code != 403:
                    mismatches.append(f"{role}: object {pk} answered {page.status_code}, not 403")
            continue
        allowed = set(model._default_manager.filter(model_admin.row_scope(user)).values_list("pk", flat=True))
        if opts.label_lower in CHANGELIST_REDIRECTS:
            if response.status_code not in (200, 302):
                mismatches.append(f"{role}: the changelist answered {response.status_code}")
        elif response.status_code != 200:
            mismatches.append(f"{role}: the changelist answered {response.status_code}, not 200")
        else:
            listed = {obj.pk for obj in response.context["cl"].queryset}
            if listed != allowed:
                mismatches.append(f"{role}: lists {sorted(listed - allowed)} it may not see")
        if role in STAFF_VIEWERS:
            foreign = [
                obj.pk
                for obj in model._default_manager.filter(pk__in=allowed)
                if access.row_team_id(obj) in _other_side(world, role)
            ]
            if foreign:
                mismatches.append(f"{role}: may see {sorted(foreign)} of the other company side's teams")
        for pk in sorted(allowed)[:PAGES_PER_SIDE]:
            page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
            if page.status_code != 200:
                mismatches.append(f"{role}: its own object {pk} answered {page.status_code}")
        for pk in sorted(every_pk - allowed)[:PAGES_PER_SIDE]:
            page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
            if page.status_code != 302 or page["Location"] != reverse("admin:index"):
                mismatches.append(f"{role}: object {pk} out of scope answered {page.status_code}")
    assert not mismatches, f"{opts.label}:\n" + "\n".join(mismatches)


# --- the reproductions of the issue, spelled out ----------------------------------------------------


def test_a_team_lead_reads_no_lead_of_another_team(world):
    client = _client(world, "qlead")
    other = world.leads["new_b"]
    page = client.get(reverse("admin:leadflow_lead_change", args=[other.pk]))
    assert page.status_code == 302 and page["Location"] == reverse("admin:index")
    listed = client.get(reverse("admin:leadflow_lead_changelist")).content.decode()
    assert "SEC New B" not in listed and "SEC Held A" in listed
    history = client.get(reverse("admin:django_fsm_log_statelog_changelist")).context["cl"].queryset
    assert not history.filter(object_id=other.pk).exists()
    assert set(history.values_list("object_id", flat=True)) <= set(
        Lead.objects.filter(qualification_team=world.teams["a"]).values_list("pk", flat=True)
    )


def test_a_team_lead_sees_only_their_own_notifications(world):
    for i in range(5):
        notification_send(recipient=world.people["rep"], kind=Notification.Kind.INFO, text=f"SEC rep note {i}")
    listed = _client(world, "qlead").get(reverse("admin:leadflow_notification_changelist")).context["cl"].queryset
    own = Notification.objects.filter(recipient=world.people["qlead"])
    assert set(listed) == set(own) and "SEC note for qlead" in {n.text for n in listed}
    assert Notification.objects.exclude(recipient=world.people["qlead"]).count() >= 6
    everything = _client(world, "director").get(reverse("admin:leadflow_notification_changelist"))
    assert everything.context["cl"].queryset.count() == Notification.objects.count()


def test_view_only_staff_cannot_open_credentials_or_the_security_log(world):
    client = _client(world, "qlead")
    token = ApiToken.objects.get()
    for url in (
        reverse("admin:leadflow_apitoken_changelist"),
        reverse("admin:leadflow_apitoken_change", args=[token.pk]),
        reverse("admin:leadflow_securityevent_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:otp_totp_totpdevice_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    index = client.get(reverse("admin:index")).content.decode()
    assert "apitoken" not in index and "securityevent" not in index
    assert SecurityEvent.objects.exists()


def test_a_sales_manager_sees_the_deals_of_their_sales_team_only(world):
    listed = _client(world, "manager").get(reverse("admin:leadflow_lead_changelist")).context["cl"].queryset
    names = set(listed.values_list("name", flat=True))
    assert "SEC Deal A" in names and "SEC New B" not in names
    visits = _client(world, "manager").get(reverse("admin:sales_visit_changelist")).context["cl"].queryset
    assert list(visits) == [world.visit]
    none_of_b = _client(world, "qlead_b").get(reverse("admin:sales_visit_changelist")).context["cl"].queryset
    assert not none_of_b.exists()
