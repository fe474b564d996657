"""Hostile inputs made on the fly: parser bombs, damaged files and an XSS corpus."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path

import docx

# --- parser attacks ----------------------------------------------------------------------------


def pdf_bytes(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a correct xref table from numbered object bodies (object n is objects[n-1])."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def pdf_decompression_bomb(inflated_mb: int = 1024) -> bytes:
    """One page whose content stream inflates from ~1 MB to `inflated_mb` MB."""
    squeezer = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    packed = b"".join(squeezer.compress(chunk) for _ in range(inflated_mb)) + squeezer.flush()
    return pdf_bytes(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(packed, b"/Filter /FlateDecode"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def pdf_reference_loop() -> bytes:
    """A page tree whose node is its own kid, and a stream whose length refers to itself."""
    return pdf_bytes(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length 5 0 R >>\nstream\nBT /F1 12 Tf 72 720 Td (loop) Tj ET\nendstream",
            b"5 0 R",
        ]
    )


def docx_zip_bomb(inflated_mb: int = 512) -> bytes:
    """A real .docx whose document part inflates to `inflated_mb` MB of whitespace."""
    plain = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("A harmless looking paragraph.")
    document.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for info in source.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info, source.read(info))
                continue
            xml = source.read(info)
            head, tail = xml.split(b"<w:body>", 1)
            with bomb.open("word/document.xml", "w", force_zip64=True) as part:
                part.write(head + b"<w:body>")
                block = b" " * (1024 * 1024)
                for _ in range(inflated_mb):
                    part.write(block)
                part.write(tail)
    return out.getvalue()


def binary_bytes(size: int = 64 * 1024) -> bytes:
    return os.urandom(size)


def deep_html(depth: int = 100_000) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"deep text" + b"</div>" * depth + b"</body></html>"


def deep_lists_html(depth: int = 20_000) -> bytes:
    """Ordered lists nested in their items: each item's number goes before its first words."""
    nest = b"<ol><li>" * depth + b"deep item" + b"</li></ol>" * depth
    return b"<html><body>" + nest + b"</body></html>"


# --- XSS corpus --------------------------------------------------------------------------------

# Each payload would, if it ran, set window.__xss, append an element with id 'xss-injected',
# open a dialog or fetch a URL on the server (which the test watches for).
XSS_PAYLOADS = [
    "<script>window.__xss = 1; alert('xss-script')</script>",
    "<img src=x onerror=\"window.__xss=2; alert('xss-onerror')\">",
    "<a href=\"javascript:window.__xss=3;alert('xss-js-link')\">click me</a>",
    "[markdown link](javascript:window.__xss=4)",
    "<svg onload=\"window.__xss=5; alert('xss-svg')\"><circle r=10 /></svg>",
    "<iframe srcdoc=\"<script>parent.__xss=6; alert('xss-iframe')</script>\"></iframe>",
    "<div id=xss-injected>injected</div>",
    '<img src="/xss-beacon.png">',
    "![beacon](/xss-beacon-md.png)",
    "<style>body{display:none}</style>",
]

XSS_TOPIC = "The zephyrine lantern festival"


def xss_sentences(kind: str) -> list[str]:
    """Sentences about a made-up topic, each carrying one payload, so retrieval finds them."""
    return [
        f"{XSS_TOPIC} ({kind} note {i}) is held in the harbour town every spring {payload} "
        f"and its lanterns are made of paper."
        for i, payload in enumerate(XSS_PAYLOADS, start=1)
    ]


def write_xss_corpus(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    txt = folder / "xss-notes.txt"
    txt.write_text("\n\n".join(xss_sentences("txt")), encoding="utf-8")
    md = folder / "xss-notes.md"
    md.write_text("# <script>alert(1)</script> Festival\n\n" + "\n\n".join(xss_sentences("md")))
    html = folder / "xss-page.html"
    body = "".join(f"<p>{s}</p>" for s in xss_sentences("html"))
    html.write_text(
        "<html><head><title>Festival <img src=x onerror=alert(1)></title></head>"
        f"<body onload=\"alert('body')\">{body}</body></html>",
        encoding="utf-8",
    )
    word = folder / "xss-report.docx"
    document = docx.Document()
    document.core_properties.title = "<svg onload=alert(1)>Festival report"
    for sentence in xss_sentences("docx"):
        document.add_paragraph(sentence)
    document.save(str(word))
    paths.extend([txt, md, html, word])
    return paths
