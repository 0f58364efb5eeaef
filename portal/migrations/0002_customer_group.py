from django.db import migrations

CUSTOMER_GROUP = "customer"  # orders.roles.CUSTOMER_GROUP, frozen here


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=CUSTOMER_GROUP)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CUSTOMER_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_customer_contacts_and_notifications"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_group, remove_group)]
