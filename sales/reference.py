"""Reference data of the deal board (editable in the admin afterwards): the objection tags."""

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
