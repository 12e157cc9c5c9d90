"""Reference data a fresh install needs to take leads: roles, sources, reasons, default teams.

Data, not code: everything here is editable in the admin afterwards. Used by the data migration
and by tests that flush the database (transactional tests, the live server).
"""

from datetime import time

ROLES = ["qualifier", "qualification_lead", "sales_rep", "sales_manager", "director"]

SOURCES = [
    ("website", "Сайт"),
    ("avito", "Авито"),
    ("yandex_direct", "Яндекс Директ"),
    ("call_tracking", "Коллтрекинг"),
    ("import", "Импорт"),
    ("manual", "Вручную"),
]

REASONS = {
    "disqualify": [
        ("modular", "Модульная кухня (не наш продукт)"),
        ("no_budget", "Бюджет ниже порога"),
        ("not_in_region", "Регион не обслуживается"),
        ("no_need", "Нет потребности"),
        ("timeline", "Срок больше года"),
        ("unreachable", "Не дозвонились"),
        ("duplicate", "Дубль"),
        ("spam", "Спам / ошибка"),
    ],
    "lose": [
        ("price", "Цена"),
        ("competitor", "Ушёл к конкуренту"),
        ("timing", "Отложил покупку"),
        ("family_decision", "Семья не согласовала"),
        ("design", "Не устроил дизайн"),
        ("refused_before_visit", "Отказ до замера"),
        ("no_response", "Пропал, не отвечает"),
    ],
    "dispute": [
        ("modular", "На самом деле модульная кухня"),
        ("no_budget", "Бюджет не подтвердился"),
        ("not_in_region", "Вне зоны обслуживания"),
        ("no_need", "Клиент не планирует покупку"),
        ("not_decision_maker", "Не ЛПР"),
        ("wrong_contact", "Неверный контакт"),
    ],
}


def ensure_reference_data(get_model):
    Group = get_model("auth", "Group")
    Source = get_model("leadflow", "Source")
    Reason = get_model("leadflow", "Reason")
    Team = get_model("leadflow", "Team")
    WorkingHours = get_model("leadflow", "WorkingHours")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for code, name in SOURCES:
        Source.objects.get_or_create(code=code, defaults={"name": name})
    for kind, items in REASONS.items():
        for position, (code, title) in enumerate(items):
            Reason.objects.get_or_create(kind=kind, code=code, defaults={"title": title, "position": position})
    sales, _ = Team.objects.get_or_create(
        name="Продажи (Москва)", defaults={"kind": "sales", "time_zone": "Europe/Moscow"}
    )
    qualification, _ = Team.objects.get_or_create(
        name="Квалификация",
        defaults={"kind": "qualification", "time_zone": "Europe/Moscow", "sales_team": sales},
    )
    for weekday in range(7):
        WorkingHours.objects.get_or_create(
            team=qualification, weekday=weekday, defaults={"opens_at": time(9), "closes_at": time(21)}
        )
    for weekday in range(6):
        WorkingHours.objects.get_or_create(
            team=sales, weekday=weekday, defaults={"opens_at": time(9), "closes_at": time(20)}
        )
    ensure_engine_heartbeats(get_model)


def ensure_engine_heartbeats(get_model):
    """The SLA engine's heartbeat row, watched from now on (skipped in migrations before the model)."""
    try:
        EngineHeartbeat = get_model("leadflow", "EngineHeartbeat")
    except LookupError:
        return
    EngineHeartbeat.objects.get_or_create(name="sla-engine")
