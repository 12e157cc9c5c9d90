"""Phone numbers normalised to E.164 with Google's libphonenumber (the `phonenumbers` package)."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_REGION = "RU"
# An extension after the number, the only place a letter may stand: "доб. 12", "ext 12", "x12".
EXTENSION = re.compile(r"[\s,;]*(?:доб(?:авочный)?|вн(?:утренний)?|ext(?:ension)?|x)\.?\s*\d{1,6}\s*$", re.IGNORECASE)
# +7 and ten digits, the first not 0: what most senders store. libphonenumber reads it as country code 7 and
# the ten digits as the national number (no national prefix to strip: nine digits are no Russian number's
# length), so it is checked without the parser, ~60 % of this function's time (tests/leadflow/test_phones.py
# holds both ways equal for every four-digit prefix).
E164_RU = re.compile(r"\+7[1-9]\d{9}")


def normalize_phone(raw, region=DEFAULT_REGION):
    """'8 (912) 345-67-89', '+7 912 345 67 89', '9123456789' → '+79123456789'.

    Raises ValidationError with a message a person understands.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    # (an invalid one goes on to the full path below, which says so in its words)
    if E164_RU.fullmatch(text) and phonenumbers.is_valid_number(
        phonenumbers.PhoneNumber(country_code=7, national_number=int(text[2:]))
    ):
        return text
    number_part = EXTENSION.sub("", text)
    if any(ch.isdigit() for ch in number_part) and any(ch.isalpha() for ch in number_part):
        # libphonenumber reads letters as a keypad (O→6, CALL→2255): "+7 916 1OO 1O 22" would become
        # someone else's number. A person typed a letter for a digit; ask for the digits.
        raise ValidationError(
            _("'%(value)s' has letters in it: type the phone number in digits, e.g. +7 912 345-67-89."),
            code="letters",
            params={"value": raw},
        )
    digits = "".join(ch for ch in text if ch.isdigit())
    # Russian habits: a trunk '8' before a 10-digit number, or a bare 10-digit mobile number.
    if not text.startswith("+"):
        if len(digits) == 11 and digits[0] == "8":
            text = "+7" + digits[1:]
        elif len(digits) == 11 and digits[0] == "7":
            text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("'%(value)s' is not a phone number. Example: +7 912 345-67-89."), code="invalid", params={"value": raw}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("'%(value)s' is not a valid phone number. Example: +7 912 345-67-89."),
            code="invalid",
            params={"value": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164):
    """+79123456789 → +7 912 345-67-89 for display."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def mask_phone(e164):
    """+79123456789 → +7 912 ***-**-89: enough to tell two requests apart in a log, not to call anyone."""
    shown = format_phone(e164)
    digits = [i for i, ch in enumerate(shown) if ch.isdigit()]
    if len(digits) < 7:
        return "***"
    country_and_code = 4 if shown.startswith("+7") else 3  # +7 912 / +44 20…: the first digits stay
    hidden = set(digits[country_and_code:-2])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(shown))
