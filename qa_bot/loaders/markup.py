"""HTML pages and Markdown notes (rendered to HTML and read the same way)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qa_bot.errors import CorruptDocumentError
from qa_bot.loaders.document import Extracted
from qa_bot.loaders.headings import qualifiers
from qa_bot.loaders.notes import is_footnote_mark, is_note_mark, without_note_marks
from qa_bot.loaders.numbering import BULLET, integer_or, list_number
from qa_bot.loaders.tables import names_columns, table_lines
from qa_bot.loaders.text import decode_text, without_breadcrumb
from qa_bot.loaders.titles import usable_title

if TYPE_CHECKING:  # BeautifulSoup is imported where a file needs it
    from bs4 import BeautifulSoup, NavigableString, Tag


def extract_md(path: Path, data: bytes) -> Extracted:
    """Rendered (CommonMark with tables) and read as HTML: markup such as "**" and a link's URL
    stays out of answers and searches, a heading is found however it is written, and a table
    reads as an HTML table does."""
    from markdown_it import MarkdownIt

    text, title = without_breadcrumb(decode_text(path, data)), None
    text = _PLACEHOLDER.sub(_escape_placeholder, text)
    if front := _FRONT_MATTER.match(text):
        text = text[front.end() :]
        if found := _FRONT_MATTER_TITLE.search(front.group(1)):
            title = usable_title(found.group(1).strip("\"'"))
    markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    html = markdown.render(text).encode("utf-8")
    body, heading = _read_html(path, html, main_part=False)
    return without_note_marks(body), title or heading, ()


# A placeholder in angle brackets, which Markdown would take for an unknown HTML tag and drop:
# "brightwell-<yourname>.conf", "<your-token>". Not a tag HTML knows ("<br>", "<kbd>").
_HTML_ELEMENTS = frozenset(
    """
    a abbr address area article aside audio b bdi bdo blockquote body br button canvas caption
    cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input
    ins kbd label legend li link main map mark menu meta meter nav noscript object ol optgroup
    option output p param picture pre progress q rp rt ruby s samp script search section select
    slot small source span strike strong style sub summary sup table tbody td template textarea
    tfoot th thead time title tr track u ul var video wbr center font big tt
    """.split()
)
# Code (fenced or inline), where Markdown shows angle brackets as they are, or a placeholder.
_PLACEHOLDER = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)|<([a-z][\w-]*)>", re.I | re.DOTALL)


def _escape_placeholder(match: re.Match[str]) -> str:
    tag = match.group(2)
    if tag is None or tag.lower() in _HTML_ELEMENTS:
        return match.group(0)
    return f"&lt;{tag}&gt;"


# A YAML front matter block (Jekyll, Hugo, Obsidian notes) is metadata, not text: left in, it
# reads as a heading. Its title is the document's. It opens with a "key:" line, where text
# between two rules would not.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n([\w-]+:.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def extract_html(path: Path, data: bytes) -> Extracted:
    text, title = _read_html(path, _unwrap_source_lines(data), main_part=True)
    return without_note_marks(text), title, ()


def _unwrap_source_lines(data: bytes) -> bytes:
    """A page's source lines are not its lines: outside <pre>, a line break in the source is a
    space, as a browser shows it. Else a price block's "<s>$329.99</s>\n<b>$249.99</b>" and a
    sentence wrapped in the source would stand on lines of their own. (One walk over the
    <pre> tags, open and close, keeps this linear whatever the page.)"""
    pieces, last, depth = [], 0, 0
    for tag in _PREFORMATTED_TAG.finditer(data):
        closing = tag.group(0)[1:2] == b"/"
        if depth == 0 and not closing:
            pieces.append(_SOURCE_BREAK.sub(b" ", data[last : tag.start()]))
            last = tag.start()
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth == 0 and closing:
            pieces.append(data[last : tag.end()])
            last = tag.end()
    tail = data[last:]
    pieces.append(tail if depth else _SOURCE_BREAK.sub(b" ", tail))
    return b"".join(pieces)


_PREFORMATTED_TAG = re.compile(rb"</?(?:pre|textarea)\b[^>]*>", re.IGNORECASE)
_SOURCE_BREAK = re.compile(rb"[ \t]*\r?\n[ \t\r\n]*")


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
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg"]):
        tag.decompose()
    # Menus, banners and hidden parts are not the document.
    for tag in soup.find_all(_is_page_chrome):
        tag.decompose()
    if main_part:
        _drop_marks(soup)
    # Nor is a whole page's own <header> or <footer> (HTML gives it the banner's and footer's
    # roles), one not inside an article or section; but a header that holds the page's
    # headline (<h1>) is a simple page's own. A fragment or a Markdown note has no page around
    # it: its <header> is the author's.
    if main_part and soup.body is not None:
        for tag in _outermost(soup.body, _is_page_header_or_footer, _sections):
            tag.decompose()
    for tag in soup.find_all(_is_link_list):
        tag.decompose()
    _number_list_items(soup)
    _read_term_lists(soup)
    _qualify_repeated_headings(soup)
    parts = []
    if main_part:
        parts = soup.find_all(lambda tag: tag.name == "main" or tag.get("role") == "main")
        if len(parts) != 1:
            parts = _main_article(soup)
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
        texts = [[_words(cell) for cell in row] for row in cells]
        header = header or names_columns(texts)
        for row, line in zip(rows, table_lines(texts, header), strict=True):
            row.string = f"\n{line}\n"
    _mark_code(soup)
    title_tag = soup.find("title")
    title = usable_title(title_tag.get_text(" ", strip=True)) if title_tag else None
    if title_tag:
        title_tag.decompose()
    body = parts[0] if len(parts) == 1 else soup.body or soup
    text = body.get_text()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    heading = body.find(["h1", "h2"])
    headline = _words(heading) if heading else None
    if not title or (headline and _names_the_site(title, headline)):
        title = headline
    return text, title


def _qualify_repeated_headings(soup: BeautifulSoup) -> None:
    """Headings of a level the document repeats read with the one above (headings.py)."""
    tags = soup.find_all(_HEADING_TAGS)
    for tag, above in zip(
        tags, qualifiers([(int(t.name[1]), _words(t)) for t in tags]), strict=True
    ):
        if above is not None:
            tag.append(f" ({above})")


_HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]


def _words(tag: Tag) -> str:
    """A tag's text on one line. Its strings join as written: `get_text(" ")` would put a space
    between "<code>col_0</code>" and its comma. Blocks and <br> have breaks in the source."""
    return " ".join(tag.get_text().split())


def _main_article(soup: BeautifulSoup) -> list[Tag]:
    """The page's one article, if it has one: not a teaser in a sidebar or menu ("Related
    articles"), nor a comment inside another article. Of several, one with twice the text of
    the others together is the story beside its teasers; otherwise none is the document."""
    articles = _outermost(
        soup, lambda tag: tag.name == "article", lambda tag: tag.name in ("aside", "nav", "footer")
    )
    sizes = [len("".join(article.get_text().split())) for article in articles]
    if not articles or 2 * (sum(sizes) - max(sizes)) > max(sizes):
        return []
    return [articles[sizes.index(max(sizes))]]


def _outermost(
    root: Tag, wanted: Callable[[Tag], bool], skipped: Callable[[Tag], bool]
) -> list[Tag]:
    """The `wanted` tags under `root` that are neither inside one another nor inside a
    `skipped` tag. A walk from the top that enters neither, so a deep nest is seen once."""
    found, stack = [], [iter(root.find_all(True, recursive=False))]
    while stack:
        tag = next(stack[-1], None)
        if tag is None:
            stack.pop()
        elif wanted(tag):
            found.append(tag)
        elif not skipped(tag):
            stack.append(iter(tag.find_all(True, recursive=False)))
    return found


def _sections(tag: Tag) -> bool:
    return tag.name in _SECTIONS or tag.get("role") in _SECTION_ROLES


def _mark_code(soup: BeautifulSoup) -> None:
    """A code block's lines read as code, each between backticks as Markdown writes code: under
    "Installation", "`pip install fastcsv`" is what the heading introduces, not prose that a
    lower-case letter would make a sentence's continuation, nor a heading of its own. Quoted,
    the backticks tell the reader it is code."""
    for block in soup.find_all("pre"):
        lines = block.get_text().split("\n")
        marked = [
            f"`{line.strip()}`" if line.strip() and "`" not in line else line for line in lines
        ]
        block.string = "\n" + "\n".join(marked) + "\n"


def _names_the_site(title: str, headline: str) -> bool:
    """A page title that is the headline and the site's name ("Frost takes 40 percent of
    valley blossom | Valley News"): the site's name is not the document's title."""
    rests = (title.removeprefix(headline), title.removesuffix(headline))
    return any(rest != title and _SITE_NAME.fullmatch(rest) for rest in rests)


# What a page title adds to its headline: " | Valley News", "Valley News - ". (After a colon
# comes a subtitle, which stays.)
_SITE_NAME = re.compile(r"\s+[|\-–—·]\s+\S.*|.*\S\s+[|\-–—·]\s+", re.DOTALL)


# An item that opens with its own label: "(a)", "(2)", "(iv)", "a)", "3.", "2.1"; perhaps in
# an element of its own ("<span>(a)</span> lawfully").
_OWN_LABEL = re.compile(
    r"(?:\((?:\d{1,3}|[a-z]{1,4}|[A-Z])\)|(?:\d{1,3}|[a-z]|[A-Z])[.)]|\d+(?:\.\d+)+\.?)(?:\s|$)"
)


def _labels_itself(item: Tag) -> bool:
    first = _first_text(item)
    return first is not None and _OWN_LABEL.match(first.strip()) is not None


def _number_list_items(soup: BeautifulSoup) -> None:
    """An ordered list's items get the numbers a browser shows: "What is step 2?" needs them.
    An unordered list's get a bullet: it tells an item from a heading, and where a list ends
    (an answer quotes "All employees receive:" with its items)."""
    for unordered in soup.find_all("ul"):
        for item in unordered.find_all("li", recursive=False):
            first = _first_text(item)
            if first is not None:
                first.replace_with(f"{BULLET} {first.lstrip()}")
    for ordered in soup.find_all("ol"):
        items = ordered.find_all("li", recursive=False)
        if items and all(_labels_itself(item) for item in items):
            continue  # "<li>(a) processed lawfully…": a law's points number themselves
        style = _LIST_STYLES.get(str(ordered.get("type", "1")), "decimal")
        step = -1 if ordered.has_attr("reversed") else 1
        number = integer_or(ordered.get("start"), len(items) if step < 0 else 1)
        for item in items:
            number = integer_or(item.get("value"), number)
            # Into the item's first text, so a loose list's "<li><p>Cut.</p>" reads "1. Cut."
            first = _first_text(item)
            if first is not None:
                first.replace_with(f"{list_number(number, style)}. {first.lstrip()}")
            number += step


def _read_term_lists(soup: BeautifulSoup) -> None:
    """A definition list's terms read as a bulleted list's items, each with its definition:
    "• ParseError: Raised when …", so its heading ("Raises") introduces them as it would a
    <ul>'s. A list whose definitions hold paragraphs or lists (Sphinx's API entries) is a
    document's outline rather than a list, and keeps its lines."""
    for terms in soup.find_all("dl"):
        items = terms.find_all(["dt", "dd"], recursive=False)
        if any(item.name == "dd" and item.find(_DEFINITION_BLOCKS) for item in items):
            continue
        for previous, item in zip([None, *items], items, strict=False):
            if item.name == "dt":
                if (first := _first_text(item)) is not None:
                    first.replace_with(f"{BULLET} {first.lstrip()}")
            # A definition goes on its term's line, where the source had a line break.
            elif (
                previous is not None and previous.name == "dt" and not item.previous_sibling.strip()
            ):
                after = previous.get_text().rstrip()[-1:]
                item.previous_sibling.replace_with(" " if after in ":.?!" else ": ")


_DEFINITION_BLOCKS = ["dl", "div", "ol", "p", "pre", "table", "ul"]


def _first_text(item: Tag) -> NavigableString | None:
    """The first words of a list item, if they come before any list inside it.

    Walked by hand: `descendants` finds an element's last descendant first, which made a
    deep nest of lists quadratic. This walk stops at a nested list, so no node is seen twice.
    """
    from bs4 import NavigableString

    stack = [iter(item.contents)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif node.name in ("ol", "ul", "li"):
            return None
        elif type(node) is NavigableString and node.strip():  # not a comment
            return node
        elif node.name is not None:
            stack.append(iter(node.contents))
    return None


_LIST_STYLES = {
    "1": "decimal",
    "a": "lowerLetter",
    "A": "upperLetter",
    "i": "lowerRoman",
    "I": "upperRoman",
}


def _drop_marks(soup: BeautifulSoup) -> None:
    """What a saved web page shows beside its text, not as part of it: a struck-out old price
    ("<s>$329.99</s> $249.99"), and an encyclopedia's note marks ("[5]") and "[edit]" links."""
    for tag in soup.find_all(["s", "del", "strike"]):
        tag.decompose()
    for tag in soup.find_all(_is_mark):
        tag.decompose()


def _is_mark(tag: Tag) -> bool:
    classes = tag.get("class") or []
    if tag.name == "sup":
        text = tag.get_text()
        before = tag.find_previous(string=True)
        return is_note_mark(text) or is_footnote_mark(text, str(before or ""))
    return "mw-editsection" in classes


def _is_page_chrome(tag: Tag) -> bool:
    style = tag.get("style")
    return (
        tag.name == "nav"
        or tag.get("role") in _PAGE_CHROME_ROLES
        or tag.has_attr("hidden")
        or tag.get("aria-hidden") == "true"
        or (isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None)
        or _is_cookie_banner(tag)
        or _is_page_tool(tag)
        or _is_breadcrumb(tag)
    )


def _is_link_list(tag: Tag) -> bool:
    """A list of links and nothing else ("• Annual leave", "• Expense policy" on a wiki's home
    page, "See also"): a way to other pages, as a menu is, which says nothing itself."""
    if tag.name not in ("ul", "ol"):
        return False
    items = tag.find_all("li", recursive=False)
    return bool(items) and all(_is_link_only(item) for item in items)


def _is_link_only(item: Tag) -> bool:
    """An item that is one link (in a paragraph, as a loose Markdown list writes it), seen from
    its children only: a walk of each item's whole subtree would be quadratic in a page's
    nesting of lists."""
    children = [c for c in item.contents if not isinstance(c, str) or c.strip()]
    if len(children) == 1 and getattr(children[0], "name", None) == "p":
        children = [c for c in children[0].contents if not isinstance(c, str) or c.strip()]
    return len(children) == 1 and getattr(children[0], "name", None) == "a"


def _is_breadcrumb(tag: Tag) -> bool:
    """ "Home > IT > VPN setup": where the page sits in its site, not what it says."""
    named = f"{_names(tag)} {tag.get('aria-label') or ''}".lower()
    return "breadcrumb" in named and _small_block(tag) is not None


def _is_page_header_or_footer(tag: Tag) -> bool:
    return tag.name == "footer" or (tag.name == "header" and tag.find("h1") is None)


def _is_cookie_banner(tag: Tag) -> bool:
    """A banner or dialog asking to accept cookies: "Does this site use cookies?" is not about
    the document. It has a button to accept them, where a privacy policy's section on cookies
    has none; and a page's wrapper named "has-cookie-bar" holds the headline too."""
    if not (_COOKIE_NAMES.search(_names(tag)) or tag.get("role") in ("dialog", "alertdialog")):
        return False
    read = _small_block(tag)
    return read is not None and read[1] and "cookie" in read[0].lower()


def _is_page_tool(tag: Tag) -> bool:
    """A small block of links to share the page or to its tags ("Share this article: Facebook
    X", "Tags: heat pumps, energy"), inside a story or beside it: a block of links with a word
    or two before them, not a section on social policy or share capital."""
    if _PAGE_TOOL_NAMES.search(_names(tag)) is None or _small_block(tag) is None:
        return False
    links = tag.find_all("a")
    if len(links) < 2 or tag.find(["h1", "h2", "h3", "h4", "h5", "h6"]) is not None:
        return False
    linked = sum(len(link.get_text(" ").split()) for link in links)
    return len(tag.get_text(" ").split()) - linked <= _TOOL_WORDS


def _names(tag: Tag) -> str:
    return " ".join([str(tag.get("id", "")), *(tag.get("class") or ())])


def _small_block(tag: Tag) -> tuple[str, bool] | None:
    """The text of a block that is no part of the page's story, and whether it has a button;
    None if it holds a headline, a main part or an article, or is not small: the walk stops
    past `_BANNER_NODES`, so a deep nest of named blocks is read in linear time."""
    if tag.name in ("html", "body"):
        return None
    words, button, stack = [], False, [iter(tag.contents)]
    for _ in range(_BANNER_NODES):
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            if not stack:
                return "".join(words), button
        elif node.name is None:
            words.append(str(node))
        elif node.name in ("h1", "main", "article"):
            return None
        else:
            button = button or node.name == "button" or node.get("role") == "button"
            stack.append(iter(node.contents))
    return None


# What makes a <header> or <footer> inside it the section's, not the page's (HTML-AAM).
_SECTIONS = {"article", "aside", "main", "nav", "section"}
_SECTION_ROLES = {"article", "complementary", "main", "navigation", "region"}
_PAGE_CHROME_ROLES = {"banner", "contentinfo", "navigation", "search"}
_COOKIE_NAMES = re.compile(r"cookie|consent|gdpr", re.IGNORECASE)
_PAGE_TOOL_NAMES = re.compile(r"\b(?:share|sharing|social|tags)\b", re.IGNORECASE)
_TOOL_WORDS = 5
_BANNER_NODES = 200
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HTML_BREAKS = re.compile(rb"<(?:br|dd|dt|figcaption|summary|td|th|tr)\b", re.IGNORECASE)
_HTML_PARAGRAPHS = re.compile(
    rb"<(?:address|article|aside|blockquote|details|div|dl|fieldset|figure|footer|form|h[1-6]"
    rb"|header|hr|li|main|nav|ol|p|pre|section|table|ul)\b",
    re.IGNORECASE,
)
