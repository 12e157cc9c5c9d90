"""Report filters: period (preset or custom dates), team, person, source, region, grouping."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow import roles
from leadflow.models import Source, Team
from leadflow.people import display_name

from .selectors import Period, ReportFilter
from .selectors.economics import month_start, next_month

PRESETS = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("last_30", _("Last 30 days")),
    ("this_quarter", _("This quarter")),
    ("this_year", _("This year")),
    ("custom", _("Dates below")),
]


def preset_dates(preset, today):
    """[first day, last day] of a preset, in local dates."""
    if preset == "last_month":
        end = month_start(today) - timedelta(days=1)
        return month_start(end), end
    if preset == "last_30":
        return today - timedelta(days=29), today
    if preset == "this_quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "this_year":
        return date(today.year, 1, 1), today
    return month_start(today), today


def local_period(first_day, last_day):
    tz = timezone.get_current_timezone()
    return Period(
        timezone.make_aware(datetime.combine(first_day, time()), tz),
        timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time()), tz),
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class ReportFilterForm(forms.Form):
    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False, initial="this_month")
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    person = PersonChoiceField(label=_("Person"), queryset=get_user_model().objects.none(), required=False)
    source = forms.ModelChoiceField(label=_("Source"), queryset=Source.objects.all(), required=False)
    region = forms.CharField(label=_("Region"), required=False, max_length=120)
    group_by = forms.ChoiceField(label=_("Split by"), required=False)

    def __init__(self, data=None, *, scope, group_choices=(), **kwargs):
        super().__init__(data, **kwargs)
        self.scope = scope
        teams = Team.objects.filter(is_active=True)
        people = get_user_model().objects.filter(
            is_active=True, groups__name__in=[roles.QUALIFIER, roles.SALES_REP, roles.QUALIFICATION_LEAD]
        )
        if not scope.sees_all:
            visible = set(scope.team_ids) | set(scope.extra_people_team_ids)
            teams = teams.filter(pk__in=visible)
            people = people.filter(profile__team__in=visible)
        self.fields["team"].queryset = teams
        self.fields["person"].queryset = people.distinct().order_by("last_name", "first_name", "username")
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
        if group_choices:
            self.fields["group_by"].choices = group_choices
            self.fields["group_by"].initial = group_choices[0][0]
        else:
            del self.fields["group_by"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if cleaned.get("preset") == "custom" and (not start or not end):
            raise forms.ValidationError(_("Give both dates of the period."))
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        return cleaned

    def dates(self, today=None):
        today = today or timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        preset = data.get("preset") or "this_month"
        if data.get("start") and data.get("end") and preset == "custom":
            return data["start"], data["end"]
        return preset_dates(preset, today)

    def report_filter(self, today=None):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        first, last = self.dates(today)
        team, person, source = data.get("team"), data.get("person"), data.get("source")
        return ReportFilter(
            period=local_period(first, last),
            team_id=team.pk if team else None,
            person_id=person.pk if person else None,
            source_id=source.pk if source else None,
            region=(data.get("region") or "").strip(),
        )

    def grouping(self):
        if "group_by" not in self.fields:
            return None
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("group_by") or self.fields["group_by"].initial


class PilotForm(forms.Form):
    a_start = forms.DateField(label=_("Before: from"), widget=forms.DateInput(attrs={"type": "date"}))
    a_end = forms.DateField(label=_("Before: to"), widget=forms.DateInput(attrs={"type": "date"}))
    b_start = forms.DateField(label=_("After: from"), widget=forms.DateInput(attrs={"type": "date"}))
    b_end = forms.DateField(label=_("After: to"), widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def defaults(today=None):
        """The previous calendar month against the current one."""
        today = today or timezone.localdate()
        this_month = month_start(today)
        last_month = month_start(this_month - timedelta(days=1))
        return {
            "a_start": last_month,
            "a_end": this_month - timedelta(days=1),
            "b_start": this_month,
            "b_end": next_month(this_month) - timedelta(days=1),
        }

    def clean(self):
        cleaned = super().clean()
        for side in ("a", "b"):
            start, end = cleaned.get(f"{side}_start"), cleaned.get(f"{side}_end")
            if start and end and end < start:
                raise forms.ValidationError(_("A period ends before it starts."))
        return cleaned

    def periods(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else self.defaults()
        return local_period(data["a_start"], data["a_end"]), local_period(data["b_start"], data["b_end"])


ASSUMPTIONS = ("rep_hourly", "minutes_per_lead", "deals_kept_percent")


class CounterfactualForm(forms.Form):
    """The director's assumptions for reps doing their own qualification (source economics)."""

    rep_hourly = forms.DecimalField(
        label=_("Rep's hour, ₽"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=_("Empty: the reps' pay of the period ÷ 164 hours a month."),
    )
    minutes_per_lead = forms.DecimalField(
        label=_("Minutes of a rep per lead"), min_value=0, max_value=600, max_digits=6, decimal_places=1, initial=12
    )
    deals_kept_percent = forms.DecimalField(
        label=_("Deals kept, %"),
        min_value=0,
        max_value=200,
        max_digits=5,
        decimal_places=1,
        initial=100,
        help_text=_("The reps' deals if they spent that time calling: 100 % = as many as now."),
    )

    def __init__(self, data=None, **kwargs):
        if data is not None and not any(data.get(name) for name in ASSUMPTIONS):
            data = None  # the page opened without assumptions: the defaults, no errors
        super().__init__(data, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"

    def counterfactual(self):
        from .selectors.sources import Counterfactual

        if not self.is_bound or not self.is_valid():
            return Counterfactual()
        data = self.cleaned_data
        return Counterfactual(
            rep_hourly=data.get("rep_hourly"),
            minutes_per_lead=data["minutes_per_lead"],
            deals_kept_percent=data["deals_kept_percent"],
        )


class SpendUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("Columns: source, date or month, utm_campaign, amount, vat (с НДС / без НДС), vat_rate."),
    )
