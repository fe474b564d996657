"""Small real files made on the fly: PDFs (reportlab) and .docx (python-docx)."""

from pathlib import Path

import docx
from reportlab.pdfgen import canvas


def make_pdf(
    path: Path, pages: list[str], password: str | None = None, title: str | None = None
) -> Path:
    pdf = canvas.Canvas(str(path), encrypt=password)
    if title is not None:
        pdf.setTitle(title)
    for text in pages:
        # One drawn line per line of text, as a PDF holds wrapped paragraphs.
        for row, line in enumerate(text.split("\n")):
            pdf.drawString(72, 720 - 14 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def make_drawn_pdf(
    path: Path, pages: list[list[tuple[float, float, str]]], size: tuple[float, float] | None = None
) -> Path:
    """Each page's strings drawn at (x, y) in the order given: a report's page callback draws
    its header and footer before the body, and a list draws its bullets apart from the items."""
    pdf = canvas.Canvas(str(path), **({"pagesize": size} if size else {}))
    for strings in pages:
        for x, y, text in strings:
            pdf.drawString(x, y, text)
        pdf.showPage()
    pdf.save()
    return path


def make_docx(path: Path, title: str, paragraphs: list[str]) -> Path:
    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path
