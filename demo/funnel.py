"""The shape of the demo funnel: outcome paths and their shares, hourly/daily intake, delays, money.

Each lead is assigned a path (its whole story if nothing stopped it) from a shuffled deck with exact
shares; the simulation then cuts every story at "now", which leaves the recent leads open.
"""

# path -> share of all leads, %. Disqualified ≈ 68 %, handed off ≈ 32 %, won ≈ 8.3 % (≤ 10 % by design).
PATHS = {
    "dq_modular": 24.0,
    "dq_unreachable": 11.0,
    "dq_no_budget": 11.0,
    "dq_not_in_region": 5.0,
    "dq_timeline": 6.0,
    "dq_no_need": 5.0,
    "dq_duplicate": 3.0,
    "dq_spam": 3.0,
    "dispute_upheld": 1.0,
    "dispute_rejected_lost": 0.6,
    "dispute_rejected_won": 0.3,
    "lost_before_visit": 4.0,
    "measured_lost": 18.1,
    "won": 8.0,
}
HANDOFF_PATHS = {
    "dispute_upheld",
    "dispute_rejected_lost",
    "dispute_rejected_won",
    "lost_before_visit",
    "measured_lost",
    "won",
}
WON_PATHS = {"won", "dispute_rejected_won"}
# disqualification reason code of each dq_ path
DQ_REASON = {path: path[3:] for path in PATHS if path.startswith("dq_")}
DISPUTE_TO_DISQUALIFY = {
    "modular": "modular",
    "no_budget": "no_budget",
    "not_in_region": "not_in_region",
    "no_need": "no_need",
    "not_decision_maker": "no_need",
    "wrong_contact": "unreachable",
}

# Moscow-time intake by hour of day: kitchens are chosen in the evening and at lunch.
HOUR_WEIGHTS = [
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 3.0, 4.5, 5.5,
    6.0, 6.0, 5.5, 5.0, 5.0, 5.2, 5.5, 6.0, 6.0, 4.0, 2.5, 1.2,
]  # fmt: skip
WEEKDAY_WEIGHTS = [1.15, 1.1, 1.05, 1.0, 0.9, 0.85, 0.95]  # Monday first; Sunday evenings are busy
HOLIDAY_WEIGHT = 0.6
TREND = (0.85, 1.15)  # the ad budget grew over the quarter

# Speed to lead, working minutes from receipt to the first call: ≈85 % within 15, ≈92 % within 20.
RESPONSE_BUCKETS = [(0.55, 0.5, 6), (0.22, 6, 12), (0.08, 12, 15), (0.07, 15, 20), (0.08, 20, 90)]

SOURCE_WEIGHTS = {  # by kind of story: junk comes from the marketplace, deals from search and calls
    "junk": {"website": 25, "avito": 35, "yandex_direct": 30, "call_tracking": 10},
    "target": {"website": 33, "avito": 12, "yandex_direct": 32, "call_tracking": 23},
}
JUNK_PATHS = {"dq_modular", "dq_no_budget", "dq_spam", "dq_duplicate"}
CHANNELS = {"website": "form", "avito": "api", "yandex_direct": "form", "call_tracking": "call"}

QUALIFIER_WEIGHTS = {  # qualifier4 hands off leads that sales disputes and loses: the reports flag her
    "default": [0.30, 0.27, 0.25, 0.18],
    "bad_handoff": [0.15, 0.20, 0.20, 0.45],
    "won": [0.33, 0.30, 0.27, 0.10],
}
BAD_HANDOFF_PATHS = {"dispute_upheld", "dispute_rejected_lost", "lost_before_visit"}
REP_WEIGHTS = {
    "default": [0.2, 0.2, 0.2, 0.2, 0.2],
    "won": [0.30, 0.22, 0.20, 0.16, 0.12],
    "measured_lost": [0.14, 0.19, 0.20, 0.22, 0.25],
}
LOSE_REASONS = {"price": 35, "competitor": 25, "timing": 15, "family_decision": 10, "design": 8, "no_response": 7}
OBJECTIONS = ["price", "timing", "competitor", "family_decision", "design"]

QUOTE_MEDIAN = 430_000
QUOTE_SIGMA = 0.33
QUOTE_RANGE = (250_000, 900_000)
VISIT_HOURS = (10, 12, 14, 16, 18)  # measurement slots, local time
MOSCOW_MOBILE_CODES = [
    "903", "905", "906", "909", "910", "915", "916", "917", "919", "925", "926",
    "929", "936", "958", "962", "963", "964", "965", "967", "977", "985", "999",
]  # fmt: skip


def deck(rng, count):
    """`count` path names with exact shares (largest remainder), shuffled."""
    names = list(PATHS)
    exact = [count * PATHS[name] / 100 for name in names]
    counts = [int(x) for x in exact]
    for index in sorted(range(len(names)), key=lambda i: exact[i] - counts[i], reverse=True)[: count - sum(counts)]:
        counts[index] += 1
    cards = [name for name, n in zip(names, counts, strict=True) for _ in range(n)]
    rng.shuffle(cards)
    return cards


PHONE_SPACE = len(MOSCOW_MOBILE_CODES) * 10_000_000
PHONE_MULTIPLIER = 2_654_435_761  # coprime with PHONE_SPACE: index -> number is a bijection


def phone(index):
    """A distinct, valid Moscow mobile number for every index below PHONE_SPACE, scattered so that
    neighbours do not look alike."""
    number = (index * PHONE_MULTIPLIER + 1_234_567) % PHONE_SPACE
    code = MOSCOW_MOBILE_CODES[number % len(MOSCOW_MOBILE_CODES)]
    return f"+7{code}{number // len(MOSCOW_MOBILE_CODES):07d}"
