"""Word .docx files, read as Word shows them."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from qa_bot.errors import CorruptDocumentError
from qa_bot.loaders.document import Extracted
from qa_bot.loaders.headings import qualifiers
from qa_bot.loaders.notes import is_footnote_mark, without_note_marks
from qa_bot.loaders.numbering import BULLET, integer_or, list_number
from qa_bot.loaders.tables import names_columns, table_lines
from qa_bot.loaders.titles import usable_title

if TYPE_CHECKING:  # python-docx is imported where a file needs it
    from docx.document import Document
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import Table


def extract_docx(path: Path, data: bytes) -> Extracted:
    import io

    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CorruptDocumentError(str(path), "not a valid .docx (not a zip package)")
    document = docx.Document(io.BytesIO(data))
    reader = _WordReader(document)
    blocks = list(reader.blocks(document.element.body))
    # Footnotes and endnotes follow the text, as they would at the end of a printed page.
    for notes in _parts(document, RELATIONSHIP_TYPE.FOOTNOTES, RELATIONSHIP_TYPE.ENDNOTES):
        for note in notes:
            if note.get(_WML + "type") is None:  # not a separator line
                blocks.extend(reader.blocks(note))
    text = without_note_marks("\n\n".join(block for block in blocks if block))
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


class _WordReader:
    """One document's reading: its list numbers count on from paragraph to paragraph."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.list_numbers = _ListNumbers(document)
        self.headings_above = _headings_above(document)

    def blocks(self, story: BaseOxmlElement) -> Iterator[str]:
        """The paragraphs and table rows of a story (the body, a cell, a text box, a note).

        python-docx's own `.text` reads only a paragraph's direct runs and hyperlinks, so it
        loses text typed with changes tracked, text in content controls, and text boxes.
        """
        for element in story:
            if element.tag == _WML + "p":
                boxes: list[BaseOxmlElement] = []
                text = _docx_paragraph_text(element, boxes).strip()
                if (above := self.headings_above.get(element)) is not None:
                    text = f"{text} ({above})"
                label = self.list_numbers.label(element)  # an empty item is counted too
                yield f"{label} {text}" if label and text else text
                for box in boxes:  # a text box is read after the paragraph it is anchored in
                    yield from self.blocks(box)
            elif element.tag == _WML + "tbl":
                # Tables stay where they are, under the heading that says what they hold.
                yield from self.table_lines(element)
            elif element.tag in _DOCX_BLOCK_WRAPPERS and not _is_unread_control(element):
                yield from self.blocks(element)

    def table_lines(self, element: BaseOxmlElement) -> list[str]:
        from docx.table import Table

        table = Table(element, self.document)
        rows = []
        for row in table.rows:
            cells = []
            for cell in row.cells:  # a cell merged over n columns comes n times in a row
                if not cells or cell is not cells[-1]:
                    cells.append(cell)
            rows.append(cells)
        if not rows:
            return []
        # A header row repeats atop each page, or is set in bold by its style or by hand; or,
        # unmarked, it names a column of figures (tables.names_columns).
        header_row = element.find(_WML + "tr")
        header = (
            _is_on(header_row.find(f"{_WML}trPr/{_WML}tblHeader"))
            or self._style_bolds_first_row(element, table)
            or all(
                run.bold
                for cell in rows[0]
                for paragraph in cell.paragraphs
                for run in paragraph.runs
                if run.text.strip()
            )
        )
        texts = [
            ["\n".join(block for block in self.blocks(cell._tc) if block) for cell in row]
            for row in rows
        ]
        return [line for line in table_lines(texts, header or names_columns(texts)) if line]

    def _style_bolds_first_row(self, element: BaseOxmlElement, table: Table) -> bool:
        look = element.find(f"{_WML}tblPr/{_WML}tblLook")
        if look is None:
            return False
        first_row = look.get(_WML + "firstRow")
        if first_row is None:  # Word 2007 wrote the options as bits of a hexadecimal w:val
            bits = look.get(_WML + "val", "")
            bit = re.fullmatch(r"[0-9A-Fa-f]{1,4}", bits) and int(bits, 16) & 0x20
            first_row = "1" if bit else "0"
        if first_row in _OFF or table.style is None:
            return False
        for style in _style_chain(self.document.styles.element, table.style.element):
            bold = style.find(f"{_WML}tblStylePr[@{_WML}type='firstRow']/{_WML}rPr/{_WML}b")
            if bold is not None:
                return _is_on(bold)
        return False


def _headings_above(document: Document) -> dict[BaseOxmlElement, str]:
    """The body's headings of a level the document repeats, each with the text of the heading
    it sits under (headings.py): a policy's "Scope" reads as "Scope (Travel)"."""
    headings = []
    for paragraph in document.paragraphs:
        style = paragraph.style.name.lower() if paragraph.style is not None else ""
        if level := _HEADING_STYLE.fullmatch(style):
            text = " ".join(_docx_paragraph_text(paragraph._p, []).split())
            headings.append((paragraph._p, int(level.group(1) or 0), text))
    above = qualifiers([(level, text) for _, level, text in headings])
    return {p: a for (p, _, _), a in zip(headings, above, strict=True) if a is not None}


# Word's heading styles by level; "Title" is above "Heading 1".
_HEADING_STYLE = re.compile(r"heading (\d)|title")


class _ListNumbers:
    """Word's list and clause numbers ("2.", "1.3.", "(b)"), which a .docx keeps as rules.

    A paragraph is numbered by its own properties or its style's. The count belongs to the
    list's definition, which several instances can share; an instance made by "Restart
    numbering" starts a level again where it first appears at that level (pandoc gives each
    nested list such an instance, and the outer list counts on). A level's count restarts the
    levels below it.
    """

    def __init__(self, document: Document) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE

        self._styles = document.styles.element
        self._style_numbering: dict[str, tuple[str | None, str | None]] = {}
        # A file has one part of list definitions, or none.
        numbering = [
            child for part in _parts(document, RELATIONSHIP_TYPE.NUMBERING) for child in part
        ]
        # definition -> level -> (start, style, text such as "%1.%2.")
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        for definition in numbering:
            if definition.tag != _WML + "abstractNum":
                continue
            levels = self._levels.setdefault(_val(definition, "abstractNumId") or "", {})
            for level in definition.findall(_WML + "lvl"):
                levels[integer_or(level.get(_WML + "ilvl"), 0)] = (
                    integer_or(_val(level.find(_WML + "start")), 1),
                    _val(level.find(_WML + "numFmt")) or "decimal",
                    _val(level.find(_WML + "lvlText")) or "",
                )
        # instance -> (definition, level -> start it restarts at)
        self._instances: dict[str, tuple[str, dict[int, int]]] = {}
        for instance in numbering:
            if instance.tag != _WML + "num":
                continue
            restarts = {
                integer_or(override.get(_WML + "ilvl"), 0): integer_or(
                    _val(override.find(_WML + "startOverride")), 1
                )
                for override in instance.findall(_WML + "lvlOverride")
                if override.find(_WML + "startOverride") is not None
            }
            definition = _val(instance.find(_WML + "abstractNumId")) or ""
            self._instances[_val(instance, "numId") or ""] = (definition, restarts)
        self._counts: dict[str, dict[int, int]] = {}
        self._started: set[tuple[str, int]] = set()  # restarted instances and levels

    def label(self, paragraph: BaseOxmlElement) -> str:
        instance, level = self._numbering(paragraph)
        if instance not in self._instances:
            return ""
        definition, restarts = self._instances[instance]
        levels = self._levels.get(definition, {})
        if level not in levels:
            return ""
        counts = self._counts.setdefault(definition, {})
        start, style, text = levels[level]
        if level in restarts and (instance, level) not in self._started:
            self._started.add((instance, level))
            counts[level] = restarts[level] - 1
        counts[level] = counts.get(level, start - 1) + 1
        for deeper in [counted for counted in counts if counted > level]:
            del counts[deeper]
        if style in ("bullet", "none"):
            return BULLET if style == "bullet" else ""

        def number(match: re.Match[str]) -> str:
            shown = int(match.group(1)) - 1
            shown_start, shown_style, _ = levels.get(shown, (1, "decimal", ""))
            return list_number(counts.get(shown, shown_start), shown_style)

        return _LEVEL_NUMBER.sub(number, text).strip()

    def _numbering(self, paragraph: BaseOxmlElement) -> tuple[str | None, int]:
        """The list instance and level of a paragraph: its own, else its style's."""
        properties = paragraph.find(_WML + "pPr")
        instance, level = _list_setting(properties)
        if instance is None or level is None:
            style_id = _val(properties.find(_WML + "pStyle")) if properties is not None else None
            style_instance, style_level = self._numbering_of_style(style_id)
            instance = instance or style_instance
            level = level or style_level
        return instance, integer_or(level, 0)

    def _numbering_of_style(self, style_id: str | None) -> tuple[str | None, str | None]:
        if style_id is None:
            return None, None
        if style_id not in self._style_numbering:
            chain = _style_chain(self._styles, self._styles.get_by_id(style_id))
            settings = [_list_setting(style.find(_WML + "pPr")) for style in chain]
            self._style_numbering[style_id] = (
                next((instance for instance, _ in settings if instance), None),
                next((level for _, level in settings if level), None),
            )
        return self._style_numbering[style_id]


def _list_setting(properties: BaseOxmlElement | None) -> tuple[str | None, str | None]:
    """The list instance and level a paragraph's or a style's properties set, if they do."""
    setting = properties.find(_WML + "numPr") if properties is not None else None
    if setting is None:
        return None, None
    return _val(setting.find(_WML + "numId")), _val(setting.find(_WML + "ilvl"))


# "%2" in a level's text is the count of the second level.
_LEVEL_NUMBER = re.compile(r"%([1-9])")


def _parts(document: Document, *kinds: str) -> list[BaseOxmlElement]:
    """The document's parts of these kinds, parsed from their bytes: python-docx reads no
    footnotes, and its `numbering_part` fails on a file without list definitions."""
    from docx.oxml import parse_xml

    return [
        parse_xml(rel.target_part.blob)
        for rel in document.part.rels.values()
        if rel.reltype in kinds and not rel.is_external
    ]


def _style_chain(
    styles: BaseOxmlElement, style: BaseOxmlElement | None
) -> Iterator[BaseOxmlElement]:
    """A style and the styles it is based on, nearest first. A crafted file can base two
    styles on each other: each is seen once."""
    seen = set()
    while style is not None and style.get(_WML + "styleId") not in seen:
        yield style
        seen.add(style.get(_WML + "styleId"))
        based_on = _val(style.find(_WML + "basedOn"))
        style = styles.get_by_id(based_on) if based_on else None


def _val(element: BaseOxmlElement | None, name: str = "val") -> str | None:
    return element.get(_WML + name) if element is not None else None


def _docx_paragraph_text(element: BaseOxmlElement, boxes: list[BaseOxmlElement]) -> str:
    parts = []
    for child in element:
        if child.tag == _WML + "t":
            parts.append(child.text or "")
        elif child.tag in _DOCX_CHARACTERS:
            parts.append(_DOCX_CHARACTERS[child.tag])
        elif child.tag == _WML + "txbxContent":
            boxes.append(child)
        elif _is_superscript(child) and is_footnote_mark(
            _docx_paragraph_text(child, []), "".join(parts)
        ):
            continue  # typed as a superscript figure after a word: "profit¹"
        elif child.tag not in _DOCX_UNSEEN and not _is_unread_control(child):
            parts.append(_docx_paragraph_text(child, boxes))
    return "".join(parts)


def _is_superscript(element: BaseOxmlElement) -> bool:
    return element.tag == _WML + "r" and (
        _val(element.find(f"{_WML}rPr/{_WML}vertAlign")) == "superscript"
    )


def _is_unread_control(element: BaseOxmlElement) -> bool:
    """A content control that shows its placeholder ("Click or tap here to enter text.") holds
    no one's words, and a table of contents repeats the headings with page numbers."""
    properties = element.find(_WML + "sdtPr")
    if element.tag != _WML + "sdt" or properties is None:
        return False
    gallery = properties.find(f"{_WML}docPartObj/{_WML}docPartGallery")
    contents = gallery is not None and gallery.get(_WML + "val") == "Table of Contents"
    return contents or properties.find(_WML + "showingPlcHdr") is not None


_OFF = {"0", "false", "off"}


def _is_on(toggle: BaseOxmlElement | None) -> bool:
    """A Word on/off property: present and without a w:val of 0, false or off."""
    return toggle is not None and toggle.get(_WML + "val", "1") not in _OFF
