from django.db import migrations

SKILLS = [
    ("installation", "Installation"),
    ("repair", "Repair"),
    ("maintenance", "Maintenance"),
    ("training", "Training"),
]
TAGS = ["wants larger size", "competitor visit", "expansion plans", "price complaint", "quality issue", "new contact"]
LEVELS = {"installation": 72, "repair": 24, "maintenance": 120, "training": 120}


def seed(apps, schema_editor):
    Skill = apps.get_model("aftersales", "Skill")
    FeedbackTag = apps.get_model("aftersales", "FeedbackTag")
    ServiceLevel = apps.get_model("aftersales", "ServiceLevel")
    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})
    for name in TAGS:
        FeedbackTag.objects.get_or_create(name=name)
    for kind, hours in LEVELS.items():
        ServiceLevel.objects.get_or_create(kind=kind, defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("aftersales", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
