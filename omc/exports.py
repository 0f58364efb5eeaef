"""Export any list page as CSV or XLSX: the same view, the same filters, the same role scoping.

`?export=csv` (or `xlsx`) on a list page's address runs that page's own view once per page
of its list and turns the rows of its table into a file, so an export can never show more
(or other) rows than the user sees on screen. The export is a reporting read (the replica,
when there is one). Pages mark the table to export with `data-export`; otherwise the first
table of the page is taken. Badges, buttons and forms inside cells are left out.
"""

import csv
import io
from html.parser import HTMLParser

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from orders.reporting import reporting

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SKIPPED_TAGS = {"form", "button", "script", "style", "select", "svg"}
VOID_TAGS = {"br", "img", "input", "hr", "meta", "link", "col", "wbr", "source"}


class _TableParser(HTMLParser):
    """Header and body rows of the export table (the first `data-export` table, else the first)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._table = None
        self._depth = 0  # nesting of tables inside the one being read
        self._row = None
        self._cell = None
        self._in_head = False
        self._row_all_th = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID_TAGS:
            return
        if self._skip:
            self._skip += 1
            return
        classes = (attrs.get("class") or "").split()
        if tag in SKIPPED_TAGS or "badge" in classes:
            self._skip = 1
            return
        if tag == "table":
            if self._table is None:
                self._table = {"marked": "data-export" in attrs, "head": [], "rows": []}
                self._depth = 1
            else:
                self._depth += 1
            return
        if self._table is None or self._depth != 1:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
            self._row_all_th = True
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            if tag == "td":
                self._row_all_th = False

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if self._skip:
            self._skip -= 1
            return
        if self._table is None:
            return
        if tag == "table":
            self._depth -= 1
            if self._depth == 0:
                self.tables.append(self._table)
                self._table = None
            return
        if self._depth != 1:
            return
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head or (not self._table["head"] and not self._table["rows"] and self._row_all_th):
                self._table["head"] = self._row
            elif self._row:
                self._table["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._skip or self._cell is None:
            return
        self._cell.append(data)

    def table(self) -> dict | None:
        marked = [t for t in self.tables if t["marked"]]
        return (marked or self.tables or [None])[0]


def table_of(html: str) -> dict | None:
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return parser.table()


def export_rows(get_response, request, first=None) -> tuple[list[str], list[list[str]], bool]:
    """Run the page's view for page 1, 2, ... and collect its table's rows. Stops at the last
    page (Django's paginator answers a page past the end with the last page again) or at
    OMC_EXPORT_MAX_ROWS; the flag says whether rows were left out."""
    limit = settings.OMC_EXPORT_MAX_ROWS
    original = request.GET
    head, rows, previous, truncated = [], [], None, False
    number = 1
    try:
        while True:
            query = original.copy()
            query.pop("export", None)
            query["page"] = str(number)
            request.GET = query
            # Page 1 was already rendered when the export was asked for without a page number.
            response = first if number == 1 and first is not None else get_response(request)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                return head, rows, truncated
            table = table_of(response.content.decode(response.charset or "utf-8"))
            if table is None or table["rows"] == previous or not table["rows"]:
                break
            head = head or table["head"]
            rows.extend(table["rows"])
            previous = table["rows"]
            if len(rows) >= limit:
                truncated = len(rows) > limit or _has_next(response)
                rows = rows[:limit]
                break
            if not _has_next(response):
                break
            number += 1
    finally:
        request.GET = original
    return head, rows, truncated


def _has_next(response) -> bool:
    return b'rel="next"' in response.content


def _csv(head, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if head:
        writer.writerow(head)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _xlsx(head, rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    if head:
        sheet.append(head)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class ExportMiddleware:
    """Last in MIDDLEWARE, so only the view (not sessions, messages...) runs once per page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fmt = request.GET.get("export")
        if request.method != "GET" or fmt is None:
            return self.get_response(request)
        if fmt not in FORMATS:
            return HttpResponse(_("Export as csv or xlsx."), status=400, content_type="text/plain")
        with reporting():
            from_page_one = request.GET.get("page") in (None, "", "1")
            first = self.get_response(request)
            if first.status_code != 200 or "html" not in first.get("Content-Type", ""):
                return first  # 403, 404, a redirect: the page's own answer
            head, rows, truncated = export_rows(self.get_response, request, first if from_page_one else None)
        # An empty list renders no table: the file is empty too (X-Export-Rows: 0).
        name = (request.resolver_match.url_name if request.resolver_match else "export") or "export"
        body = _csv(head, rows) if fmt == "csv" else _xlsx(head, rows)
        response = HttpResponse(body, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        response["X-Export-Rows"] = str(len(rows))
        if truncated:
            response["X-Export-Truncated"] = f"only the first {len(rows)} rows; narrow the filters"
        return response
