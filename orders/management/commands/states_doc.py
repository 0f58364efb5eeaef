import inspect
import re

from django.core.management.base import BaseCommand
from django.utils import translation

from orders import states
from orders.states import OWNER_DEPARTMENT, STATUS_STEP, TRANSITIONS, OrderStatus


def states_markdown() -> str:
    """docs/states.md, generated from orders/states.py (a test keeps the file in step), in
    English whatever language is active (the labels are translatable)."""
    with translation.override("en"):
        return _states_markdown()


def _states_markdown() -> str:
    out = [
        "# Order statuses and the transition table",
        "",
        "Generated from `orders/states.py` by `make docs` (`python manage.py states_doc`). Do not edit by hand.",
        "",
        "## Statuses",
        "",
        "| status | meaning | owner department | step |",
        "|---|---|---|---|",
    ]
    meanings = _status_meanings()
    for status in OrderStatus:
        out.append(
            f"| `{status.value}` | {meanings.get(status.value, status.label)} | "
            f"{OWNER_DEPARTMENT[status].label} | {STATUS_STEP[status].label} |"
        )
    out += [
        "",
        "## Allowed moves",
        "",
        "| action | from | to | roles | guard | reason required |",
        "|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS.values():
        sources = ", ".join(f"`{s.value}`" for s in OrderStatus if s in t.sources)
        target = f"`{t.target.value}`"
        if t.alternative_target:
            target += f" (or `{t.alternative_target.value}` while something is still to ship)"
        roles = ", ".join(sorted(role.label.lower() for role in t.roles))
        out.append(
            f"| `{t.action}` | {sources} | {target} | {roles} | {t.guard or '—'} | "
            f"{'yes' if t.note_required else 'no'} |"
        )
    out += ["", "## Diagram", "", "```mermaid", "stateDiagram-v2", "    [*] --> draft"]
    for t in TRANSITIONS.values():
        for source in (s for s in OrderStatus if s in t.sources):
            out.append(f"    {source.value} --> {t.target.value}: {t.action}")
            if t.alternative_target:
                out.append(f"    {source.value} --> {t.alternative_target.value}: {t.action} (partial)")
    out += ["    rejected --> [*]", "    cancelled --> [*]", "    closed --> [*]", "```", ""]
    return "\n".join(out)


def _status_meanings() -> dict[str, str]:
    """The one-line comment beside each status in states.py."""
    source = inspect.getsource(states.OrderStatus)
    pattern = re.compile(r'^\s+\w+ = "(\w+)", (?:gettext_lazy\()?"[^"]*"\)?\s+#\s*(.+)$', re.M)
    return {m.group(1): m.group(2).strip() for m in pattern.finditer(source)}


class Command(BaseCommand):
    help = "Print docs/states.md: the statuses and the transition table as Markdown and a Mermaid diagram."

    def handle(self, *args, **options):
        self.stdout.write(states_markdown(), ending="")
