"""Import customers, products, price lists or open orders from a CSV/XLSX file, all or nothing.

    python manage.py import_data customers customers.csv --user admin --dry-run
    python manage.py import_data orders open-orders.xlsx --user anna

Shows progress and the time left on stderr; exits 1 and lists every error by line when any row is bad.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from omc import imports
from orders.progress import Progress


class Command(BaseCommand):
    help = "Import customers, products, price lists or open orders from a CSV or XLSX file (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(imports.KINDS))
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="Username the import runs as (its roles apply).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")

    def handle(self, *args, kind, file, user, dry_run, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"No user '{user}'.")
        if not imports.KINDS[kind].allowed(actor):
            raise CommandError(f"{user} may not import {kind}.")
        path = Path(file)
        try:
            rows = imports.table_read(filename=path.name, content=path.read_bytes())
        except (OSError, imports.ImportFileError) as exc:
            raise CommandError(str(exc)) from None
        progress = Progress(total=len(rows), label=f"{kind}{' (dry run)' if dry_run else ''}", stream=self.stderr._out)
        result = imports.import_run(kind=kind, rows=rows, user=actor, dry_run=dry_run, progress=progress)
        progress.done()
        for error in result.errors:
            self.stderr.write(f"line {error.line}: {error.column or '-'}: {error.message}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} error(s) in {result.rows} rows; nothing was imported.")
        verb = "would be" if dry_run else "were"
        self.stdout.write(f"{result.created} {verb} created, {result.updated} {verb} updated ({result.rows} rows).")
