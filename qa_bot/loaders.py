"""Turn a file into plain text that remembers where it came from (title, pages, offsets)."""

from __future__ import annotations

import hashlib
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qa_bot.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    UnsupportedFileError,
)
from qa_bot.sandbox import (
    SANDBOXED_SUFFIXES,
    ParseLimits,
    SandboxWorkers,
    check_zip_package,
    extract_sandboxed,
)

if TYPE_CHECKING:  # python-docx and BeautifulSoup are imported where a file needs them
    from bs4 import Tag
    from docx.document import Document
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import Table

PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class PageSpan:
    """Characters [start, end) of the document text came from this 1-based page."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class LoadedDocument:
    source: str
    title: str
    text: str
    content_hash: str
    pages: tuple[PageSpan, ...] = field(default=())

    @property
    def file_name(self) -> str:
        return Path(self.source).name


Extractor = Callable[[Path, bytes], tuple[str, str | None, tuple[PageSpan, ...]]]


def load_document(
    path: str | Path, limits: ParseLimits | None = None, workers: SandboxWorkers | None = None
) -> LoadedDocument:
    """Read one supported file; raise a DocumentError naming the file and the reason.

    PDF, .docx, HTML and Markdown are parsed in a child process bounded by `limits`
    (qa_bot.sandbox): one of `workers` when given (a folder's worth of files), else a new one.
    """
    path = Path(path)
    extractor = extractor_for(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise EmptyDocumentError(str(path), "empty file")
    if path.suffix.lower() == ".docx":
        check_zip_package(path, data)
    try:
        if path.suffix.lower() in SANDBOXED_SUFFIXES:
            if workers is not None:
                text, title, spans = workers.extract(path)
            else:
                text, title, spans = extract_sandboxed(path, limits or ParseLimits())
            pages = tuple(PageSpan(*span) for span in spans)
        else:
            text, title, pages = extractor(path, data)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on damaged input
        raise CorruptDocumentError(
            str(path), f"cannot parse ({type(exc).__name__}: {exc})"
        ) from exc
    if not text.strip():
        raise EmptyDocumentError(str(path), "no extractable text")
    return LoadedDocument(
        source=str(path.resolve()),
        title=(_usable_title(title) or _title_from_text(text) or path.stem)[:200],
        text=text,
        content_hash=hashlib.sha256(data).hexdigest(),
        pages=pages,
    )


def extractor_for(path: Path) -> Extractor:
    extractor = _EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        raise UnsupportedFileError(str(path), f"unsupported file type '{path.suffix or '(none)'}'")
    return extractor


def supported_suffixes() -> tuple[str, ...]:
    return tuple(sorted(_EXTRACTORS))


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files under the given paths: folders recursively, hidden entries skipped, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield child
        else:
            yield path


# --- extractors ------------------------------------------------------------------------------


def _decode_text(path: Path, data: bytes) -> str:
    head = data[:8192]
    if b"\x00" in head or _control_ratio(head) > 0.1:
        raise CorruptDocumentError(str(path), "binary data, not text")
    try:
        return _normalise_newlines(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise CorruptDocumentError(str(path), "cannot decode text (unknown encoding)")
    # Short texts fit several legacy code pages equally well; Western European ones are by far
    # the most common, so prefer them whenever they fit at all.
    western = [m for m in matches if m.encoding in _WESTERN_ENCODINGS]
    chosen = western[0] if western else matches[0]
    encoding = "cp1252" if western else chosen.encoding
    return _normalise_newlines(data.decode(encoding, errors="replace"))


_WESTERN_ENCODINGS = {"cp1252", "latin_1", "iso8859_15", "ascii"}


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    controls = sum(1 for byte in data if byte < 32 and byte not in (9, 10, 12, 13))
    return controls / len(data)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _extract_txt(path: Path, data: bytes) -> tuple[str, str | None, tuple[PageSpan, ...]]:
    return _decode_text(path, data), None, ()


def _extract_md(path: Path, data: bytes) -> tuple[str, str | None, tuple[PageSpan, ...]]:
    """Rendered (CommonMark with tables) and read as HTML: markup such as "**" and a link's URL
    stays out of answers and searches, a heading is found however it is written, and a table
    reads as an HTML table does."""
    from markdown_it import MarkdownIt

    text, title = _decode_text(path, data), None
    if front := _FRONT_MATTER.match(text):
        text = text[front.end() :]
        if found := _FRONT_MATTER_TITLE.search(front.group(1)):
            title = _usable_title(found.group(1).strip("\"'"))
    markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    html = markdown.render(text).encode("utf-8")
    body, heading = _read_html(path, html, main_part=False)
    return body, title or heading, ()


# A YAML front matter block (Jekyll, Hugo, Obsidian notes) is metadata, not text: left in, it
# reads as a heading. Its title is the document's. It opens with a "key:" line, where text
# between two rules would not.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n([\w-]+:.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _extract_html(path: Path, data: bytes) -> tuple[str, str | None, tuple[PageSpan, ...]]:
    text, title = _read_html(path, data, main_part=True)
    return text, title, ()


def _read_html(path: Path, data: bytes, *, main_part: bool) -> tuple[str, str | None]:
    """The text and title of an HTML page; of its main part (or its one article) if
    `main_part`, as a saved web page's menus and sidebars are not the document."""
    from bs4 import BeautifulSoup

    if b"\x00" in data[:8192]:
        raise CorruptDocumentError(str(path), "binary data, not HTML")
    # Line breaks only where the layout has them: inline tags (<a>, <b>, <img>) stay in their
    # sentence, so a link or a removed image does not cut a sentence in two. A break goes before
    # each opening block tag, in the source: text after closing tags would make BeautifulSoup
    # quadratic in the nesting depth (100,000 nested divs: minutes instead of a second). Before
    # a paragraph, heading, list item or table it is a blank line, as in a text file, held by a
    # no-break space: BeautifulSoup reads plain whitespace between tags as one line break.
    data = _HTML_BREAKS.sub(rb"\n\g<0>", data)
    data = _HTML_PARAGRAPHS.sub(rb"\n&nbsp;\n\g<0>", data)
    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg", "head"]):
        if tag.name == "head":
            continue
        tag.decompose()
    # Menus, banners and hidden parts are not the document.
    for tag in soup.find_all(_is_page_chrome):
        tag.decompose()
    parts = []
    if main_part:
        parts = soup.find_all(lambda tag: tag.name == "main" or tag.get("role") == "main")
        if len(parts) != 1:
            parts = soup.find_all("article")
    # A table reads a row a line, as in a .docx: cell by cell on lines of their own, a row's
    # values fell into "sentences" of their own. A table that holds another table is page
    # layout and keeps its lines. (Parents, not descendants, are walked: that stays linear in
    # the depth of nesting.)
    holders = {id(table.find_parent("table")) for table in soup.find_all("table")}
    tables: dict[int, list[Tag]] = {}
    for row in soup.find_all("tr"):
        table = row.find_parent("table")
        if table is not None and id(table) not in holders:
            tables.setdefault(id(table), []).append(row)
    for rows in tables.values():
        cells = [row.find_all(["td", "th"], recursive=False) for row in rows]
        header = bool(cells[0]) and all(cell.name == "th" for cell in cells[0])
        texts = [[" ".join(cell.get_text(" ").split()) for cell in row] for row in cells]
        for row, line in zip(rows, _table_lines(texts, header), strict=True):
            row.string = f"\n{line}\n"
    title_tag = soup.find("title")
    title = _usable_title(title_tag.get_text(" ", strip=True)) if title_tag else None
    if title_tag:
        title_tag.decompose()
    body = parts[0] if len(parts) == 1 else soup.body or soup
    text = body.get_text()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not title:
        heading = body.find(["h1", "h2"])
        title = heading.get_text(" ", strip=True) if heading else None
    return text, title


def _is_page_chrome(tag: Tag) -> bool:
    style = tag.get("style")
    return (
        tag.name == "nav"
        or tag.get("role") in _PAGE_CHROME_ROLES
        or tag.has_attr("hidden")
        or tag.get("aria-hidden") == "true"
        or (isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None)
    )


_PAGE_CHROME_ROLES = {"banner", "contentinfo", "navigation", "search"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HTML_BREAKS = re.compile(rb"<(?:br|dd|dt|figcaption|summary|td|th|tr)\b", re.IGNORECASE)
_HTML_PARAGRAPHS = re.compile(
    rb"<(?:address|article|aside|blockquote|details|div|dl|fieldset|figure|footer|form|h[1-6]"
    rb"|header|hr|li|main|nav|ol|p|pre|section|table|ul)\b",
    re.IGNORECASE,
)


def _extract_pdf(path: Path, data: bytes) -> tuple[str, str | None, tuple[PageSpan, ...]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password; those open fine.
            try:
                if not reader.decrypt(""):
                    raise EncryptedDocumentError(str(path), "encrypted PDF")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise EncryptedDocumentError(str(path), "encrypted PDF") from exc
        raw = [_normalise_newlines(page.extract_text() or "").strip() for page in reader.pages]
        furniture = PageFurniture.find(raw)
        texts = furniture.strip(raw)
        parts: list[str] = []
        pages: list[PageSpan] = []
        offset = 0
        for number, page_text in enumerate(texts, start=1):
            if not page_text:
                continue
            if parts:
                offset += len(PAGE_SEPARATOR)
            parts.append(page_text)
            pages.append(PageSpan(number, offset, offset + len(page_text)))
            offset += len(page_text)
        metadata = reader.metadata
        title = _usable_title(metadata.title if metadata else None) or furniture.running_title(raw)
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(str(path), "encrypted PDF") from exc
    except PdfReadError as exc:
        raise CorruptDocumentError(str(path), f"damaged PDF ({exc})") from exc
    if not parts:
        raise EmptyDocumentError(str(path), "no extractable text (a scanned PDF needs OCR first)")
    return PAGE_SEPARATOR.join(parts), title, tuple(pages)


# A PDF's running headers, footers and page numbers are among the first and last lines of a
# page, and recur on at least this share of its pages.
_EDGE_LINES = 2
_FURNITURE_SHARE = 0.4
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class PageFurniture:
    """A PDF's running headers, footers and page numbers.

    Left in, a footer is read into the sentence a page break cuts, quoted in answers and
    matched by searches. A line is furniture when it is among the first or last lines of a
    page and recurs there on many pages: word for word ("Annual Report 2024"), or with a number
    that counts the pages ("Page 3 of 12", "- 3 -").
    """

    repeated: frozenset[str]  # plain lines
    counting: frozenset[str]  # plain lines with their numbers as "#"

    @classmethod
    def find(cls, pages: list[str]) -> PageFurniture:
        needed = max(2, math.ceil(_FURNITURE_SHARE * len(pages)))
        same: Counter[str] = Counter()
        numbered: dict[str, Counter[int]] = {}
        for index, page in enumerate(pages):
            page_lines = page.split("\n")
            texts = {_plain(page_lines[i]) for i in _edge_lines(page_lines)}
            same.update(texts)
            for text in texts:
                # The offsets from this page's index at which the line's numbers would count
                # pages.
                offsets = {int(n) - index for n in _NUMBER.findall(text)[:4]}
                numbered.setdefault(_NUMBER.sub("#", text), Counter()).update(offsets)
        return cls(
            repeated=frozenset(text for text, count in same.items() if count >= needed),
            counting=frozenset(
                key
                for key, offsets in numbered.items()
                if max(offsets.values(), default=0) >= needed
            ),
        )

    def strip(self, pages: list[str]) -> list[str]:
        stripped = []
        for page in pages:
            page_lines = page.split("\n")
            edge = _edge_lines(page_lines)
            stripped.append(
                "\n".join(
                    line
                    for i, line in enumerate(page_lines)
                    if i not in edge or not self._is_furniture(line)
                ).strip()
            )
        return stripped

    def running_title(self, pages: list[str]) -> str | None:
        """The running header atop the first page: what a printed report calls itself.

        Wanted when the PDF's metadata has no usable title: the first line left after the
        furniture is often the body's first sentence, or the title line the header repeats
        was dropped with it.
        """
        first = next((page for page in pages if page.strip()), "")
        top = next((line for line in first.split("\n") if line.strip()), "")
        return _usable_title(top) if _plain(top) in self.repeated else None

    def _is_furniture(self, line: str) -> bool:
        plain = _plain(line)
        return plain in self.repeated or _NUMBER.sub("#", plain) in self.counting


def _edge_lines(lines: list[str]) -> set[int]:
    """Indices of a page's first and last few non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return {*filled[:_EDGE_LINES], *filled[-_EDGE_LINES:]}


def _plain(line: str) -> str:
    return " ".join(line.lower().split())


def _extract_docx(path: Path, data: bytes) -> tuple[str, str | None, tuple[PageSpan, ...]]:
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
    title = _usable_title(document.core_properties.title)
    if not title:
        for para in document.paragraphs:
            if para.style is not None and para.style.name.lower().startswith(("title", "heading")):
                title = _usable_title(para.text)
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
    return [line for line in _table_lines(texts, header) if line]


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


def _table_lines(rows: list[list[str]], header: bool) -> list[str]:
    """A table's lines, one a row with its cells joined by " | ".

    Under a header row each value carries its column's name ("Manager: Jane Doe"), so a row
    quoted alone as an answer still says what its figures are; the header's own line is then
    empty. A row with more or fewer cells than the header (merged cells) is left unnamed.
    """
    names = rows[0] if header and len(rows) > 1 else None
    lines = []
    for index, row in enumerate(rows):
        cells = row
        if names and index == 0:
            cells = []
        elif names and len(row) == len(names):
            cells = [
                f"{name}: {cell}" if name and cell else cell
                for name, cell in zip(names, row, strict=True)
            ]
        lines.append(" | ".join(cell for cell in cells if cell))
    return lines


def _title_from_text(text: str) -> str | None:
    for line in text.splitlines():
        title = _usable_title(line.strip().lstrip("#"))
        if title:
            return title[:120]
    return None


# What tools write when the author gave no title, and markings that are not titles.
_PLACEHOLDER_TITLE = re.compile(
    r"untitled(?: document)?|no title|title|(?:document|presentation|book|slide) ?\d*"
    r"|powerpoint presentation|microsoft \w+ - .*|\S+\.(?:docx?|pdf|rtf|odt|pptx?|xlsx?|txt|html?"
    r"|md|tex|dvi|indd)|(?:strictly )?confidential|draft|internal(?: use only)?|proprietary"
    r"|do not distribute",
    re.IGNORECASE,
)


def _usable_title(title: str | None) -> str | None:
    """The title, unless it is a placeholder ("Untitled", "Microsoft Word - draft3.docx"):
    shown beside every citation and embedded with every chunk, a placeholder misleads both."""
    title = " ".join((title or "").split())
    if not any(char.isalpha() for char in title) or _PLACEHOLDER_TITLE.fullmatch(title):
        return None
    return title


_EXTRACTORS: dict[str, Extractor] = {
    ".txt": _extract_txt,
    ".md": _extract_md,
    ".markdown": _extract_md,
    ".html": _extract_html,
    ".htm": _extract_html,
    ".pdf": _extract_pdf,
    ".docx": _extract_docx,
}
