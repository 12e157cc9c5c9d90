"""The planner's forms: the what-if (GET, nothing saved) and a shift of the roster (POST)."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from leadflow.models import Shift, WorkingHours
from leadflow.people import display_name

from .model import ShiftSpec, minutes_of

WEEKDAY_CHOICES = WorkingHours.Weekday.choices
TIME_WIDGET = forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}, format="%H:%M")
SELECT = {"class": "form-select form-select-sm"}
NUMBER = {"class": "form-control form-control-sm"}


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class PlannerForm(forms.Form):
    """Team, the promise (X % within N minutes) and the what-if: add a shift, move one."""

    team = forms.ModelChoiceField(queryset=None, label=_("Team"), required=False, widget=forms.Select(attrs=SELECT))
    target = forms.IntegerField(
        label=_("Promise: share called, %"),
        min_value=50,
        max_value=99,
        required=False,
        widget=forms.NumberInput(NUMBER),
    )
    sla = forms.IntegerField(
        label=_("within, working minutes"), min_value=1, max_value=240, required=False, widget=forms.NumberInput(NUMBER)
    )
    add_weekday = forms.TypedChoiceField(
        label=_("Add a shift: day"),
        choices=[("", "—"), *WEEKDAY_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    add_start = forms.TimeField(label=_("from, time"), required=False, widget=TIME_WIDGET)
    add_end = forms.TimeField(label=_("to, time"), required=False, widget=TIME_WIDGET)
    add_count = forms.IntegerField(
        label=_("how many"), min_value=1, max_value=20, required=False, widget=forms.NumberInput(NUMBER)
    )
    move_shift = forms.ModelChoiceField(
        queryset=Shift.objects.none(), label=_("Move a shift"), required=False, widget=forms.Select(attrs=SELECT)
    )
    move_weekday = forms.TypedChoiceField(
        label=_("to day"),
        choices=[("", "—"), *WEEKDAY_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    move_start = forms.TimeField(label=_("from, time"), required=False, widget=TIME_WIDGET)
    move_end = forms.TimeField(label=_("to, time"), required=False, widget=TIME_WIDGET)

    WHAT_IF_FIELDS = ("add_weekday", "add_start", "add_end", "move_shift", "move_weekday", "move_start", "move_end")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = teams
        self.fields["team"].queryset = teams
        self.fields["team"].empty_label = None
        team = self.chosen_team()
        self.fields["target"].widget.attrs["placeholder"] = "90"
        self.fields["add_count"].widget.attrs["placeholder"] = "1"
        if team is not None:
            self.fields["sla"].widget.attrs["placeholder"] = str(team.sla_warn_minutes)
            self.fields["move_shift"].queryset = Shift.objects.filter(team=team).select_related("user")
            self.fields["move_shift"].label_from_instance = lambda shift: (
                f"{display_name(shift.user)}: {shift.get_weekday_display()} "
                f"{shift.starts_at:%H:%M}–{shift.ends_at:%H:%M}"
            )

    def chosen_team(self):
        wanted = self.data.get("team")
        if not hasattr(self, "_teams"):
            self._teams = list(self.teams.prefetch_related("working_hours"))
        teams = self._teams
        for team in teams:
            if str(team.pk) == str(wanted):
                return team
        return teams[0] if teams else None

    def clean(self):
        data = super().clean()
        for prefix, anchor in (("add", "add_weekday"), ("move", "move_shift")):
            keys = [anchor, f"{prefix}_start", f"{prefix}_end"] + (["move_weekday"] if prefix == "move" else [])
            given = [key for key in keys if data.get(key) not in (None, "")]
            if given and len(given) < len(keys):
                raise forms.ValidationError(_("Fill in the day and both times of the shift, or leave them all empty."))
            if given and data[f"{prefix}_end"] <= data[f"{prefix}_start"]:
                raise forms.ValidationError(_("A shift must end after it starts."))
        return data

    def target_share(self):
        return (self.cleaned_data.get("target") or 90) / 100

    def sla_minutes(self, team):
        return self.cleaned_data.get("sla") or team.sla_warn_minutes

    def added_shift(self):
        data = self.cleaned_data
        if data.get("add_weekday") is None:
            return None
        return ShiftSpec(
            weekday=data["add_weekday"], start=minutes_of(data["add_start"]), end=minutes_of(data["add_end"])
        )

    def added_count(self):
        return self.cleaned_data.get("add_count") or 1

    def moved(self):
        data = self.cleaned_data
        if data.get("move_shift") is None:
            return None, None
        to = ShiftSpec(
            weekday=data["move_weekday"], start=minutes_of(data["move_start"]), end=minutes_of(data["move_end"])
        )
        return data["move_shift"].pk, to

    def has_what_if(self):
        return self.is_valid() and (self.added_shift() is not None or self.moved()[0] is not None)


class ShiftForm(forms.ModelForm):
    user = PersonChoiceField(queryset=None, label=_("Qualifier"), widget=forms.Select(attrs=SELECT))

    class Meta:
        model = Shift
        fields = ["user", "weekday", "starts_at", "ends_at"]
        widgets = {"weekday": forms.Select(attrs=SELECT), "starts_at": TIME_WIDGET, "ends_at": TIME_WIDGET}

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model().objects.filter(profile__team=team, is_active=True).order_by("last_name", "first_name")
        )

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise forms.ValidationError(_("A shift must end after it starts."))
        return data
