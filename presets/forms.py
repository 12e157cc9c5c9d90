"""The first-run wizard's form: the business, the two teams and their hours. Russian messages; what was
typed stays on the page when something is wrong."""

from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.models import Team, WorkingHours

from . import schema

WEEKDAYS = WorkingHours.Weekday.choices


def preset_choices():
    return [(name, schema.load(name)["title"]) for name in schema.names()]


class SetupForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Business"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}), choices=preset_choices
    )
    qualification_name = forms.CharField(label=_("Team name"), max_length=120, initial="Квалификация")
    qualification_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        initial=[0, 1, 2, 3, 4, 5, 6],
    )
    qualification_opens = forms.TimeField(label=_("opens at"), initial=time(9), widget=forms.TimeInput(format="%H:%M"))
    qualification_closes = forms.TimeField(
        label=_("closes at"), initial=time(21), widget=forms.TimeInput(format="%H:%M")
    )
    sales_name = forms.CharField(label=_("Team name"), max_length=120, initial="Продажи (Москва)")
    sales_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        initial=[0, 1, 2, 3, 4, 5],
    )
    sales_opens = forms.TimeField(label=_("opens at"), initial=time(9), widget=forms.TimeInput(format="%H:%M"))
    sales_closes = forms.TimeField(label=_("closes at"), initial=time(20), widget=forms.TimeInput(format="%H:%M"))

    def clean(self):
        data = super().clean()
        for prefix, kind in (("qualification", Team.Kind.QUALIFICATION), ("sales", Team.Kind.SALES)):
            opens, closes = data.get(f"{prefix}_opens"), data.get(f"{prefix}_closes")
            if opens and closes and closes <= opens:
                self.add_error(f"{prefix}_closes", _("The team closes after it opens."))
            name = (data.get(f"{prefix}_name") or "").strip()
            other = Team.objects.filter(name=name).exclude(kind=kind).first()
            if name and other is not None:
                self.add_error(f"{prefix}_name", _("“%(name)s” is a team of another kind.") % {"name": name})
        names = [(data.get(name) or "").strip() for name in ("qualification_name", "sales_name")]
        if names[0] and names[0] == names[1]:
            self.add_error("sales_name", _("The two teams need different names."))
        return data

    @property
    def qualification_hours(self):
        return [self["qualification_opens"], self["qualification_closes"]]

    @property
    def sales_hours(self):
        return [self["sales_opens"], self["sales_closes"]]

    def team_specs(self):
        from .services import TeamSpec

        data = self.cleaned_data
        return [
            TeamSpec(
                kind,
                data[f"{prefix}_name"].strip(),
                tuple(sorted(data[f"{prefix}_days"])),
                data[f"{prefix}_opens"].strftime("%H:%M"),
                data[f"{prefix}_closes"].strftime("%H:%M"),
            )
            for prefix, kind in (("qualification", Team.Kind.QUALIFICATION), ("sales", Team.Kind.SALES))
        ]
