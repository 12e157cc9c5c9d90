"""Finding leads by what a person types: a name, a phone in any format, an e-mail, an external id.

One condition for every search box (the queue's `?q=`, the search of every role): a phone typed the
Russian way (`8 958 463-19-54`, `+7 (958) 463-19-54`, `9584631954`) is normalised by intake's own
`normalize_phone` and found exactly; a part of a number (`8 958 463`, the last digits) by its digits,
the trunk `8` read as `+7`."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from .phones import normalize_phone

MIN_PHONE_DIGITS = 3


def text_contains(field, value):
    """Case-insensitive "contains" that also works for Cyrillic on SQLite (whose LIKE folds ASCII only)."""
    condition = Q()
    for variant in {value, value.lower(), value.capitalize(), value.upper()}:
        condition |= Q(**{f"{field}__icontains": variant})
    return condition


@dataclass(frozen=True)
class PhoneQuery:
    e164: str = ""  # the whole number, when the text is one
    digits: str = ""  # a part of a number, else ""

    def condition(self, field="phone"):
        if self.e164:
            return Q(**{field: self.e164})
        if not self.digits:
            return Q(pk__in=[])
        condition = Q(**{f"{field}__contains": self.digits})
        if self.digits.startswith("8"):  # 8 958 463… = +7 958 463…
            condition |= Q(**{f"{field}__startswith": "+7" + self.digits[1:]})
        return condition


def phone_query(value):
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        return PhoneQuery()
    if len(digits) >= 10:
        try:
            return PhoneQuery(e164=normalize_phone(value))
        except ValidationError:
            pass
    return PhoneQuery(digits=digits)


def lead_name_or_phone(value):
    """The queue's search: the name, or the phone in any format. A whole phone number is only a phone
    (an equality the phone index answers, not a scan of every name)."""
    phone = phone_query(value)
    if phone.e164:
        return phone.condition()
    return text_contains("name", value) | phone.condition()


def lead_search(value):
    """Every role's search: name, phone in any format, e-mail, external id."""
    phone = phone_query(value)
    if phone.e164:
        # a formatted number is a phone (indexed); bare digits may also be a marketplace's id (a scan)
        return phone.condition() | Q(external_id=value) if value.isdigit() else phone.condition()
    return lead_name_or_phone(value) | Q(email__icontains=value) | Q(external_id__iexact=value)
