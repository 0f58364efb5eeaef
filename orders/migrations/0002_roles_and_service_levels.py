"""One group per role with its model permissions, the departments and default service levels."""

from django.db import migrations

# Model permissions per role (codename prefixes on orders models). Pages and the API
# also check the role itself; these let the admin site and future apps rely on groups.
ROLE_PERMISSIONS = {
    "sales_rep": ["view_customer", "add_customer", "change_customer", "view_product", "view_order",
                  "add_order", "change_order", "view_orderline", "add_orderline", "change_orderline"],
    "demand_planner": ["view_customer", "view_product", "view_order", "view_orderline"],
    "estimator": ["view_customer", "view_product", "add_product", "change_product", "view_order",
                  "view_orderline"],
    "customer_service": ["view_customer", "add_customer", "change_customer", "view_product", "view_order",
                         "add_order", "change_order", "view_orderline", "add_orderline", "change_orderline"],
    "review_board": ["view_customer", "view_product", "view_order", "view_orderline"],
    "scheduler": ["view_customer", "view_product", "view_order", "view_orderline"],
    "warehouse": ["view_customer", "view_product", "view_order", "view_orderline", "view_site"],
    "finance": ["view_customer", "change_customer", "view_product", "view_order", "view_orderline"],
    "field_service": ["view_customer", "view_product", "view_order", "view_orderline"],
    "executive": ["view_customer", "view_product", "view_order", "view_orderline", "view_orderevent",
                  "view_handoff", "view_alert", "view_stepservicelevel", "change_stepservicelevel"],
}

DEFAULT_SERVICE_LEVEL_HOURS = {
    "quoted": 72, "entered": 24, "on_hold": 24, "accepted": 24, "scheduled": 48, "in_production": 120,
    "ready_to_ship": 24, "partially_shipped": 72, "shipped": 24, "delivered": 24, "invoiced": 720, "paid": 48,
}

DEPARTMENTS = ["sales", "marketing", "engineering", "customer_service", "management", "operations", "logistics",
               "finance", "service"]


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(content_type__app_label="orders", codename__in=codenames))

    StepServiceLevel = apps.get_model("orders", "StepServiceLevel")
    for status, hours in DEFAULT_SERVICE_LEVEL_HOURS.items():
        StepServiceLevel.objects.get_or_create(status=status, defaults={"hours": hours})
    DepartmentSetting = apps.get_model("orders", "DepartmentSetting")
    for department in DEPARTMENTS:
        DepartmentSetting.objects.get_or_create(department=department)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
