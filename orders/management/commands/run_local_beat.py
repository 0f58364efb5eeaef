import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = (
        "Run the Celery beat schedule in-process, for a machine with no Redis: every task in "
        "CELERY_BEAT_SCHEDULE is called directly at its interval (make run does this)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every scheduled task once and exit.")

    def handle(self, *args, once, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        next_run = {name: 0.0 for name in schedule}
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(f"Local beat: {', '.join(schedule)}")
        while not stopping:
            now = time.monotonic()
            for name, entry in schedule.items():
                if now >= next_run[name]:
                    try:
                        # Task names are their import paths (orders.tasks.outbox_relay, ...).
                        result = import_string(entry["task"])(**entry.get("kwargs", {}))
                        self.stdout.write(f"{name}: {result}")
                    except Exception as exc:  # noqa: BLE001 - one failing scan must not stop the others
                        self.stderr.write(f"{name} failed: {exc}")
                    next_run[name] = now + float(entry["schedule"])
            if once:
                return
            time.sleep(1)
