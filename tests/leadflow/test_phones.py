"""Phones are stored in E.164; Russian habits are understood, garbage is refused with a clear message."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from leadflow.phones import format_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "8 (912) 345-67-89",
        "+7 912 345 67 89",
        "9123456789",
        "89123456789",
        "79123456789",
        "+79123456789",
        "+7(912)345-67-89",
        "8-912-345-67-89",
        "  8 912 345 67 89  ",
        "7 912 345 67 89",
    ],
)
def test_russian_mobile_formats_become_e164(raw):
    assert normalize_phone(raw) == "+79123456789"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (495) 123-45-67", "+74951234567"),  # Moscow landline
        ("+375 29 123-45-67", "+375291234567"),  # Belarus, with its country code
    ],
)
def test_landlines_and_foreign_numbers_with_a_country_code(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a phone number."),
        ("   ", "Enter a phone number."),
        (None, "Enter a phone number."),
        ("call me", "is not a phone number"),
        ("12345", "is not a valid phone number"),
        ("8 (912) 345-67-89-00-11", "is not a valid phone number"),
        ("+7 000 000 00 00", "is not a valid phone number"),
        # libphonenumber would read these letters as a keypad and guess +79161661622 / +79162255669
        ("+7 916 1OO 1O 22", "has letters in it"),
        ("8 916 CALL NOW", "has letters in it"),
    ],
)
def test_garbage_is_rejected_with_a_clear_message(raw, message):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        normalize_phone(raw)
    text = " ".join(excinfo.value.messages)
    assert message in text
    if raw and raw.strip():
        assert "+7 912 345-67-89" in text  # shows what a good number looks like


def test_format_for_display():
    assert format_phone("+79123456789") == "+7 912 345-67-89"


@pytest.mark.parametrize("raw", ["+7 (912) 345-67-89 доб. 12", "8 912 345 67 89 ext. 5", "+79123456789 x3"])
def test_an_extension_is_the_one_place_for_letters(raw):
    assert normalize_phone(raw) == "+79123456789"


def test_e164_russian_numbers_are_checked_without_the_parser_with_the_same_verdict():
    """`+7` and ten digits skip libphonenumber's parser (leadflow.phones.E164_RU): for a number under every
    four-digit prefix, the verdict and the stored form are the library's own, valid or not."""
    import random

    import phonenumbers

    rng = random.Random(14)
    verdicts = set()
    for prefix in range(1000, 10000):
        text = f"+7{prefix}{rng.randrange(10**6):06d}"
        parsed = phonenumbers.parse(text, "RU")
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(parsed):
            assert normalize_phone(text) == expected == text
            verdicts.add("valid")
        else:
            with pytest.raises(ValidationError) as refused:
                normalize_phone(text)
            assert (refused.value.code, refused.value.params) == ("invalid", {"value": text})
            assert "+7 912 345-67-89" in refused.value.messages[0]  # the message with its example
            verdicts.add("invalid")
    assert verdicts == {"valid", "invalid"}
