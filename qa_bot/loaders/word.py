"""Word .docx files, read as Word shows them."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from qa_bot.errors import CorruptDocumentError
from qa_bot.loaders.document import Extracted
from qa_bot.loaders.tables import table_lines
from qa_bot.loaders.titles import usable_title

if TYPE_CHECKING:  # python-docx is imported where a file needs it
    from docx.document import Document
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import Table


def extract_docx(path: Path, data: bytes) -> Extracted:
    import io

    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import parse_xml

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CorruptDocumentError(str(path), "not a valid .docx (not a zip package)")
    document = docx.Document(io.BytesIO(data))
    blocks = list(_docx_blocks(document.element.body, document))
    # Footnotes and endnotes follow the text, as they would at the end of a printed page.
    for rel in document.part.rels.values():
        if rel.reltype in (RELATIONSHIP_TYPE.FOOTNOTES, RELATIONSHIP_TYPE.ENDNOTES):
            for note in parse_xml(rel.target_part.blob):
                if note.get(_WML + "type") is None:  # not a separator line
                    blocks.extend(_docx_blocks(note, document))
    text = "\n\n".join(block for block in blocks if block)
    title = usable_title(document.core_properties.title)
    if not title:
        for para in document.paragraphs:
            if para.style is not None and para.style.name.lower().startswith(("title", "heading")):
                title = usable_title(para.text)
                if title:
                    break
    return text, title, ()


_WML = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Containers of paragraphs and tables: content controls (a cover page, a form field) and
# custom XML.
_DOCX_BLOCK_WRAPPERS = {_WML + "sdt", _WML + "sdtContent", _WML + "customXml"}
_DOCX_CHARACTERS = {
    _WML + "tab": "\t",
    _WML + "ptab": "\t",
    _WML + "br": "\n",
    _WML + "cr": "\n",
    _WML + "noBreakHyphen": "-",
}
# Inside a paragraph, what a reader of the document does not see as its text: the old place of
# a tracked move, ruby pronunciation guides, and the fallback copy Word writes of every text box.
# (A tracked deletion's text is w:delText, never read.)
_DOCX_UNSEEN = {
    _WML + "moveFrom",
    _WML + "rt",
    _WML + "pPr",
    _WML + "rPr",
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
}


def _docx_blocks(story: BaseOxmlElement, document: Document) -> Iterator[str]:
    """The paragraphs and table rows of a story (the body, a cell, a text box, a note) in order.

    python-docx's own `.text` reads only a paragraph's direct runs and hyperlinks, so it loses
    text typed with changes tracked, text in content controls, and text boxes.
    """
    for element in story:
        if element.tag == _WML + "p":
            boxes: list[BaseOxmlElement] = []
            yield _docx_paragraph_text(element, boxes).strip()
            for box in boxes:  # a text box is read after the paragraph it is anchored in
                yield from _docx_blocks(box, document)
        elif element.tag == _WML + "tbl":
            # Tables stay where they are, under the heading that says what they hold.
            yield from _docx_table_lines(element, document)
        elif element.tag in _DOCX_BLOCK_WRAPPERS and not _is_unread_control(element):
            yield from _docx_blocks(element, document)


def _docx_paragraph_text(element: BaseOxmlElement, boxes: list[BaseOxmlElement]) -> str:
    parts = []
    for child in element:
        if child.tag == _WML + "t":
            parts.append(child.text or "")
        elif child.tag in _DOCX_CHARACTERS:
            parts.append(_DOCX_CHARACTERS[child.tag])
        elif child.tag == _WML + "txbxContent":
            boxes.append(child)
        elif child.tag not in _DOCX_UNSEEN and not _is_unread_control(child):
            parts.append(_docx_paragraph_text(child, boxes))
    return "".join(parts)


def _is_unread_control(element: BaseOxmlElement) -> bool:
    """A content control that shows its placeholder ("Click or tap here to enter text.") holds
    no one's words, and a table of contents repeats the headings with page numbers."""
    properties = element.find(_WML + "sdtPr")
    if element.tag != _WML + "sdt" or properties is None:
        return False
    gallery = properties.find(f"{_WML}docPartObj/{_WML}docPartGallery")
    contents = gallery is not None and gallery.get(_WML + "val") == "Table of Contents"
    return contents or properties.find(_WML + "showingPlcHdr") is not None


def _docx_table_lines(element: BaseOxmlElement, document: Document) -> list[str]:
    from docx.table import Table

    table = Table(element, document)
    rows = []
    for row in table.rows:
        cells = []
        for cell in row.cells:  # a cell merged over n columns comes n times in a row
            if not cells or cell is not cells[-1]:
                cells.append(cell)
        rows.append(cells)
    if not rows:
        return []
    # A header row repeats at the top of each page, or is set in bold by its style or by hand.
    header_row = element.find(_WML + "tr")
    header = (
        _is_on(header_row.find(f"{_WML}trPr/{_WML}tblHeader"))
        or _style_bolds_first_row(element, table)
        or all(
            run.bold
            for cell in rows[0]
            for paragraph in cell.paragraphs
            for run in paragraph.runs
            if run.text.strip()
        )
    )
    texts = [
        ["\n".join(block for block in _docx_blocks(cell._tc, document) if block) for cell in row]
        for row in rows
    ]
    return [line for line in table_lines(texts, header) if line]


def _style_bolds_first_row(element: BaseOxmlElement, table: Table) -> bool:
    look = element.find(f"{_WML}tblPr/{_WML}tblLook")
    if look is None:
        return False
    first_row = look.get(_WML + "firstRow")
    if first_row is None:  # Word 2007 wrote the options as bits of a hexadecimal w:val
        bits = look.get(_WML + "val", "")
        first_row = "1" if re.fullmatch(r"[0-9A-Fa-f]{1,4}", bits) and int(bits, 16) & 0x20 else "0"
    style = table.style if first_row not in _OFF else None
    seen = set()  # a crafted file can base two styles on each other
    while style is not None and style.style_id not in seen:
        bold = style.element.find(f"{_WML}tblStylePr[@{_WML}type='firstRow']/{_WML}rPr/{_WML}b")
        if bold is not None:
            return _is_on(bold)
        seen.add(style.style_id)
        style = style.base_style
    return False


_OFF = {"0", "false", "off"}


def _is_on(toggle: BaseOxmlElement | None) -> bool:
    """A Word on/off property: present and without a w:val of 0, false or off."""
    return toggle is not None and toggle.get(_WML + "val", "1") not in _OFF
