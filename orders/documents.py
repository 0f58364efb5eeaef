"""Documents as PDF (packing slips, invoices, quotes), rendered from the same Django templates
as their HTML pages, so what a user previews is what the customer receives."""

from io import BytesIO

from django.template.loader import render_to_string
from xhtml2pdf import pisa


def pdf_from_template(template: str, context: dict) -> bytes:
    html = render_to_string(template, {**context, "as_pdf": True})
    out = BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"Could not render {template} as PDF ({result.err} errors).")
    return out.getvalue()
