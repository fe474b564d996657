"""`make bench-pdf`: the same articles as text files and as PDFs, asked the same questions.

A PDF's text comes out one printed line at a time, so this shows how much of qa_bot's quality
survives the trip through a PDF (sentences wrapped over lines, paragraphs cut by page breaks).
The articles are rendered as a plain report would be: wrapped at 100 characters, Helvetica 10pt,
64 lines a page, under a running header (the title) and over a page number (reportlab, a dev
dependency). Both rows come from qa_bot.evaluation.

    python benchmarks/bench_pdf.py [DATA_DIR] [--sample N] [--seed S] [--json OUT]

DATA_DIR holds docs/ and questions.jsonl (default: ../shared/squad-dev beside the repo).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import textwrap
from pathlib import Path

from bench import data_parser, open_data
from reportlab.pdfgen import canvas

from qa_bot import evaluation as ev

WIDTH = 100  # characters a line
TOP, BOTTOM, LEADING = 800, 40, 12  # points


def render_pdf(text: str, path: Path) -> Path:
    """Each paragraph (blank-line separated) wrapped at WIDTH, one drawn line per text line,
    under a running header (the title) and over a page number, as a report is printed."""
    title = path.stem.replace("_", " ")
    lines = [line for p in text.split("\n\n") if p.strip() for line in textwrap.wrap(p, WIDTH)]
    per_page = (TOP - BOTTOM) // LEADING + 1
    pdf = canvas.Canvas(str(path))
    for page, first in enumerate(range(0, len(lines), per_page), start=1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(40, TOP + 2 * LEADING, title)
        pdf.setFont("Helvetica", 10)
        for row, line in enumerate(lines[first : first + per_page]):
            pdf.drawString(40, TOP - row * LEADING, line)
        pdf.setFont("Helvetica", 8)
        pdf.drawString(290, BOTTOM - 2 * LEADING, f"Page {page}")
        pdf.showPage()
    pdf.save()
    return path


def main() -> None:
    parser = data_parser(__doc__, sample_default=1500)
    args = parser.parse_args()
    settings, embedder, files, questions = open_data(parser, args)
    asked = ev.sample(questions, args.sample, args.seed)

    print(f"qa_bot on {len(files)} text files, {len(asked)} questions")
    text_run = ev.run_eval(settings, embedder, files, asked, progress=print)
    with tempfile.TemporaryDirectory(prefix="qa-bot-pdf-") as folder:
        pdfs = [
            render_pdf(path.read_text(encoding="utf-8"), Path(folder) / f"{path.stem}.pdf")
            for path in files
        ]
        as_pdf = [dataclasses.replace(q, doc=f"{Path(q.doc).stem}.pdf") for q in asked]
        print(f"qa_bot on the same articles as {len(pdfs)} PDFs")
        pdf_run = ev.run_eval(settings, embedder, pdfs, as_pdf, progress=print)
    # The reranker knows its training articles by their text file names.
    pdf_figures = pdf_run.figures | ev.unseen_figures(pdf_run.outcomes, asked, text_run.trained_on)
    rows = {"text": text_run.figures, "pdf": pdf_figures}
    rows["ratio"] = {
        key: pdf_figures[key] / value
        for key, value in text_run.figures.items()
        if key != "questions" and isinstance(pdf_figures.get(key), float | int) and value
    }
    print()
    print(ev.format_table(rows))
    if args.json:
        args.json.write_text(json.dumps({k: rows[k] for k in ("text", "pdf")}, indent=2))


if __name__ == "__main__":
    main()
