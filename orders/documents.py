"""Documents as PDF (packing slips, invoices, quotes), rendered from the same Django templates
as their HTML pages, so what a user previews is what the customer receives.

Fonts (docs/i18n.md): the PDF embeds DejaVu Sans (Latin, Vietnamese), Loma (Thai) and Droid
Sans Fallback (Chinese) from Debian's font packages (scripts/ensure_system_packages.sh), as
one font stack: xhtml2pdf takes each glyph from the first font that has it, so a Thai or
Traditional Chinese invoice renders its own script and the Latin names and numbers around it.
Nothing is fetched at run time; the renderer may read only the font directory."""

import logging
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from xhtml2pdf import pisa

try:  # xhtml2pdf >= 0.2.17 confines what a document may read
    from xhtml2pdf.config.resources import ResourceAccessPolicy
except ImportError:  # pragma: no cover - older xhtml2pdf reads any local path
    ResourceAccessPolicy = None

logger = logging.getLogger(__name__)

# (family, regular, bold) under settings.OMC_PDF_FONT_DIR, in fallback order.
PDF_FONTS = [
    ("omc-latin", "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    ("omc-thai", "tlwg/Loma.ttf", "tlwg/Loma-Bold.ttf"),
    ("omc-cjk", "droid/DroidSansFallbackFull.ttf", "droid/DroidSansFallbackFull.ttf"),
]


def _font_dir() -> Path:
    return Path(getattr(settings, "OMC_PDF_FONT_DIR", "/usr/share/fonts/truetype"))


def pdf_font_css() -> str:
    """@font-face rules for the fonts present and a body font stack using them (Helvetica last)."""
    base = _font_dir()
    faces, families = [], []
    for family, regular, bold in PDF_FONTS:
        if not (base / regular).is_file():
            logger.warning("PDF font %s missing (%s): run scripts/ensure_system_packages.sh", family, base / regular)
            continue
        families.append(family)
        faces.append((family, str(base / regular), "normal"))
        faces.append((family, str(base / (bold if (base / bold).is_file() else regular)), "bold"))
    rules = format_html_join("\n", '@font-face {{ font-family: "{}"; src: url("{}"); font-weight: {}; }}', faces)
    stack = ", ".join(f'"{family}"' for family in families) + (", " if families else "") + "Helvetica, sans-serif"
    return mark_safe(f"{rules}\nbody, table, th, td, h1, h2, p {{ font-family: {stack}; }}")


def pdf_from_template(template: str, context: dict) -> bytes:
    html = render_to_string(template, {**context, "as_pdf": True, "pdf_font_css": pdf_font_css()})
    out = BytesIO()
    options = {}
    if ResourceAccessPolicy is not None:
        options["resource_policy"] = ResourceAccessPolicy.server(base_dir=_font_dir(), allow_remote=False)
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", **options)
    if result.err:
        raise RuntimeError(f"Could not render {template} as PDF ({result.err} errors).")
    return out.getvalue()
