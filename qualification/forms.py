"""Input of the qualifier's actions. Forms validate; services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Reason
from leadflow.people import display_name
from leadflow.widgets import Select

from .models import CallAttempt, Criterion


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%dT%H:%M")


class CallAttemptForm(forms.Form):
    # ids of the card's forms must not collide (several have a "note")
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "call_%s")
        super().__init__(*args, **kwargs)

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallAttempt.Outcome.choices, widget=forms.RadioSelect(attrs={"class": "btn-check"})
    )
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "placeholder": _("What the client said")}),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == CallAttempt.Outcome.CALLBACK:
            when = data.get("callback_at")
            if when is None:
                self.add_error("callback_at", _("Enter the time the client asked to be called back."))
            elif when <= timezone.now():
                self.add_error("callback_at", _("The callback time must be in the future."))
        else:
            data["callback_at"] = None
        return data


SELECT = Select(attrs={"class": "form-select"})  # leadflow.widgets: the same markup, cheaper
YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def _sane_range(criterion):
    """The criterion's own range (`Criterion.range_error`) as a field error, the typed value kept."""

    def validate(number):
        error = criterion.range_error(number)
        if error:
            raise forms.ValidationError(error, code="out_of_range")

    return validate


class ChecklistForm(forms.Form):
    """One field per criterion of the active checklist, named by the criterion code."""

    def __init__(self, *args, checklist_state, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = checklist_state.rows
        for row in self.rows:
            criterion = row.criterion
            initial = row.answer.value if row.answer else None
            common = {"label": criterion.question, "required": False, "help_text": criterion.help_text}
            if criterion.kind == Criterion.Kind.CHOICE:
                choices = [("", "—")] + [(str(o["value"]), o.get("label", o["value"])) for o in criterion.options]
                field = forms.ChoiceField(choices=choices, widget=SELECT, **common)
            elif criterion.kind == Criterion.Kind.NUMBER:
                field = forms.DecimalField(
                    widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
                    validators=[_sane_range(criterion)],
                    **common,
                )
            else:
                field = forms.ChoiceField(choices=YES_NO, widget=SELECT, **common)
                if initial is not None:
                    initial = "yes" if initial else "no"
            field.initial = initial
            field.unit = criterion.unit
            self.fields[criterion.code] = field

    def pairs(self):
        """(bound field, checklist row) for the template: the answer's pass mark beside its question."""
        return [(self[row.criterion.code], row) for row in self.rows]

    def answers(self):
        return {code: ("" if value is None else value) for code, value in self.cleaned_data.items()}


class QualifyForm(forms.Form):
    best_time_to_visit = forms.CharField(
        label=_("Best time to visit"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("e.g. weekdays after 18:00")}),
    )
    note = forms.CharField(
        label=_("Note for the sales rep"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    sales_rep = forms.ModelChoiceField(
        label=_("Sales rep"),
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label=_("By the team's rule"),
        widget=Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, reps=None, **kwargs):
        kwargs.setdefault("auto_id", "qualify_%s")
        super().__init__(*args, **kwargs)
        if reps is None:
            del self.fields["sales_rep"]
        else:
            self.fields["sales_rep"].queryset = reps
            self.fields["sales_rep"].label_from_instance = display_name


class DisqualifyForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=Reason.objects.filter(kind=Reason.Kind.DISQUALIFY, is_active=True),
        widget=Select(attrs={"class": "form-select"}),
        empty_label=_("Choose a reason…"),
        error_messages={"required": _("Choose a disqualification reason.")},
    )
    note = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("Comment (optional)")}),
    )

    def __init__(self, *args, reasons=None, **kwargs):
        """`reasons`: the (pk, title) pairs to show (selectors.disqualify_reason_choices, cached) instead of
        reading the table while rendering; a submitted reason is always checked against the table."""
        kwargs.setdefault("auto_id", "dq_%s")
        super().__init__(*args, **kwargs)
        if reasons is not None:
            field = self.fields["reason"]
            field.choices = [("", field.empty_label), *reasons]


class ReassignForm(forms.Form):
    qualifier = forms.ModelChoiceField(
        label=_("Qualifier"),
        queryset=get_user_model().objects.none(),
        widget=Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, qualifiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualifier"].queryset = qualifiers
        self.fields["qualifier"].label_from_instance = display_name


class CallReviewForm(forms.Form):
    """Each step of the review's script version ticked done / partly / missed, and a comment."""

    comment = forms.CharField(
        label=_("Comment for the qualifier"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )

    def __init__(self, *args, steps, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import ReviewMark

        self.steps = list(steps)
        for step in self.steps:
            self.fields[f"step_{step.pk}"] = forms.ChoiceField(
                label=step.title,
                help_text=step.hint,
                choices=ReviewMark.Mark.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Mark this step: done, partly or missed.")},
            )
        self.order_fields([*(f"step_{step.pk}" for step in self.steps), "comment"])

    def step_fields(self):
        return [self[f"step_{step.pk}"] for step in self.steps]

    def marks(self):
        return {step.pk: self.cleaned_data[f"step_{step.pk}"] for step in self.steps}


class ReviewDrawForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    week = forms.DateField(
        label=_("Week"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].error_messages["required"] = _("Choose the team.")
        self.fields["week"].error_messages["required"] = _("Choose a day of the week to draw.")
