from django.core.management.base import BaseCommand, CommandError

from leadflow.importing import ERROR, ImportFileError, import_leads


class Command(BaseCommand):
    help = "Import leads from a CSV or XLSX file; prints a line per row and a summary."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file whose first row names the columns")
        parser.add_argument("--source", default="import", help="source code for rows without one (default: import)")

    def handle(self, *args, file, source, **options):
        try:
            report = import_leads(file, default_source=source)
        except (ImportFileError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for row in report.rows:
            line = f"row {row.row}: {row.outcome}"
            if row.lead_id:
                line += f" lead #{row.lead_id}"
            if row.outcome == ERROR:
                self.stdout.write(self.style.ERROR(f"{line}: " + "; ".join(row.messages)))
            else:
                self.stdout.write(line)
        if report.ignored_columns:
            self.stdout.write(f"ignored columns: {', '.join(report.ignored_columns)}")
        s = report.summary
        summary = (
            f"{report.filename}: {s['rows']} rows: {s['ok']} new, {s['attached']} attached to open leads, "
            f"{s['duplicate']} already imported, {s['error']} with errors; {s['blank']} blank rows skipped"
        )
        self.stdout.write(self.style.WARNING(summary) if s["error"] else self.style.SUCCESS(summary))
