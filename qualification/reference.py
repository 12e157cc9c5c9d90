"""Seed data of the qualification workspace: the kitchen criteria checklist v1 and a call script.

Data, not code: both are edited in the admin afterwards (a changed checklist becomes a new version).
Used by the data migration and by tests that flush the database (transactional tests, live server).
"""

import re

DEFAULT_TEAM = "Квалификация"

KITCHEN_CHECKLIST_TITLE = "Кухни на заказ"

# (code, question, help_text, kind, extra fields, disqualify reason code or None)
KITCHEN_CRITERIA = [
    (
        "product_type",
        "Какая кухня нужна: на заказ или модульная?",
        "Модульные (готовые модули) мы не делаем.",
        "choice",
        {
            "options": [
                {"value": "custom", "label": "На заказ по размерам", "passes": True},
                {"value": "modular", "label": "Модульная / готовая", "passes": False},
            ]
        },
        "modular",
    ),
    ("need_confirmed", "Клиент подтвердил, что планирует покупку кухни?", "", "yes_no", {}, "no_need"),
    (
        "budget",
        "Бюджет на кухню",
        "Проходит от 250 000 ₽.",
        "number",
        {"min_value": 250000, "unit": "₽"},
        "no_budget",
    ),
    (
        "timeline",
        "Когда планирует заказать, через сколько месяцев?",
        "Проходит до 12 месяцев.",
        "number",
        {"min_value": 0, "max_value": 12, "unit": "мес."},
        "timeline",
    ),
    ("region_served", "Адрес в зоне обслуживания (Москва и МО)?", "", "yes_no", {}, "not_in_region"),
    (
        "decision_maker",
        "Говорим с тем, кто принимает решение?",
        "Если нет — договоритесь о звонке.",
        "yes_no",
        {},
        None,
    ),
]

# The sane range of the numbers (a typing error outside it): budget 0–100 000 000 ₽, timeline 0–120 months.
# Separate from KITCHEN_CRITERIA: the seed migration 0003 runs before the columns exist.
KITCHEN_VALID_RANGES = {"budget": (0, 100_000_000), "timeline": (0, 120)}

FIRST_CALL_SCRIPT = """\
1. Представьтесь: «Здравствуйте! Меня зовут …, компания «Кухни». Вы оставляли заявку — удобно говорить?»
2. Тип кухни: «Вы рассматриваете кухню по вашим размерам или готовую модульную?»
3. Потребность и срок: «Когда планируете установку? Ремонт уже идёт?»
4. Бюджет: «На какой бюджет ориентируетесь? Наши кухни — от 250 000 ₽.»
5. Регион: «Уточните, пожалуйста, адрес объекта.»
6. ЛПР: «Решение принимаете вы или вместе с кем-то? Удобно ли, чтобы на замере были все?»
7. Замер: «Предлагаю бесплатный замер — когда удобно принять дизайнера?»
Возражение «дорого»: «Цена зависит от материалов; на замере дизайнер подберёт вариант под бюджет.»"""


def ensure_kitchen_checklist(get_model):
    """Create checklist v1 and the first-call script for the default team, if they do not exist."""
    Team = get_model("leadflow", "Team")
    Reason = get_model("leadflow", "Reason")
    Checklist = get_model("qualification", "Checklist")
    Criterion = get_model("qualification", "Criterion")
    CallScript = get_model("qualification", "CallScript")
    team = Team.objects.filter(name=DEFAULT_TEAM).first()
    if team is None:
        return None
    checklist, created = Checklist.objects.get_or_create(
        team=team,
        version=1,
        defaults={"title": KITCHEN_CHECKLIST_TITLE, "is_active": not Checklist.objects.filter(team=team).exists()},
    )
    if created:
        for position, (code, question, help_text, kind, extra, reason_code) in enumerate(KITCHEN_CRITERIA):
            reason = Reason.objects.filter(kind="disqualify", code=reason_code).first() if reason_code else None
            Criterion.objects.create(
                checklist=checklist,
                code=code,
                question=question,
                help_text=help_text,
                kind=kind,
                disqualify_reason=reason,
                position=position,
                **extra,
            )
    if any(field.name == "valid_min" for field in Criterion._meta.get_fields()):
        ensure_kitchen_valid_ranges(get_model)
    if not CallScript.objects.filter(team=team, stage="first_call").exists():
        CallScript.objects.create(team=team, stage="first_call", title="Первый звонок", text=FIRST_CALL_SCRIPT)
    try:
        get_model("qualification", "ScriptStep")  # absent in the seed migration 0003, which runs before 0011
    except LookupError:
        return checklist
    ensure_script_steps(get_model)
    return checklist


# What a reviewer listens for on a first call (issue 16 §4): the kitchen script's own steps.
KITCHEN_SCRIPT_STEPS = [
    ("greeting", "Приветствие", "Назвал себя и компанию, спросил, удобно ли говорить."),
    ("product_type", "Своя кухня или модульная", "Выяснил, нужна кухня по размерам или готовая модульная."),
    ("need", "Потребность", "Узнал, что за помещение, идёт ли ремонт, что важно клиенту."),
    ("budget", "Бюджет", "Спросил бюджет и назвал нашу цену «от»."),
    ("timeline", "Сроки", "Узнал, когда нужна установка."),
    ("measurement", "Запись на замер", "Предложил бесплатный замер и договорился о времени."),
    ("closing", "Завершение", "Подвёл итог, сказал, что будет дальше, попрощался."),
]

NUMBERED_LINE = re.compile(r"^\s*(\d+)[.)]\s*([^:«]{2,80}?)\s*:\s*(.*)$")


def script_steps_from_text(text):
    """The steps of a script: its numbered lines ("3. Бюджет: «…»") when it has at least three, else the
    kitchen defaults. [{code, title, hint}]."""
    if text.strip() == FIRST_CALL_SCRIPT.strip():
        return default_script_steps()
    parsed = []
    for line in text.splitlines():
        match = NUMBERED_LINE.match(line)
        if match:
            number, title, hint = match.groups()
            parsed.append({"code": f"step-{number}", "title": title.strip()[:200], "hint": hint.strip()[:300]})
    codes = {step["code"] for step in parsed}
    if len(parsed) >= 3 and len(codes) == len(parsed):
        return parsed
    return default_script_steps()


def default_script_steps():
    return [{"code": code, "title": title, "hint": hint} for code, title, hint in KITCHEN_SCRIPT_STEPS]


def ensure_script_steps(get_model):
    """Every script without steps gets them from its text (the data migration 0012, the reference data)."""
    CallScript = get_model("qualification", "CallScript")
    ScriptStep = get_model("qualification", "ScriptStep")
    for script in CallScript.objects.filter(steps__isnull=True):
        for position, step in enumerate(script_steps_from_text(script.text)):
            ScriptStep.objects.create(script=script, position=position, **step)


def ensure_kitchen_valid_ranges(get_model):
    """Give the kitchen checklists' budget and timeline (every version) their sane range, where unset."""
    Criterion = get_model("qualification", "Criterion")
    for code, (low, high) in KITCHEN_VALID_RANGES.items():
        Criterion.objects.filter(code=code, kind="number", valid_min__isnull=True).update(valid_min=low)
        Criterion.objects.filter(code=code, kind="number", valid_max__isnull=True).update(valid_max=high)
