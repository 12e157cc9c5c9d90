"""Reference data of the deal board (editable in the admin afterwards): the objection tags and the
kitchen measurement form (a clinic or another trade defines its own kit in the admin)."""

OBJECTION_TAGS = [
    ("price", "Цена"),
    ("timing", "Сроки"),
    ("competitor", "Конкурент"),
    ("family_decision", "Решение семьи"),
    ("design", "Дизайн"),
]


def ensure_objection_tags(get_model):
    ObjectionTag = get_model("sales", "ObjectionTag")
    for position, (code, title) in enumerate(OBJECTION_TAGS):
        ObjectionTag.objects.get_or_create(code=code, defaults={"title": title, "position": position})


KITCHEN_KIT_TITLE = "Замер кухни"

# (code, label, help_text, kind, extra fields). Millimetres: the unit kitchen makers draw in.
KITCHEN_KIT_FIELDS = [
    (
        "layout",
        "Планировка",
        "",
        "choice",
        {
            "required": True,
            "options": [
                {"value": "straight", "label": "Прямая"},
                {"value": "l_shaped", "label": "Угловая (Г)"},
                {"value": "u_shaped", "label": "П-образная"},
                {"value": "island", "label": "С островом"},
            ],
        },
    ),
    (
        "wall_a",
        "Стена А, длина",
        "Основная стена кухни.",
        "number",
        {"required": True, "min_value": 500, "max_value": 12000},
    ),
    ("wall_b", "Стена Б, длина", "Для угловой и П-образной.", "number", {"min_value": 300, "max_value": 12000}),
    ("wall_c", "Стена В, длина", "Для П-образной.", "number", {"min_value": 300, "max_value": 12000}),
    ("height", "Высота потолка", "", "number", {"required": True, "min_value": 2000, "max_value": 5000}),
    ("windows", "Окна", "", "number", {"required": True, "unit": "шт.", "min_value": 0, "max_value": 6}),
    ("window_sill", "Высота подоконника", "От пола.", "number", {"min_value": 0, "max_value": 2000}),
    ("doors", "Двери и проёмы", "", "number", {"required": True, "unit": "шт.", "min_value": 0, "max_value": 4}),
    ("water_point", "Вывод воды", "Расстояние от левого угла стены А.", "number", {"min_value": 0, "max_value": 12000}),
    ("gas", "Газ", "", "yes_no", {}),
    ("gas_point", "Вывод газа", "Расстояние от левого угла стены А.", "number", {"min_value": 0, "max_value": 12000}),
    ("notes", "Особенности помещения", "Короба, трубы, ниши, радиаторы.", "text", {}),
]


def ensure_kitchen_kit(get_model):
    """The default measurement form v1 (every sales team), if no default kit exists yet."""
    MeasurementKit = get_model("sales", "MeasurementKit")
    MeasurementField = get_model("sales", "MeasurementField")
    if MeasurementKit.objects.filter(team__isnull=True).exists():
        return None
    kit = MeasurementKit.objects.create(team=None, version=1, title=KITCHEN_KIT_TITLE, is_active=True)
    for position, (code, label, help_text, kind, extra) in enumerate(KITCHEN_KIT_FIELDS):
        extra = dict(extra)
        if kind == "number":
            extra.setdefault("unit", "мм")
        MeasurementField.objects.create(
            kit=kit, code=code, label=label, help_text=help_text, kind=kind, position=position, **extra
        )
    return kit
