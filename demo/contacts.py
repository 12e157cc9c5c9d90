"""Who the demo leads are: Russian names, Moscow phones and addresses, source, UTM tags and message,
chosen to fit each lead's story (junk comes from the marketplace, out-of-region leads from far away)."""

from . import funnel
from . import vocabulary as words


def pick(rng, items, weights):
    return rng.choices(items, weights)[0]


def contact(rng, index, path, ctx):
    """Name, phone, e-mail, place, source and message of a lead whose story is `path`."""
    female = rng.random() < 0.55
    first = rng.choice(words.FEMALE_FIRST if female else words.MALE_FIRST)
    surname = rng.choice(words.SURNAMES)
    last = words.feminine_surname(surname) if female else surname
    form = rng.random()
    if form < 0.5:
        name = f"{first} {last}"
    elif form < 0.9:
        name = first
    else:
        patronymic = rng.choice(words.FEMALE_PATRONYMICS if female else words.MALE_PATRONYMICS)
        name = f"{last} {first} {patronymic}"
    email = ""
    if rng.random() < 0.35:
        email = (
            f"{words.translit(first)}.{words.translit(surname)}{rng.randint(1, 99)}@{rng.choice(words.EMAIL_DOMAINS)}"
        )
    if path == "dq_not_in_region":
        city, region = rng.choice(words.FAR_CITIES)
        address = f"{rng.choice(words.TOWN_STREETS)}, д. {rng.randint(1, 120)}"
    elif rng.random() < 0.66:
        district = rng.choice(list(words.MOSCOW_DISTRICTS))
        city, region = "Москва", "Москва"
        address = f"р-н {district}, {rng.choice(words.MOSCOW_DISTRICTS[district])}, д. {rng.randint(1, 150)}"
    else:
        city, region = rng.choice(words.MOSCOW_REGION_TOWNS), "Московская область"
        address = f"{rng.choice(words.TOWN_STREETS)}, д. {rng.randint(1, 90)}"
    if rng.random() < 0.4:
        address = ""  # web forms rarely ask for it; the qualifier fills it in later
    kind = "junk" if path in funnel.JUNK_PATHS else "target"
    weights = funnel.SOURCE_WEIGHTS[kind]
    source_code = pick(rng, list(weights), list(weights.values()))
    vocab = ctx.words
    if path == "dq_modular":
        interest = "modular" if rng.random() < 0.8 else "unknown"
    elif path == "dq_spam":
        interest = "unknown"
    else:
        interest = "custom" if rng.random() < 0.85 else "unknown"
    if source_code == "call_tracking":
        message = words.CALL_MESSAGE
    else:
        pool = {"custom": "target", "modular": "off_product"}.get(interest, "unknown")
        message = rng.choice(vocab.messages[pool])
    if not vocab.product_interest:  # "custom / modular" is the kitchen's distinction
        interest = "unknown"
    utm_source = utm_medium = utm_campaign = ""
    if source_code == "yandex_direct":
        utm_source, utm_medium = "yandex", "cpc"
        utm_campaign = rng.choice(vocab.yandex_campaigns)
    elif source_code == "website":
        utm_campaign = rng.choice(list(vocab.website_campaigns))
        utm_source, utm_medium = vocab.website_campaigns[utm_campaign]
        if utm_campaign == "seo":
            utm_campaign = ""
    elif source_code == "call_tracking" and rng.random() < 0.7:
        utm_source, utm_medium = "yandex", "cpc"
        utm_campaign = rng.choice(vocab.yandex_campaigns)
    return {
        "name": name,
        "phone": funnel.phone(index),
        "email": email,
        "city": city,
        "region": region,
        "address": address,
        "source_id": ctx.source_ids[source_code],
        "utm_source": utm_source,
        "utm_medium": utm_medium,
        "utm_campaign": utm_campaign,
        "product_interest": interest,
        "message": message,
    }
