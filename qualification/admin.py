"""Admin of the qualification workspace: criteria checklists (versioned), call scripts, hand-off routes,
call log."""

from django.contrib import admin, messages
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from leadflow import hotcache
from leadflow.admin_scope import ScopedAdmin, lead_rows, team_rows

from .models import (
    CallAttempt,
    CallReview,
    CallScript,
    Checklist,
    Criterion,
    HandoffRoute,
    HandoffSummary,
    LeadAnswer,
    ReviewPolicy,
    ScriptStep,
)
from .services import checklist_copy


class CriterionInline(admin.StackedInline):
    model = Criterion
    extra = 0
    fields = (
        ("position", "code", "kind", "required"),
        "question",
        "help_text",
        "options",
        ("min_value", "max_value", "unit"),
        ("valid_min", "valid_max"),
        "pass_if_yes",
        "disqualify_reason",
    )


@admin.register(Checklist)
class ChecklistAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = team_rows("team")

    list_display = ("title", "team", "version", "is_active", "criteria_count", "created_at")
    list_filter = ("team", "is_active")
    inlines = [CriterionInline]
    actions = ["copy_as_new_version", "activate"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_criteria=Count("criteria"))

    @admin.display(description=_("criteria"), ordering="n_criteria")
    def criteria_count(self, obj):
        return obj.n_criteria

    def get_readonly_fields(self, request, obj=None):
        # answers keep the criterion they were given to: a version in use is copied, not edited
        if obj is not None and LeadAnswer.objects.filter(criterion__checklist=obj).exists():
            return ("team", "version")
        return ()

    @admin.action(description=_("Copy as a new version (inactive)"))
    def copy_as_new_version(self, request, queryset):
        for checklist in queryset:
            with transaction.atomic():
                copy = checklist_copy(checklist=checklist, actor=request.user)
            messages.success(request, _("Created %(copy)s: edit it, then activate it.") % {"copy": copy})

    @admin.action(description=_("Activate (answers to other versions stay as they were)"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, _("Choose exactly one checklist to activate."))
            return
        checklist = queryset.get()
        with transaction.atomic():
            Checklist.objects.filter(team=checklist.team, is_active=True).update(is_active=False)
            Checklist.objects.filter(pk=checklist.pk).update(is_active=True)
            transaction.on_commit(hotcache.clear)  # the cards' cached checklist (update() sends no signal)
        messages.success(request, _("%(checklist)s is now active.") % {"checklist": checklist})


class ScriptStepInline(admin.TabularInline):
    model = ScriptStep
    extra = 0
    fields = ("position", "code", "title", "hint")


@admin.register(CallScript)
class CallScriptAdmin(ScopedAdmin, admin.ModelAdmin):
    """Saving a script publishes a new version with the edited text and steps (the one edited stays as
    it was, with the reviews made against it): qualification.services.call_script_publish."""

    row_scope = team_rows("team")

    list_display = ("title", "team", "stage", "version", "is_active", "published_at")
    list_filter = ("team", "stage", "is_active")
    fields = ("team", "stage", "title", "text")
    inlines = [ScriptStepInline]

    def save_model(self, request, obj, form, change):
        request._script_to_publish = obj  # published with its steps in save_related

    def save_related(self, request, form, formsets, change):
        from .services import call_script_publish

        steps = []
        for formset in formsets:
            rows = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            steps += sorted(rows, key=lambda row: row.get("position") or 0)
            # nothing of the edited version is saved: the change message lists no inline rows
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        obj = request._script_to_publish
        published = call_script_publish(
            team=obj.team,
            stage=obj.stage,
            title=obj.title,
            text=obj.text,
            steps=[{"code": row["code"], "title": row["title"], "hint": row.get("hint", "")} for row in steps],
            actor=request.user,
        )
        form.instance = published
        obj.pk = published.pk

    def response_change(self, request, obj):
        messages.success(request, _("Published as a new version; the previous version is kept as it was."))
        return super().response_change(request, obj)


@admin.register(HandoffRoute)
class HandoffRouteAdmin(ScopedAdmin, admin.ModelAdmin):
    """Several sales teams fed by one qualification team: the first matching rule picks the sales team."""

    row_scope = team_rows("team")

    list_display = ("team", "position", "region", "product_interest", "language", "source", "sales_team", "is_active")
    list_filter = ("team", "sales_team", "language", "is_active")
    list_select_related = ("team", "source", "sales_team")
    ordering = ("team", "position", "pk")


@admin.register(CallAttempt)
class CallAttemptAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    list_display = ("lead", "outcome", "called_at", "actor", "callback_at", "direction", "reported_by")
    list_filter = ("outcome", "direction")
    list_select_related = ("lead", "actor", "reported_by", "reported_by__source")
    raw_id_fields = ("lead", "actor", "reported_by")
    date_hierarchy = "called_at"
    # the recording link is read-only here; saying the scheme silences Django 6.0's http→https default change
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_change_permission(self, request, obj=None):
        return False  # the call log is history: log a new attempt instead


@admin.register(LeadAnswer)
class LeadAnswerAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    list_display = ("lead", "criterion", "checklist_version", "value", "passed", "answered_by", "answered_at")
    list_filter = ("passed", "checklist_version")
    list_select_related = ("lead", "criterion", "answered_by")
    raw_id_fields = ("lead", "criterion", "answered_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(HandoffSummary)
class HandoffSummaryAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    list_display = ("lead", "sales_rep", "created_by", "created_at", "budget", "timeline")
    list_select_related = ("lead", "sales_rep", "created_by")
    raw_id_fields = ("lead", "sales_rep", "created_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = team_rows("team")

    list_display = ("team", "calls_per_qualifier")


@admin.register(CallReview)
class CallReviewAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = team_rows("team")

    list_display = ("attempt", "qualifier", "week", "reason", "score", "reviewed_at", "acknowledged_at")
    list_filter = ("reason", "team")
    list_select_related = ("attempt__lead", "qualifier")
    raw_id_fields = ("attempt", "qualifier", "reviewer", "script")

    def has_change_permission(self, request, obj=None):
        return False  # reviewed on /queue/reviews/, never edited behind the qualifier's back

    def has_add_permission(self, request):
        return False
