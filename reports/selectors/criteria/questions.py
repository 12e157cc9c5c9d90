"""The checklist questions across versions, and number answers in bands."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    IntegerField,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from qualification.models import Criterion

from ..funnel import answer_label
from .figures import DEFAULT_BANDS, JsonNumber, latest_answers

# --- the questions and their bands ------------------------------------------------------------------


@dataclass
class Question:
    code: str
    text: str
    kind: str
    options: list
    unit: str
    bands: tuple = ()

    def band_labels(self):
        edges = self.bands
        unit = f"\u00a0{self.unit}" if self.unit else ""
        labels = []
        for i in range(len(edges) + 1):
            if i == 0:
                labels.append(_("under %(high)s") % {"high": _number(edges[0])} + unit)
            elif i == len(edges):
                labels.append(_("%(low)s and more") % {"low": _number(edges[-1])} + unit)
            else:
                labels.append(
                    _("%(low)s to under %(high)s") % {"low": _number(edges[i - 1]), "high": _number(edges[i])} + unit
                )
        return labels

    def answer_label(self, value):
        if self.kind == Criterion.Kind.CHOICE:
            for option in self.options:
                if str(option.get("value")) == str(value):
                    return option.get("label") or str(value)
        return answer_label(value)


def _number(value):
    value = Decimal(str(value))
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0")


def questions(*, team_id=None):
    """The questions of the checklists (of one team), latest wording first, in the latest order; one query."""
    criteria = Criterion.objects.order_by("code", "-checklist__version")
    if team_id:
        criteria = criteria.filter(checklist__team_id=team_id)
    seen = {}
    for criterion in criteria.values(
        "code", "question", "kind", "options", "unit", "min_value", "max_value", "position"
    ):
        if criterion["code"] in seen:
            continue
        bands = ()
        if criterion["kind"] == Criterion.Kind.NUMBER:
            configured = getattr(settings, "CRITERIA_NUMBER_BANDS", DEFAULT_BANDS)
            bands = tuple(configured.get(criterion["code"]) or ())
            if not bands:
                bounds = [b for b in (criterion["min_value"], criterion["max_value"]) if b is not None]
                bands = tuple(sorted({float(b) for b in bounds})) or (0,)
        seen[criterion["code"]] = (
            criterion["position"],
            Question(
                criterion["code"],
                criterion["question"],
                criterion["kind"],
                criterion["options"] or [],
                criterion["unit"],
                bands,
            ),
        )
    return [q for _pos, q in sorted(seen.values(), key=lambda item: item[0])]


def _band(number_questions):
    """The band index of a NUMBER answer (annotated `num`), per question code."""
    whens = []
    for question in number_questions:
        for i, edge in enumerate(question.bands):
            whens.append(When(criterion__code=question.code, num__lt=edge, then=Value(i)))
        whens.append(When(criterion__code=question.code, then=Value(len(question.bands))))
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def answers_of(leads_q, number_questions):
    """Latest answers of the leads matching `leads_q` (a Q over LeadAnswer, `lead__` prefixed)."""
    answers = latest_answers().filter(leads_q).annotate(num=JsonNumber("value"))
    return answers.annotate(band=_band(number_questions)) if number_questions else answers
