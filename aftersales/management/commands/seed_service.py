"""Demo field service on top of `seed_demo`: the demo `field` user is a technician with every skill."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from aftersales.models import Skill, Technician


class Command(BaseCommand):
    help = "Make the demo field user a technician with every skill (nothing to do once done)."

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username="field").first()
        if user is None:
            self.stdout.write("No demo 'field' user; run seed_demo first.")
            return
        technician, created = Technician.objects.get_or_create(user=user, defaults={"region": "All regions"})
        technician.skills.set(Skill.objects.all())
        self.stdout.write(
            f"{'Created' if created else 'Updated'} technician {user.username} with {technician.skills.count()} skills."
        )
