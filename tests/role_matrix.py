"""The role matrix: which role gets which answer from every URL pattern and method.

tests/role_matrix.csv holds one row per (URL name, method): the URL's arguments and the HTTP
status each role gets (and anonymous). tests/test_role_matrix.py walks the URL resolver (a URL
with no row fails) and requests every row as every role. See docs/security.md.

    .venv/bin/python -m tests.role_matrix add-role customer 403   # a new role: one more column
"""

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

MATRIX = Path(__file__).resolve().parent / "role_matrix.csv"
FIXED_COLUMNS = ["name", "method", "kwargs", "anonymous"]
LOGIN = "login"  # a cell meaning "302 to the log-in page"

# Namespaces not in the matrix, and why: Django's admin has its own is_staff checks and its own
# tests upstream; static files are served only by runserver/whitenoise, outside the URLconf.
SKIPPED_NAMESPACES = {"admin": "Django admin: staff-only, checked by Django itself"}
PAGE_METHODS = ("GET", "POST")
API_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Endpoint:
    name: str  # namespace:name, or the route for an unnamed pattern
    route: str
    methods: tuple[str, ...]
    is_api: bool


def _methods(callback) -> tuple[tuple[str, ...], bool]:
    cls = getattr(callback, "cls", None)  # DRF views and viewsets
    if cls is not None:
        actions = getattr(callback, "actions", None)
        if actions:  # a router's viewset route: method -> action it maps to
            return tuple(m.upper() for m in API_METHODS if m in actions), True
        return tuple(m.upper() for m in API_METHODS if hasattr(cls, m)), True
    return PAGE_METHODS, False


def endpoints() -> list[Endpoint]:
    """Every URL pattern of the project, with the methods it is listed for."""
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                if ns in SKIPPED_NAMESPACES:
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "/" + route)
                methods, is_api = _methods(entry.callback)
                found.append(Endpoint(name=name, route=route, methods=methods, is_api=is_api))

    walk(get_resolver().url_patterns, "", None)
    return found


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    kwargs: dict[str, str]
    expected: dict[str, str]  # "anonymous" and each role -> "200", "403", "login", ...

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}"


def read(path: Path = MATRIX) -> tuple[list[str], list[Row]]:
    with path.open(newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    rows = []
    for record in reader:
        kwargs = dict(part.split("=", 1) for part in (record["kwargs"] or "").split())
        expected = {key: (record[key] or "").strip() for key in reader.fieldnames if key not in FIXED_COLUMNS[:3]}
        rows.append(Row(name=record["name"], method=record["method"].upper(), kwargs=kwargs, expected=expected))
    return list(reader.fieldnames), rows


def add_role(role: str, default: str) -> None:
    """Append a column for a new role, every cell `default` (then fix the cells that differ)."""
    text = MATRIX.read_text().splitlines()
    out = []
    header_done = False
    for line in text:
        if not line.strip() or line.lstrip().startswith("#"):
            out.append(line)
        elif not header_done:
            out.append(f"{line},{role}")
            header_done = True
        else:
            out.append(f"{line},{default}")
    MATRIX.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "add-role":
        add_role(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)
