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


def make_docx(path: Path, title: str, paragraphs: list[str]) -> Path:
    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path
