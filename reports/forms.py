"""Report filters: period (preset or custom dates), team, person, source, region, grouping."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow import roles
from leadflow.models import ProductInterest, Source, Team
from leadflow.people import display_name

from .models import CriteriaRule
from .selectors import Period, ReportFilter
from .selectors import criteria as criteria_selectors
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


class RuleForm(forms.Form):
    """A candidate criteria rule: "<question or attribute> <operator> <value> → <action>", tried on
    the last `months` months (reports.selectors.criteria.rule_effect). Errors are in Russian and what
    was typed stays in the form."""

    target = forms.ChoiceField(label=_("Question or attribute"))
    operator = forms.ChoiceField(label=_("Operator"), choices=list(criteria_selectors.OPERATORS.items()))
    value = forms.CharField(
        label=_("Value"),
        max_length=200,
        help_text=_("A number, an option, yes / no; for ∈ several, separated by commas."),
    )
    action = forms.ChoiceField(label=_("Then"), choices=CriteriaRule.Action.choices)
    months = forms.IntegerField(label=_("Months of history"), min_value=1, max_value=36, initial=6)
    checklist_team = forms.ModelChoiceField(
        label=_("Team whose checklist changes"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, data=None, *, scope, **kwargs):
        super().__init__(data, **kwargs)
        self.questions = {f"q:{q.code}": q for q in criteria_selectors.questions()}
        choices = [(key, f"{_('Question')}: {q.text[:70]}") for key, q in self.questions.items()]
        choices += [
            (f"a:{name}", f"{_('Attribute')}: {title}") for name, (title, _f) in criteria_selectors.ATTRIBUTES.items()
        ]
        self.fields["target"].choices = choices
        teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True, checklists__is_active=True)
        if not scope.sees_all:
            teams = teams.filter(pk__in=scope.team_ids)
        self.fields["checklist_team"].queryset = teams.distinct().order_by("name")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def clean(self):
        cleaned = super().clean()
        target, operator, raw = cleaned.get("target"), cleaned.get("operator"), cleaned.get("value")
        if not target or not operator or raw is None or cleaned.get("months") is None:
            return cleaned
        texts = [part.strip() for part in raw.split(",")] if operator == "in" else [raw.strip()]
        texts = [text for text in texts if text]
        if not texts:
            raise forms.ValidationError({"value": _("Give a value.")})
        if len(texts) > 1 and operator != "in":
            raise forms.ValidationError({"value": _("Several values go with the operator ∈ only.")})
        question = self.questions.get(target)
        if question is not None:
            values, shown = self._question_values(question, operator, texts)
            target_label = question.text.rstrip("?")
        else:
            values, shown = self._attribute_values(target[2:], operator, texts)
            target_label = str(criteria_selectors.ATTRIBUTES[target[2:]][0])
        cleaned["rule"] = criteria_selectors.Rule(
            target=target, operator=operator, values=tuple(values), action=cleaned["action"], months=cleaned["months"]
        )
        cleaned["text"] = "{} {} {} → {}".format(
            target_label,
            criteria_selectors.OPERATORS[operator],
            ", ".join(shown),
            dict(CriteriaRule.Action.choices)[cleaned["action"]],
        )
        return cleaned

    def _question_values(self, question, operator, texts):
        if question.kind == "number":
            if operator == "in":
                raise forms.ValidationError({"operator": _("For a number use <, ≤, =, ≠, > or ≥.")})
            try:
                number = float(texts[0].replace(" ", "").replace("\u00a0", "").replace(",", "."))
            except ValueError:
                raise forms.ValidationError({"value": _("Enter a number.")}) from None
            return [number], [texts[0]]
        if operator in criteria_selectors.LOOKUP:
            raise forms.ValidationError({"operator": _("For this question use =, ≠ or ∈.")})
        if question.kind == "yes_no":
            values = [_yes_no(text) for text in texts]
            if None in values:
                raise forms.ValidationError({"value": _("Answer yes or no.")})
            return values, texts
        options = {}
        for option in question.options:
            options[str(option.get("value")).lower()] = option
            options[str(option.get("label", "")).lower()] = option
        values, shown = [], []
        for text in texts:
            option = options.get(text.lower())
            if option is None:
                labels = ", ".join(str(o.get("label") or o.get("value")) for o in question.options)
                raise forms.ValidationError({"value": _("Choose one of: %(options)s.") % {"options": labels}})
            values.append(str(option["value"]))
            shown.append(str(option.get("label") or option["value"]))
        return values, shown

    def _attribute_values(self, name, operator, texts):
        if operator in criteria_selectors.LOOKUP:
            raise forms.ValidationError({"operator": _("For this attribute use =, ≠ or ∈.")})
        if name == "source":
            sources = {}
            for pk, code, title in Source.objects.values_list("pk", "code", "name"):
                sources[code.lower()] = sources[title.lower()] = (pk, title)
            found = [sources.get(text.lower()) for text in texts]
            if None in found:
                raise forms.ValidationError({"value": _("No such source.")})
            return [pk for pk, _title in found], [title for _pk, title in found]
        if name == "product_interest":
            kinds = {}
            for value, label in ProductInterest.choices:
                kinds[value] = kinds[str(label).lower()] = value
            found = [kinds.get(text.lower()) for text in texts]
            if None in found:
                raise forms.ValidationError({"value": _("No such product type.")})
            return found, texts
        return texts, texts

    def promotion(self):
        """(criterion code, the `fail` of qualification.services.checklist_version_create) or None when
        the rule is no pass rule of a question (an attribute, or = / ≠ on a number)."""
        rule = self.cleaned_data["rule"]
        question = self.questions.get(rule.target)
        if question is None:
            return None
        if question.kind == "number":
            key = {"lt": "below", "le": "below_or_equal", "gt": "above", "ge": "above_or_equal"}.get(rule.operator)
            return (question.code, {key: rule.values[0]}) if key else None
        if rule.operator == "ne":
            if question.kind == "yes_no":
                return question.code, {"values": [not rule.values[0]]}
            kept = {str(v) for v in rule.values}
            return question.code, {"values": [o["value"] for o in question.options if str(o["value"]) not in kept]}
        return question.code, {"values": list(rule.values)}


def _yes_no(text):
    text = text.strip().lower()
    if text in {"yes", "да", "true", "1"}:
        return True
    if text in {"no", "нет", "false", "0"}:
        return False
    return None


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
