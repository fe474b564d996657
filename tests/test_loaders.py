from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from qa_bot.chunking import chunk_document, split_sentences
from qa_bot.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    UnsupportedFileError,
)
from qa_bot.ingest import ingest_file
from qa_bot.loaders import LoadedDocument, iter_files, load_document
from qa_bot.loaders.pdf import Line, PageFurniture
from tests.factories import make_docx, make_drawn_pdf, make_pdf


def test_txt_keeps_text_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("First line\r\nSecond line.", encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "First line\nSecond line."
    assert doc.title == "First line"
    assert len(doc.content_hash) == 64
    assert doc.file_name == "notes.txt"


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Café au lait coûte très cher à Zürich.".encode("latin-1"))
    assert "Café au lait coûte très cher à Zürich." in load_document(path).text


def test_markdown_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text("Intro line\n\n# The Guide\n\nBody text.", encoding="utf-8")
    assert load_document(path).title == "The Guide"


def test_markdown_is_read_without_its_markup(tmp_path: Path) -> None:
    doc = _loaded(
        tmp_path / "guide.md",
        "Orchard Guide\n=============\n\n"
        "The **north orchard** grows [Bramley apples](https://example.com/b) and is\n"
        "managed by *Jane Doe*.\n\n| Orchard | 2025 |\n|---|---|\n| North | 14 t |\n",
    )
    assert doc.title == "Orchard Guide"
    assert doc.text == (
        "Orchard Guide\n\nThe north orchard grows Bramley apples and is\nmanaged by Jane Doe."
        "\n\nOrchard: North | 2025: 14 t"
    )
    # Raw HTML is part of a note: an <article> in it is not a web page's main part.
    note = "# Pruning\n\nCut in winter.\n\n<article>\n\nPears in summer.\n\n</article>\n"
    assert _loaded(tmp_path / "pruning.md", note).text == (
        "Pruning\n\nCut in winter.\n\nPears in summer."
    )


def test_a_code_blocks_lines_read_as_code(tmp_path: Path) -> None:
    note = (
        "## Installation\n\n```bash\npip install fastcsv\n```\n\nOr build it:\n\n"
        "    make\n    make install\n\nInline `code` stays as it is.\n"
    )
    assert _loaded(tmp_path / "readme.md", note).text == (
        "Installation\n\n`pip install fastcsv`\n\nOr build it:\n\n`make`\n`make install`"
        "\n\nInline code stays as it is."
    )
    # A line that has backticks of its own is left as written.
    page = "<html><body><pre>x = 1\ns = `date`\n</pre></body></html>"
    assert _loaded(tmp_path / "page.html", page).text == "`x = 1`\ns = `date`"


def test_markdown_front_matter_gives_the_title_and_is_not_text(tmp_path: Path) -> None:
    front = '---\ntitle: "Harvest notes"\ntags: [orchard]\n---\n\n## Picking\n\nApples first.\n'
    doc = _loaded(tmp_path / "note.md", front)
    assert (doc.title, doc.text) == ("Harvest notes", "Picking\n\nApples first.")
    # Text between two rules is not front matter.
    ruled = "---\nApples first.\n\n---\n\nPears.\n"
    assert _loaded(tmp_path / "note.md", ruled).text == "Apples first.\n\nPears."


def test_html_drops_scripts_and_uses_title(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>My Page</title><style>p{}</style></head>"
        "<body><h1>Hello</h1><script>alert(1)</script><p>Visible   text.</p></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "My Page"
    assert "alert" not in doc.text and "p{}" not in doc.text
    assert "Hello" in doc.text and "Visible text." in doc.text


def test_html_blocks_are_paragraphs_and_a_br_is_a_line_break(tmp_path: Path) -> None:
    # As in a text file, a blank line ends a sentence; a single break may only wrap one, and
    # "Opening hours vary by season" would run on into the next paragraph.
    body = (
        "<h2>Shop</h2><p>Opening hours vary by season</p>"
        "<p>Closed on Mondays.<br>Open on Sundays.</p><ul><li>Apples</li><li>Pears</li></ul>"
    )
    assert _html_text(tmp_path, body) == (
        "Shop\n\nOpening hours vary by season\n\nClosed on Mondays.\nOpen on Sundays."
        "\n\n• Apples\n\n• Pears"
    )


def test_an_html_table_row_reads_as_one_line(tmp_path: Path) -> None:
    body = (
        "<table><tr><td><h2>Harvest by orchard</h2>"  # a layout table around it all
        "<table><tr><th>Orchard</th><th>2024</th><th>2025</th></tr>"
        "<tr><td>North</td><td><b>12</b> t</td><td>14 t</td></tr>"
        "<tr><td colspan='3'>South: replanted</td></tr></table>"
        "<p>The south orchard was replanted in 2025.</p></td></tr></table>"
    )
    assert _html_text(tmp_path, body) == (
        # Under a header row (<th>), values carry their column's name; a row that spans the
        # columns does not.
        "Harvest by orchard\n\nOrchard: North | 2024: 12 t | 2025: 14 t\n\nSouth: replanted"
        "\n\nThe south orchard was replanted in 2025."
    )


def test_an_html_cells_inline_code_reads_as_written(tmp_path: Path) -> None:
    # Inline tags join their neighbours as the browser shows them, without a space before a
    # comma; a cell's paragraphs and lines stay apart.
    body = (
        "<table><tr><th>Name</th><th>Description</th></tr>"
        '<tr><td><code>on_bad_lines</code></td><td>One of <code>"error"</code>, '
        '<code>"warn"</code> or <code>"skip"</code>.</td></tr>'
        "<tr><td>header</td><td><p>Columns are named <code>col_0</code>, <code>col_1</code>.</p>"
        "<p>See below,<br>or above.</p></td></tr></table>"
    )
    assert _html_text(tmp_path, body) == (
        'Name: on_bad_lines | Description: One of "error", "warn" or "skip".\n\n'
        "Name: header | Description: Columns are named col_0, col_1. See below, or above."
    )


def test_an_ordered_list_keeps_its_numbers(tmp_path: Path) -> None:
    # "What is step 2?" needs the 2, as the reader sees it.
    body = (
        "<ol><li><!-- first -->Cut dead wood.</li><li>Thin the crown.<ol type='a'>"
        "<li>Keep five branches.</li><li>Keep the leader.</li></ol></li></ol>"
        "<ol start='4'><li><p>Paint the cuts.</p></li><li value='9'>Rest.</li></ol>"
        "<ol type='I'><li>Summer</li><li>Winter</li></ol>"
        "<ol reversed><li>Three</li><li>Two</li></ol><ul><li>Pears</li></ul>"
        "<ol type='i' start='999999999'><li>Far on</li></ol>"  # past Roman numerals
        # A law's points label themselves; a browser's counter before them is hidden by CSS.
        "<ol class='points'><li><span>(a)</span> lawfully;</li><li><span>(b)</span> fairly.</li>"
        "</ol><ol><li>2.1 Scope</li><li>2.2 Terms</li></ol>"
    )
    assert _html_text(tmp_path, body) == (
        "1. Cut dead wood.\n\n2. Thin the crown.\n\na. Keep five branches.\n\n"
        "b. Keep the leader.\n\n4. Paint the cuts.\n\n9. Rest.\n\nI. Summer\n\nII. Winter"
        "\n\n2. Three\n\n1. Two\n\n• Pears\n\n999999999. Far on"
        "\n\n(a) lawfully;\n\n(b) fairly.\n\n2.1 Scope\n\n2.2 Terms"
    )
    tight, loose = "1. Cut.\n2. Thin.\n\n", "3) Paint.\n\n4) Rest.\n"
    assert _loaded(tmp_path / "steps.md", tight + loose).text == (
        "1. Cut.\n\n2. Thin.\n\n3. Paint.\n\n4. Rest."
    )


def test_a_definition_list_reads_as_its_terms_each_with_its_definition(tmp_path: Path) -> None:
    # As a <ul>'s items, so "Raises" introduces them; definitions that hold paragraphs are an
    # outline (Sphinx's API entries) and keep their lines.
    body = (
        "<h2>Raises</h2><dl><dt><code>ParseError</code></dt>\n<dd>Raised when a row is long.</dd>"
        "<dt>Also:</dt><dd>OSError.</dd></dl>"
        "<dl><dt>read_table(source)</dt><dd><p>Read a file.</p></dd></dl>"
    )
    assert _html_text(tmp_path, body) == (
        "Raises\n\n• ParseError: Raised when a row is long.\n• Also: OSError.\n\n"
        "read_table(source)\n\nRead a file."
    )


_SAVED_PAGE = """
<a class="skip" href="#content">Jump to content</a>
<header role="banner"><b>Valley News</b><nav><ul><li><a href="/">Home</a></li>
<li><a href="/farming">Farming</a></li></ul></nav>
<form role="search"><input placeholder="Search"><button>Search</button></form></header>
<div class="consent" hidden><p>We use cookies.</p><button>Accept all</button></div>
<div class="layout"><aside><h2>Most read</h2><ol><li>Ten ways to prune a pear tree</li></ol>
</aside>
{main}
</div>
<footer role="contentinfo"><p>Copyright 2025 Valley News. All rights reserved.</p></footer>
"""
_STORY = """<article><header><h1>Frost takes 40 percent of valley blossom</h1>
<p>By Ana Ruiz, 4 March</p></header>
<p>A late frost on Friday took 40 percent of the blossom in the north orchard.</p>
<div style="display: none">Subscribe to read more</div>
<div aria-hidden="true">Advertisement</div></article>"""


@pytest.mark.parametrize("wrapper", ["<main id='content'>{}</main>", "<div role='main'>{}</div>"])
def test_a_saved_web_page_is_read_without_its_menus_banners_and_hidden_parts(
    tmp_path: Path, wrapper: str
) -> None:
    page = _SAVED_PAGE.format(main=wrapper.format(_STORY))
    # The page's title names the site too; its headline is the document's title.
    head = "<head><title>Frost takes 40 percent of valley blossom | Valley News</title></head>"
    doc = _loaded(tmp_path / "frost.html", f"<html>{head}<body>{page}</body></html>")
    assert (doc.title, doc.text) == (
        "Frost takes 40 percent of valley blossom",
        "Frost takes 40 percent of valley blossom\n\nBy Ana Ruiz, 4 March\n\n"
        "A late frost on Friday took 40 percent of the blossom in the north orchard.",
    )


def test_a_page_without_a_main_part_drops_only_its_menus_and_hidden_parts(
    tmp_path: Path,
) -> None:
    # Without <main>, the one <article> is the document; without either, or with two of a
    # size, the whole body is, and a plain <aside> may be the author's own.
    other = (
        "<article><h2>Pear trees need pruning this winter</h2>"
        "<p>Cut dead wood and thin the crown before the buds open.</p></article>"
    )
    for extra, expected in [
        ("", "Frost takes 40 percent"),
        (other, "Jump to content\n\nMost read"),
    ]:
        page = _SAVED_PAGE.format(main=_STORY + extra)
        text = _loaded(tmp_path / "frost.html", f"<html><body>{page}</body></html>").text
        assert text.startswith(expected)
        for chrome in ("Home", "Search", "cookies", "Subscribe", "Advertisement"):
            assert chrome not in text


@pytest.mark.parametrize(
    ("beside", "blurb"),
    [
        ("<aside>{}</aside>", "Growers were paid a third more for their fruit after the frost."),
        ("<div class='related'>{}</div>", "Read more."),
    ],
)
def test_a_page_is_read_from_its_story_not_the_teasers_beside_it(
    tmp_path: Path, beside: str, blurb: str
) -> None:
    # A teaser in a sidebar is no candidate, however long; elsewhere the story outweighs
    # them. A comment inside the story is the story's.
    teasers = "".join(
        f"<article class='card'><a href='/{topic}'>{topic} prices</a><p>{blurb}</p></article>"
        for topic in ("Apple", "Pear", "Plum")
    )
    comment = "<article class='comment'><p>Our pears froze too.</p></article></article>"
    story = _STORY.replace("</article>", comment)
    page = f"<div class='column'>{story}</div>{beside.format(teasers)}"
    text = _loaded(tmp_path / "frost.html", f"<html><body>{page}</body></html>").text
    assert text == (
        "Frost takes 40 percent of valley blossom\n\nBy Ana Ruiz, 4 March\n\n"
        "A late frost on Friday took 40 percent of the blossom in the north orchard.\n\n"
        "Our pears froze too."
    )


_SITE_PAGE = """<div id="cookie-consent" class="cookie-banner"><p>We use cookies to analyse
our traffic.</p><button>Accept all</button></div>
<header class="site-header"><a href="/">Orchard Guide</a> <a href="/login">Sign in</a></header>
<div class="document"><section><header><h2>Pruning</h2><p>By Ana Ruiz</p></header>
<p>Prune pear trees in late winter.</p><footer>Updated 4 March</footer>
<div class="share-bar">Share this: <a href="#">X</a> <a href="#">Email</a></div>
<div class="post-tags">Tags: <a href="#">pears</a>, <a href="#">winter</a></div></section>
<section id="cookies"><h2>Cookies</h2><p>The shop's cookies keep your basket.</p></section>
<section id="social-fruit"><h2>Sharing fruit</h2>
<p class="social">Share your pears with <a href="#">the club</a> or <a href="#">the school</a>
each autumn.</p></section>
<aside><p>Tip: sharpen your shears first.</p></aside></div>
<footer class="site-footer"><p>Copyright 2025 Orchard Guide.</p></footer>
<div role="dialog"><p>This site uses cookies.</p><span role="button">OK</span></div>"""


def test_a_pages_own_header_footer_and_cookie_banner_are_not_its_text(tmp_path: Path) -> None:
    # A <header> or <footer> outside any article or section is the site's banner or footer;
    # a section's are its own. A section about cookies is kept: it asks for no consent. So is
    # one about sharing: it is no block of links to share the page with.
    text = _loaded(tmp_path / "guide.html", f"<html><body>{_SITE_PAGE}</body></html>").text
    assert text == (
        "Pruning\n\nBy Ana Ruiz\n\nPrune pear trees in late winter.\n\nUpdated 4 March\n\n"
        "Cookies\n\nThe shop's cookies keep your basket.\n\nSharing fruit\n\n"
        "Share your pears with the club or the school each autumn.\n\nTip: sharpen your shears "
        "first."
    )


def test_a_simple_pages_header_holding_its_headline_is_kept(tmp_path: Path) -> None:
    page = (
        "<html><body><header><h1>Pruning pears</h1><p>By Ana Ruiz</p></header>"
        "<p>Prune pear trees in late winter.</p><footer>© Orchard Club</footer></body></html>"
    )
    text = _loaded(tmp_path / "pruning.html", page).text
    assert text == "Pruning pears\n\nBy Ana Ruiz\n\nPrune pear trees in late winter."


def test_an_unmarked_html_header_row_over_a_column_of_figures_names_it(tmp_path: Path) -> None:
    rows = [("Plan", "Price"), ("Free", "0 euros"), ("Pro", "8 euros")]
    table = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
    text = _html_text(tmp_path, f"<table>{table}</table>")
    assert text == "Plan: Free | Price: 0 euros\n\nPlan: Pro | Price: 8 euros"


def test_headings_of_a_level_the_document_repeats_read_with_the_heading_above(
    tmp_path: Path,
) -> None:
    changelog = (
        "# Changelog\n\n## 2.4.0 - 2025-05-20\n\n### Added\n\n- Prune.\n\n### Removed\n\n"
        "- Python 3.8.\n\n## 2.3.0 - 2025-04-01\n\n### Added\n\n- Restore.\n\n"
        "## Credits\n\nThanks to all.\n"
    )
    assert _loaded(tmp_path / "CHANGELOG.md", changelog).text == (
        "Changelog\n\n2.4.0 - 2025-05-20\n\nAdded (2.4.0 - 2025-05-20)\n\n• Prune.\n\n"
        "Removed (2.4.0 - 2025-05-20)\n\n• Python 3.8.\n\n2.3.0 - 2025-04-01\n\n"
        "Added (2.3.0 - 2025-04-01)\n\n• Restore.\n\nCredits\n\nThanks to all."
    )
    # Headings no level of which repeats read as written.
    guide = "# Guide\n\n## Setup\n\n### Windows\n\nRun it.\n\n## Usage\n\n### Flags\n\nUse -v.\n"
    assert "(" not in _loaded(tmp_path / "guide.md", guide).text


@pytest.mark.parametrize("name", ["guide.html", "guide.md"])
def test_a_fragment_or_a_markdown_note_keeps_its_header_and_footer(
    tmp_path: Path, name: str
) -> None:
    # No page around them: their <header> and <footer> are the author's.
    fragment = "<header><h1>Pruning</h1></header>\n\n<p>Cut in winter.</p>\n\n<footer>Ana</footer>"
    assert _loaded(tmp_path / name, fragment).text == "Pruning\n\nCut in winter.\n\nAna"


def _loaded(path: Path, text: str) -> LoadedDocument:
    path.write_text(text, encoding="utf-8")
    return load_document(path)


def _docx_text(document: DocxDocument, path: Path) -> str:
    document.save(str(path))
    return load_document(path).text


def _html_text(tmp_path: Path, body: str) -> str:
    return _loaded(tmp_path / "page.html", f"<html><body>{body}</body></html>").text


def test_pdf_pages_have_offsets(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "report.pdf", ["Apples grow on trees.", "Pears are sweet."])
    doc = load_document(path)
    assert [p.page for p in doc.pages] == [1, 2]
    for page, expected in zip(doc.pages, ["Apples", "Pears"], strict=True):
        assert doc.text[page.start : page.end].startswith(expected)


def test_pdf_running_headers_footers_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    bodies = [
        "Apples grow on trees in the north of the valley.",
        "Pears are sweet and ripen late in the season.",
        "Plums are sour until the first frost of the year.",
    ]
    pages = [
        f"Orchard Report 2025\nConfidential\n{body}\nPage {number} of 3"
        for number, body in enumerate(bodies, start=1)
    ]
    doc = load_document(make_pdf(tmp_path / "orchard.pdf", pages))
    for furniture in ("Orchard Report", "Confidential", "Page", "of 3"):
        assert furniture not in doc.text
    assert [doc.text[p.start : p.end] for p in doc.pages] == bodies


def _unplaced(pages: list[str]) -> list[list[Line]]:
    """Pages whose lines pypdf gave no heights: read in order, top to bottom."""
    return [[Line(line) for line in page.split("\n")] for page in pages]


def test_page_furniture_is_only_what_recurs_at_page_edges() -> None:
    pages = [
        "- 7 -\nRevenue rose 4 percent.\nNote: see the annex.\nApples.\nPears.",
        "- 8 -\nRevenue rose 9 percent.\nNote: see the annex.\nPlums.\nFigs.",
    ]
    # "- 7 -", "- 8 -" count the pages: dropped. A line that recurs in the middle of pages, a
    # line whose number does not count pages, and a line at the edge of one page only: kept.
    assert PageFurniture.find(_unplaced(pages)).strip(_unplaced(pages)) == [
        "Revenue rose 4 percent.\nNote: see the annex.\nApples.\nPears.",
        "Revenue rose 9 percent.\nNote: see the annex.\nPlums.\nFigs.",
    ]
    # A single page has nothing to recur.
    single = _unplaced(["Page 1\nText."])
    assert PageFurniture.find(single).strip(single) == ["Page 1\nText."]


def test_a_header_and_footer_drawn_before_the_body_are_dropped_and_the_title_page_kept(
    tmp_path: Path,
) -> None:
    # A report's page callback draws its header and footer, two strings each, before the
    # body, so pypdf reads all four first; its title page has no header but prints the same
    # words, lower down, as its title.
    title_page = [(72, 600, "Orchard Co-operative"), (72, 570, "Annual Report 2025")]
    bodies = [
        ["Apples grow on trees in the north.", "They ripen in the autumn."],
        ["Pears are sweet and ripen late.", "They keep until the spring."],
        ["Plums are sour until the frost.", "They make good jam."],
    ]
    pages = [title_page] + [
        [
            (72, 800, "Orchard Co-operative"),
            (450, 800, "Annual Report 2025"),
            (72, 30, "Confidential - for members only"),
            (450, 30, f"Page {number} of 4"),
        ]
        + [(72, 700 - 14 * row, line) for row, line in enumerate(body)]
        for number, body in enumerate(bodies, start=2)
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "report.pdf", pages))
    texts = [doc.text[p.start : p.end] for p in doc.pages]
    assert texts == ["Orchard Co-operative\nAnnual Report 2025"] + [
        "\n".join(body) for body in bodies
    ]
    assert doc.title == "Orchard Co-operative"


def test_a_pdf_list_s_bullets_read_as_the_list_bullet(tmp_path: Path) -> None:
    # reportlab draws a list's bullet apart from its item, so pypdf reads "•" as "\x7f" on a
    # line of its own; a glyph Helvetica lacks ("▪") reads as "■".
    page = [
        (72, 720, "Fruit we grow:"),
        (72, 706, "•"),
        (90, 706, "Apples"),
        (72, 692, "–"),
        (90, 692, "Pears"),
        (72, 678, "▪"),
        (90, 678, "Plums"),
        (72, 664, "• Figs"),
        # A line that opens with a missing glyph may open with any character.
        (72, 650, "⅓ of them are sold."),
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "fruit.pdf", [page]))
    assert doc.text == "Fruit we grow:\n• Apples\n• Pears\n• Plums\n• Figs\n■ of them are sold."


def _table_row(y: int, cells: tuple[str, ...], width: int) -> list[tuple[float, float, str]]:
    """A drawn table's row: its cells `width` points apart, an empty one not drawn."""
    return [(72 + width * column, y, cell) for column, cell in enumerate(cells) if cell]


def test_a_pdf_tables_cells_read_a_row_a_line_under_their_columns_names(tmp_path: Path) -> None:
    # pypdf reads each cell of a drawn table on a line of its own.
    def row(y: int, *cells: str) -> list[tuple[float, float, str]]:
        return _table_row(y, cells, 110)

    page = [
        (72, 760, "Table 1 shows each site."),
        *row(740, "Site", "Forecast (MWh)", "Actual (MWh)"),
        *row(726, "Church Lane", "860", "871"),
        *row(712, "Millbrook wind", "1,350", "1,180"),
        (72, 690, "Table 2 has a column of labels under no heading."),
        *row(670, "", "2022", "2023"),
        *row(656, "Income", "1,006", "1,214"),
        *row(642, "Surplus", "233", "384"),
        *row(628, "Return", "3.5%", "4.5%"),
        # A list's numbers are printed beside their items: no table.
        *row(600, "1", "Turn off the water."),
        *row(586, "2", "Fit the adapter."),
        *row(572, "3", "Fix the bracket."),
        # Words beside words, with no figures to head: no header.
        *row(540, "Apples", "red"),
        *row(526, "Pears", "green"),
        *row(512, "Plums", "purple"),
        # But a table's first column may number its rows.
        (72, 494, "Table 3 bills the work."),
        *row(480, "Pos.", "Item", "Total"),
        *row(466, "1", "Design", "2,400.00"),
        *row(452, "2", "Hosting", "240.00"),
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "report.pdf", [page]))
    assert doc.text == (
        "Table 1 shows each site.\n\n"
        "Site: Church Lane | Forecast (MWh): 860 | Actual (MWh): 871\n\n"
        "Site: Millbrook wind | Forecast (MWh): 1,350 | Actual (MWh): 1,180\n\n"
        "Table 2 has a column of labels under no heading.\n\n"
        "Income | 2022: 1,006 | 2023: 1,214\n\nSurplus | 2022: 233 | 2023: 384\n\n"
        "Return | 2022: 3.5% | 2023: 4.5%\n\n"
        "1. Turn off the water.\n2. Fit the adapter.\n3. Fix the bracket.\n\n"
        "Apples | red\n\nPears | green\n\nPlums | purple\n\nTable 3 bills the work.\n\n"
        "Pos.: 1 | Item: Design | Total: 2,400.00\n\nPos.: 2 | Item: Hosting | Total: 240.00"
    )
    # A paragraph a row, as a .docx's table reads: each row is a sentence of its own.
    assert "Site: Church Lane | Forecast (MWh): 860 | Actual (MWh): 871" in [
        doc.text[s.start : s.end] for s in split_sentences(doc.text)
    ]


def test_a_pdf_tables_sections_keep_its_columns_names(tmp_path: Path) -> None:
    # A report's KPI table labels its sections ("Financial") between the years over its
    # columns and its rows: "Revenue | £41.2m | £38.0m" alone says of no year.
    def row(y: int, *cells: str) -> list[tuple[float, float, str]]:
        return _table_row(y, cells, 150)

    page = [
        (72, 760, "Key performance indicators"),
        *row(746, "", "2024", "2023"),
        (72, 732, "Financial"),
        *row(718, "Revenue", "£41.2m", "£38.0m"),
        *row(704, "Operating profit", "£5.1m", "£4.3m"),
        (72, 690, "Operational"),
        *row(676, "Stores", "212", "198"),
        *row(662, "Staff", "4,100", "3,950"),
        (72, 640, "Both years were audited."),
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "results.pdf", [page]))
    assert doc.text == (
        "Key performance indicators\n\nFinancial\n\n"
        "Revenue | 2024: £41.2m | 2023: £38.0m\n\n"
        "Operating profit | 2024: £5.1m | 2023: £4.3m\n\nOperational\n\n"
        "Stores | 2024: 212 | 2023: 198\n\nStaff | 2024: 4,100 | 2023: 3,950\n\n"
        "Both years were audited."
    )


def test_a_pdf_list_s_numbers_read_with_their_items(tmp_path: Path) -> None:
    # reportlab draws a numbered item's number apart from its text, so pypdf reads it on a
    # line of its own; the list runs on over the page break.
    def item(y: int, number: str, *lines: str) -> list[tuple[float, float, str]]:
        return [(72, y, number)] + [(90, y - 14 * row, line) for row, line in enumerate(lines)]

    first = [
        (72, 720, "To fit the filter:"),
        *item(706, "1", "Turn off the water."),
        *item(692, "2.", "Fit the adapter to the", "valve."),
        *item(664, "3", "Fix the bracket."),
    ]
    second = [
        *item(720, "4", "Turn the water on."),
        # Not a list's numbers: one that counts nothing, and a table's cells.
        (72, 692, "Chapter"),
        (72, 678, "7"),
        (72, 664, "Results"),
        (72, 650, "Weight"),
        (72, 636, "2"),
        (72, 622, "kg"),
        (72, 608, "Height"),
        (72, 594, "3"),
        (72, 580, "m"),
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "filter.pdf", [first, second]))
    assert [doc.text[p.start : p.end] for p in doc.pages] == [
        "To fit the filter:\n1. Turn off the water.\n2. Fit the adapter to the\nvalve.\n"
        "3. Fix the bracket.",
        "4. Turn the water on.\nChapter\n7\nResults\nWeight\n2\nkg\nHeight\n3\nm",
    ]


@pytest.mark.parametrize("metadata_title", [None, "Microsoft Word - orchard3.docx", "Untitled"])
def test_a_pdf_without_a_real_title_takes_its_running_header(
    tmp_path: Path, metadata_title: str | None
) -> None:
    # The title line of page 1 is the running header, so it goes with the furniture.
    pages = [
        f"Orchard Report 2025\n{body}\nPage {number} of 2"
        for number, body in enumerate(["Apples grow on trees.", "Pears are sweet."], start=1)
    ]
    path = make_pdf(tmp_path / "orchard.pdf", pages, title=metadata_title)
    assert load_document(path).title == "Orchard Report 2025"
    # Without a running header, the first line; a real metadata title is kept.
    path = make_pdf(tmp_path / "plain.pdf", ["Apples grow on trees."], title=metadata_title)
    assert load_document(path).title == "Apples grow on trees."
    path = make_pdf(tmp_path / "titled.pdf", pages, title="Fruit of the Valley")
    assert load_document(path).title == "Fruit of the Valley"


@pytest.mark.parametrize(
    ("html_title", "expected"),
    [
        ("Untitled Document", "Harvest Notes"),
        ("report_final.docx", "Harvest Notes"),
        ("(anonymous)", "Harvest Notes"),  # what reportlab writes when given no title
        ("", "Harvest Notes"),
        ("Title IX and the Draft", "Title IX and the Draft"),
        # A site's name beside the headline goes; a subtitle after a colon stays.
        ("Harvest Notes | Valley Orchards", "Harvest Notes"),
        ("Valley Orchards - Harvest Notes", "Harvest Notes"),
        ("Harvest Notes: Autumn 2024", "Harvest Notes: Autumn 2024"),
    ],
)
def test_a_placeholder_title_is_passed_over(tmp_path: Path, html_title: str, expected: str) -> None:
    path = tmp_path / "notes.html"
    path.write_text(
        f"<html><head><title>{html_title}</title></head>"
        "<body><h1>Harvest Notes</h1><p>Apples ripen in autumn.</p></body></html>",
        encoding="utf-8",
    )
    assert load_document(path).title == expected


def test_a_text_files_title_is_its_first_line_that_is_not_a_marking(tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_text("CONFIDENTIAL\n\nHarvest Notes\n\nApples ripen in autumn.", encoding="utf-8")
    assert load_document(path).title == "Harvest Notes"
    # A file that opens with its text has no title in it: its name is its title.
    path.write_text("Minutes of meeting 17. The committee approved item 4.\n", encoding="utf-8")
    assert load_document(path).title == "memo"
    path.write_text("Dr. Hale's notes\n\nApples ripen in autumn.", encoding="utf-8")
    assert load_document(path).title == "Dr. Hale's notes"
    # A news export's date field goes before the headline: the headline says which it is.
    for first_line in (
        "date 2026-01-05 — Harvest opens early",
        "Published: 5 January 2026 | Harvest opens early",
        "Posted Jan 5, 2026 - Harvest opens early",
    ):
        path.write_text(f"{first_line}\n\nApples ripen in autumn.", encoding="utf-8")
        assert load_document(path).title == "Harvest opens early", first_line
    # A date on a line of its own is not the title either: the headline comes after it.
    for first_line in ("date 2026-01-05", "Published: 5 January 2026", "January 5, 2026"):
        path.write_text(f"{first_line}\nHarvest opens early\n\nApples ripen.", encoding="utf-8")
        assert load_document(path).title == "Harvest opens early", first_line
    long = "Harvest opens early " + "in the valley orchards " * 6
    path.write_text(f"date 2026-01-05 — {long}\n\nApples ripen in autumn.", encoding="utf-8")
    title = load_document(path).title
    assert len(title) <= 120 and long.startswith(f"{title} ")  # cut at a word
    assert title.endswith(" in the")
    path.write_text("Date of harvest\n\nApples ripen in autumn.", encoding="utf-8")
    assert load_document(path).title == "Date of harvest"


def test_an_email_thread_reads_without_its_quote_marks_under_its_subject(tmp_path: Path) -> None:
    thread = (
        "From: Hannah <hannah@example.com>\nTo: Marcus <marcus@example.com>\n"
        "Subject: RE: Fw: Q3 offsite\n\nWe are booking Seehof Lodge.\n\n"
        "> From: Marcus <marcus@example.com>\n> Subject: Q3 offsite\n>\n"
        "> Seehof costs EUR 13,500.\n>> Budget is roughly\n> > EUR 14k.\n"
    )
    doc = _loaded(tmp_path / "offsite.txt", thread)
    assert doc.title == "Q3 offsite"
    assert "\nSeehof costs EUR 13,500.\nBudget is roughly\nEUR 14k.\n" in doc.text
    assert not any(line.startswith(">") for line in doc.text.splitlines())
    # One ">" in a note is the note's own text, and a note is not an email.
    doc = _loaded(tmp_path / "note.txt", "Subject: Q3 offsite\n\n> 5 people came.")
    assert doc.title == "Subject: Q3 offsite" and "> 5 people came." in doc.text


def test_docx_paragraphs_and_title(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "memo.docx", "Quarterly Memo", ["Revenue rose by 12 percent."])
    doc = load_document(path)
    assert doc.title == "Quarterly Memo"
    assert "Revenue rose by 12 percent." in doc.text
    # Many tools write a .docx without list definitions.
    document = docx.Document(str(path))
    (numbering,) = [r for r in document.part.rels.values() if r.reltype == RT.NUMBERING]
    document.part.drop_rel(numbering.rId)
    assert _docx_text(document, path) == "Quarterly Memo\n\nRevenue rose by 12 percent."


def test_docx_tables_stay_in_place_with_merged_cells_read_once(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Harvest by orchard", level=2)
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows,
        [("Orchard", "2024", "2025"), ("North", "12 t", "14 t"), ("Closed", "", "")],
        strict=True,
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    closed = table.rows[2].cells
    closed[0].merge(closed[2])  # "Closed" spans the row
    document.add_paragraph("The south orchard was replanted in 2025.")
    assert _docx_text(document, tmp_path / "harvest.docx") == (
        "Harvest by orchard\n\nOrchard | 2024 | 2025\n\nNorth | 12 t | 14 t\n\nClosed"
        "\n\nThe south orchard was replanted in 2025."
    )


@pytest.mark.parametrize(
    "marked_by", ["bold runs", "table style", "Word 2007 table style", "repeat as header row"]
)
def test_docx_table_values_under_a_header_row_carry_its_names(
    tmp_path: Path, marked_by: str
) -> None:
    document = docx.Document()
    style = "Light Grid Accent 1" if marked_by.endswith("table style") else "Table Grid"
    table = document.add_table(rows=3, cols=3, style=style)
    rows = [("", "Harvest 2024", "Manager"), ("North", "12 t", "Jane Doe"), ("South", "9 t", "")]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    if marked_by == "bold runs":
        for cell in table.rows[0].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True
    elif marked_by == "Word 2007 table style":  # its style options are bits of w:val only
        (look,) = table._tbl.xpath("w:tblPr/w:tblLook")
        for name in ("firstRow", "lastRow", "firstColumn", "lastColumn", "noHBand", "noVBand"):
            del look.attrib[qn(f"w:{name}")]
    elif marked_by == "repeat as header row":
        table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    assert _docx_text(document, tmp_path / "harvest.docx") == (
        "North | Harvest 2024: 12 t | Manager: Jane Doe\n\nSouth | Harvest 2024: 9 t"
    )


def test_an_unmarked_docx_header_row_over_a_column_of_figures_names_it(tmp_path: Path) -> None:
    document = docx.Document()
    for rows in (
        [("Team", "Phone", "Hours"), ("Payroll", "ext. 4250", "Tue"), ("IT", "ext. 4400", "24/7")],
        # Labels and their values: the first row is one of them.
        [("Name", "Alice Smith"), ("Phone", "555 0100"), ("Email", "alice@example.com")],
    ):
        table = document.add_table(rows=3, cols=len(rows[0]), style="Table Grid")
        for row, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    assert _docx_text(document, tmp_path / "contacts.docx") == (
        "Team: Payroll | Phone: ext. 4250 | Hours: Tue\n\nTeam: IT | Phone: ext. 4400 | "
        "Hours: 24/7\n\nName | Alice Smith\n\nPhone | 555 0100\n\nEmail | alice@example.com"
    )


def test_docx_headings_of_a_level_it_repeats_read_with_the_heading_above(
    tmp_path: Path,
) -> None:
    document = docx.Document()
    document.add_heading("Travel", level=1)
    document.add_heading("Scope", level=2)
    document.add_paragraph("All staff.")
    document.add_heading("Expenses", level=1)
    document.add_heading("Scope", level=2)
    document.add_paragraph("Meals and hotels.")
    document.add_heading("Limits", level=2)
    assert _docx_text(document, tmp_path / "policy.docx") == (
        "Travel\n\nScope (Travel)\n\nAll staff.\n\nExpenses\n\nScope (Expenses)\n\n"
        "Meals and hotels.\n\nLimits (Expenses)"
    )


def test_docx_table_styles_based_on_each_other_are_read(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2, style="Light Grid Accent 1")
    for row, values in zip(
        table.rows, [("Orchard", "Manager"), ("North", "Jane Doe")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    first, second = document.styles["Light Grid Accent 1"], document.styles["Light Grid Accent 2"]
    for style in (first, second):  # neither says how its first row looks: ask the base style
        for conditional in style.element.xpath("w:tblStylePr"):
            style.element.remove(conditional)
    first.base_style, second.base_style = second, first
    assert _docx_text(document, tmp_path / "cycle.docx") == "Orchard | Manager\n\nNorth | Jane Doe"


def test_docx_list_and_clause_numbers_are_read(tmp_path: Path) -> None:
    """Word keeps a list's numbers as rules; "What does clause 2.1 say?" needs them."""
    document = docx.Document()
    w = nsdecls("w")
    levels = [("decimal", "%1."), ("decimal", "%1.%2."), ("lowerLetter", "(%3)")]
    numbering = document.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f"<w:abstractNum {w} w:abstractNumId='90'>"
            + "".join(
                f"<w:lvl w:ilvl='{level}'><w:start w:val='1'/><w:numFmt w:val='{style}'/>"
                f"<w:lvlText w:val='{text}'/></w:lvl>"
                for level, (style, text) in enumerate(levels)
            )
            + "</w:abstractNum>"
        ),
    )
    numbering.append(parse_xml(f"<w:num {w} w:numId='90'><w:abstractNumId w:val='90'/></w:num>"))
    # "Restart numbering" in Word makes a new instance that starts again, and pandoc makes one
    # for each nested list: it starts each level again where it first comes to it.
    restart = "".join(
        f"<w:lvlOverride w:ilvl='{level}'><w:startOverride w:val='1'/></w:lvlOverride>"
        for level in range(len(levels))
    )
    for instance in (91, 92):
        numbering.append(
            parse_xml(
                f"<w:num {w} w:numId='{instance}'><w:abstractNumId w:val='90'/>{restart}</w:num>"
            )
        )

    def add(text: str, style: str | None = None, num: int | None = None, level: int = 0) -> None:
        paragraph = document.add_paragraph(text, style=style)
        if num is not None:
            paragraph._p.get_or_add_pPr().append(
                parse_xml(
                    f"<w:numPr {w}><w:ilvl w:val='{level}'/><w:numId w:val='{num}'/></w:numPr>"
                )
            )

    add("Definitions", num=90)
    add("The Buyer is Valley Orchards.", num=92, level=1)
    add("The Seller is Ana Ruiz.", num=92, level=1)
    add("Delivery", num=90)
    add("Apples arrive by 4 March,", num=90, level=1)
    add("in crates.", num=90, level=2)
    add("Wash the crates.", style="List Number")  # numbered by its style
    add("Dry them.", style="List Number")
    add("Pears", style="List Bullet")  # shown with a bullet, as Word shows it
    add("A note between the steps.", style="List Number", num=0)  # numbering taken off
    add("Schedule", num=91)
    assert _docx_text(document, tmp_path / "contract.docx") == (
        "1. Definitions\n\n1.1. The Buyer is Valley Orchards.\n\n1.2. The Seller is Ana Ruiz."
        "\n\n2. Delivery\n\n2.1. Apples arrive by 4 March,\n\n(a) in crates.\n\n"
        "1. Wash the crates.\n\n2. Dry them.\n\n• Pears\n\nA note between the steps.\n\n"
        "1. Schedule"
    )


def test_docx_text_in_tracked_changes_content_controls_text_boxes_and_notes_is_read(
    tmp_path: Path,
) -> None:
    """python-docx's own `.text` reads only a paragraph's direct runs and hyperlinks."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    box = (
        "<w:txbxContent><w:p><w:r><w:t>Frost took 40 percent of the blossom.</w:t></w:r></w:p>"
        "</w:txbxContent>"
    )
    body = [
        # A tracked deletion and a moved-away sentence are gone; a tracked insertion is read.
        f"<w:p {w}><w:r><w:t xml:space='preserve'>The inspection was </w:t></w:r>"
        "<w:del><w:r><w:delText>not </w:delText></w:r></w:del>"
        "<w:r><w:t xml:space='preserve'>carried out </w:t></w:r>"
        "<w:ins><w:r><w:t xml:space='preserve'>on 4 March </w:t></w:r></w:ins>"
        "<w:r><w:t>by Ana Ruiz.</w:t></w:r>"
        "<w:r><w:footnoteReference w:id='1'/></w:r>"
        "<w:moveFrom><w:r><w:t xml:space='preserve'> Samples were sent away.</w:t></w:r>"
        "</w:moveFrom></w:p>",
        f"<w:p {w}><w:r><w:t xml:space='preserve'>Prepared for </w:t></w:r>"
        "<w:sdt><w:sdtPr><w:alias w:val='Client'/></w:sdtPr><w:sdtContent>"
        "<w:r><w:t>Valley Orchards</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t>.</w:t></w:r>"
        # An unfilled form field shows its placeholder.
        "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r>"
        "<w:t>Click or tap here to enter text.</w:t></w:r></w:sdtContent></w:sdt></w:p>",
        # A table's cells are read the same way, a table in a cell too.
        f"<w:tbl {w}><w:tr><w:tc><w:p><w:ins><w:r><w:t>Frost</w:t></w:r></w:ins></w:p></w:tc>"
        "<w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>April</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p/></w:tc></w:tr></w:tbl>",
        # A pronunciation guide (ruby) is set above its word, not read beside it.
        f"<w:p {w}><w:r><w:t xml:space='preserve'>Office: </w:t></w:r><w:r><w:ruby><w:rubyPr/>"
        "<w:rt><w:r><w:t>とうきょう</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>東京</w:t></w:r>"
        "</w:rubyBase></w:ruby></w:r></w:p>",
        f"<w:sdt {w}><w:sdtPr><w:alias w:val='Reference'/></w:sdtPr><w:sdtContent>"
        "<w:p><w:r><w:t>Report number VO-2025-17.</w:t></w:r></w:p></w:sdtContent></w:sdt>",
        # Word writes a text box twice: as a drawing and as a VML fallback for older readers.
        f"<w:p {w} {mc}><w:r><w:t>See the box.</w:t></w:r><w:r><mc:AlternateContent>"
        f"<mc:Choice Requires='wps'><w:drawing>{box}</w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict>{box}</w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>",
        f"<w:sdt {w}><w:sdtPr><w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Site visit</w:t></w:r>"
        "<w:r><w:tab/><w:t>1</w:t></w:r></w:p></w:sdtContent></w:sdt>",
    ]
    document = docx.Document()
    document.add_heading("Site visit", level=1)
    for xml in body:
        document.element.body.sectPr.addprevious(parse_xml(xml))
    notes = (
        f"<w:footnotes {w}><w:footnote w:type='separator' w:id='-1'><w:p><w:r><w:separator/>"
        "</w:r></w:p></w:footnote><w:footnote w:id='1'><w:p><w:r><w:footnoteRef/></w:r>"
        "<w:r><w:t xml:space='preserve'> Measured by the county extension office.</w:t></w:r>"
        "</w:p></w:footnote></w:footnotes>"
    )
    part = Part(
        PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, notes.encode(), document.part.package
    )
    document.part.relate_to(part, RT.FOOTNOTES)
    assert _docx_text(document, tmp_path / "visit.docx") == (
        "Site visit\n\nThe inspection was carried out on 4 March by Ana Ruiz.\n\n"
        "Prepared for Valley Orchards.\n\nFrost | April\n\nOffice: 東京\n\n"
        "Report number VO-2025-17.\n\nSee the box.\n\nFrost took 40 percent of the blossom.\n\n"
        "Measured by the county extension office."
    )


@pytest.mark.parametrize(
    ("name", "content", "error", "reason"),
    [
        ("empty.txt", b"   \n", EmptyDocumentError, "empty file"),
        ("binary.txt", b"\x00\x01\x02ELF\x00" * 50, CorruptDocumentError, "binary data"),
        ("broken.docx", b"this is not a zip", CorruptDocumentError, "not a valid .docx"),
        ("data.xyz", b"anything", UnsupportedFileError, "unsupported file type '.xyz'"),
    ],
)
def test_bad_files_name_file_and_reason(
    tmp_path: Path, name: str, content: bytes, error: type, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as info:
        load_document(path)
    assert str(path) in str(info.value)
    assert reason in str(info.value)


def test_corrupt_pdf(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", ["Some text."])
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(good.read_bytes()[:200])
    with pytest.raises((CorruptDocumentError, EmptyDocumentError)) as info:
        load_document(broken)
    assert "broken.pdf" in str(info.value)


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", ["Top secret."], password="hunter2")
    with pytest.raises(EncryptedDocumentError, match="encrypted PDF$"):
        load_document(path)
    outcome = ingest_file(path, store=None)  # type: ignore[arg-type]  # fails before the store
    assert outcome.line() == "secret.pdf: encrypted PDF, skipped"


def test_iter_files_recurses_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.txt").write_text("x")
    (tmp_path / "two.md").write_text("x")
    assert [p.name for p in iter_files([tmp_path])] == ["one.txt", "two.md"]


def test_a_saved_encyclopedia_page_loses_its_note_marks_and_edit_links(tmp_path: Path) -> None:
    # Left in, "[5]" reads as the answer's own citation marker, and ".[5] She" ends no sentence.
    page = """<html><body><main><h2>History<span class="mw-editsection">[<a href="#">edit</a>]
</span></h2><p>Nordvik was founded in 1952.<sup class="reference"><a href="#c5">[5]</a></sup>
She led it<sup>[a]</sup> for years.</p></main></body></html>"""
    text = _loaded(tmp_path / "nordvik.html", page).text
    assert text == "History\n\nNordvik was founded in 1952. She led it for years."
    # Copied as text, the marks come with it; an index in code is no mark.
    path = tmp_path / "nordvik.txt"
    path.write_text("It was founded in 1952.[5][6] She led it,[7] she said.\nUse arr[0] first.\n")
    assert load_document(path).text == (
        "It was founded in 1952. She led it, she said.\nUse arr[0] first.\n"
    )


def test_a_shop_pages_struck_old_price_goes_and_source_lines_are_not_its_lines(
    tmp_path: Path,
) -> None:
    page = """<html><body><main><h1>Acme Kettle</h1><div class="price">
  <s>$59.99</s>
  <span class="now">$39.99</span>
</div><p>Boils a litre
in two minutes.</p><pre>line one
line two</pre></main></body></html>"""
    text = _loaded(tmp_path / "kettle.html", page).text
    assert (
        text == "Acme Kettle\n\n$39.99\n\nBoils a litre in two minutes.\n\n`line one`\n`line two`"
    )


def test_a_pdf_tables_empty_and_wrapped_cells_keep_its_rows_whole(tmp_path: Path) -> None:
    # pypdf reads a row with an empty cell, and a cell's wrapped lines, as rows of fewer cells:
    # the table broke in two, and its cells were named by the wrong columns ("30 min: £48").
    # A table is drawn a cell at a time; a cell wraps under its first line (aligned to the
    # row's top) or over its last (to the row's foot, as reportlab does).
    columns = (72, 182, 292, 402)
    page = [
        (72, 760, "Fees from 1 January."),
        *zip(columns, [740] * 4, ["Service", "Unit", "Price", "Notes"], strict=True),
        *zip(
            columns,
            [722] * 4,
            ["Initial assessment", "60 min", "£75", "Includes a written"],
            strict=True,
        ),
        (402, 710, "plan for your GP"),
        *zip(columns[:3], [692] * 3, ["Follow-up", "30 min", "£48"], strict=True),
        (72, 674, "Extended follow-up for"),
        *zip(columns, [662] * 4, ["two areas", "45 min", "£62", "Recommended"], strict=True),
        *zip(
            columns, [644] * 4, ["Sports massage", "45 min", "£55", "With therapist"], strict=True
        ),
        (72, 610, "Prices include VAT."),
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "fees.pdf", [page]))
    assert doc.text == (
        "Fees from 1 January.\n\n"
        "Service: Initial assessment | Unit: 60 min | Price: £75 | Notes: Includes a written "
        "plan for your GP\n\n"
        "Service: Follow-up | Unit: 30 min | Price: £48\n\n"
        "Service: Extended follow-up for two areas | Unit: 45 min | Price: £62 | Notes: "
        "Recommended\n\n"
        "Service: Sports massage | Unit: 45 min | Price: £55 | Notes: With therapist\n\n"
        "Prices include VAT."
    )


def test_a_pdf_word_hyphenated_at_a_lines_end_is_whole_where_the_document_has_it_whole(
    tmp_path: Path,
) -> None:
    # Justified text breaks long words at a line's end; broken, a word matches no question.
    page = [
        (72, 760, "The national infra-"),
        (72, 746, "structure plan and an all-"),
        (72, 732, "weather friendship. Infrastructure"),
        (72, 718, "comes first, with new meas-"),
        (72, 704, "ures, and measures that work-"),
        (72, 690, "ers trust."),
    ]
    text = load_document(make_drawn_pdf(tmp_path / "report.pdf", [page])).text
    assert text == (
        "The national infrastructure\nplan and an all-\nweather friendship. Infrastructure\n"
        "comes first, with new measures,\nand measures that work-\ners trust."
    )


def test_a_pdf_forms_labels_read_with_their_values(tmp_path: Path) -> None:
    # A form prints each label beside its value, rows of two fields beside rows of one, which
    # makes no table; each cell alone would be a "sentence" that says nothing.
    def row(y: int, *cells: str) -> list[tuple[float, float, str]]:
        return [(72 + 90 * column, y, cell) for column, cell in enumerate(cells)]

    page = [
        (72, 760, "Incident report"),
        *row(740, "Date of incident:", "04/06/2024", "Time:", "14:35"),
        *row(726, "Name:", "Daniel Okafor"),
        *row(712, "Type of incident:", "X", "Injury", "Near miss"),
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "incident.pdf", [page]))
    sentences = [doc.text[s.start : s.end] for s in split_sentences(doc.text)]
    assert sentences == [
        "Incident report",
        "Date of incident: 04/06/2024 | Time: 14:35",
        "Name: Daniel Okafor",
        "Type of incident: ☒ Injury, Near miss",
    ]


def test_a_slide_decks_points_and_titles_are_sentences_of_their_own(tmp_path: Path) -> None:
    # A deck prints its points without full stops, and draws their bullets as shapes: read as
    # a page of prose, a slide would run on as one sentence, into the next slide's title.
    network = [
        "Opened 2 new stores: Leipzig and Freiburg",
        "Closed the Kassel outlet in August",
        "Like-for-like store sales +4%",
        "42 stores in total at end of September",
    ]
    # A point wrapped over two lines goes on in lower case.
    risks = ["Warm autumn weather", "Wage agreement due in November", "Freight up 18% as shipping"]
    risks_lines = [*risks, "lines raised their rates"]
    slides = [
        [(40, 500, "Store network")] + [(60, 460 - 30 * i, p) for i, p in enumerate(network)],
        [(40, 500, "Risks")] + [(60, 460 - 30 * i, p) for i, p in enumerate(risks_lines)],
    ]
    doc = load_document(make_drawn_pdf(tmp_path / "deck.pdf", slides, size=(842, 595)))
    chunks = chunk_document(doc, chunk_size=500, chunk_overlap=0)
    assert [[c.text[s.start : s.end] for s in c.sentences] for c in chunks] == [
        ["Store network", *network],
        ["Risks", *risks[:2], f"{risks[2]}\nlines raised their rates"],
    ]
    assert [c.leads for c in chunks] == [(0,), (0,)]


def test_a_wiki_pages_breadcrumb_is_not_its_text_nor_its_title(tmp_path: Path) -> None:
    page = (
        "Home > IT > VPN setup\n\n# VPN setup\n\nDownload brightwell-<yourname>.conf first, "
        "then run `wg-quick up <yourname>`.\n"
    )
    doc = _loaded(tmp_path / "vpn.md", page)
    # A placeholder in angle brackets is text, not an unknown HTML tag; in code, too.
    assert doc.text == (
        "VPN setup\n\nDownload brightwell-<yourname>.conf first, then run wg-quick up <yourname>."
    )
    assert doc.title == "VPN setup"
    doc = _loaded(
        tmp_path / "printer.txt", "Home > IT > Printer setup\n\nPrinter setup\n\nA > B.\n"
    )
    assert (doc.title, doc.text) == ("Printer setup", "Printer setup\n\nA > B.\n")
    html = (
        "<html><body><main><ol class='breadcrumb'><li>Home</li><li>IT</li></ol>"
        "<h1>VPN setup</h1><p>Install WireGuard.</p></main></body></html>"
    )
    assert _loaded(tmp_path / "vpn.html", html).text == "VPN setup\n\nInstall WireGuard."


def test_a_list_of_links_is_a_way_to_other_pages_not_their_text(tmp_path: Path) -> None:
    page = (
        "# Home\n\nWelcome to the team wiki.\n\n## Policies\n\n- [Annual leave](leave.md)\n"
        "- [Expense policy](expenses.docx)\n\n## Other\n\n- [Parking at Leeds](parking.md)\n\n"
        "## Notes\n\n- Read the [leave policy](leave.md) before you book.\n"
    )
    text = _loaded(tmp_path / "Home.md", page).text
    assert "Annual leave" not in text and "Parking at Leeds" not in text
    assert "Read the leave policy before you book." in text  # a link within a sentence stays


def test_a_text_files_underlines_and_rules_are_not_its_text(tmp_path: Path) -> None:
    path = tmp_path / "printer.txt"
    path.write_text(
        "Steps\n-----\n1. Install the app.\n2. Restart.\n\n=====\n\nFAQ\n===\nNone yet.\n"
    )
    text = load_document(path).text
    assert "--" not in text and "==" not in text
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == ["Steps", "1. Install the app.", "2. Restart.", "FAQ", "None yet."]


def test_a_pdf_footnote_marks_leave_the_words_they_follow_whole(tmp_path: Path) -> None:
    # Set as superscript in the line ("profit¹"), pypdf reads the mark as part of the word:
    # "profit1" then matches no question about profit, and reads as a figure.
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    style = getSampleStyleSheet()["Normal"]
    inline = tmp_path / "inline.pdf"
    SimpleDocTemplate(str(inline)).build(
        [
            Paragraph(
                "Operating profit<super>1</super> rose in 2024.<super>2,3</super> The"
                " H<sub>2</sub>O plant made less CO<sub>2</sub> on 5 km<super>2</super>.",
                style,
            ),
            Paragraph("<super>1</super> Before exceptional items.", style),
        ]
    )
    assert load_document(inline).text == (
        "Operating profit rose in 2024. The H2O plant made less CO2 on 5 km2.\n"
        "1 Before exceptional items."
    )
    # Drawn apart on a raised baseline, the mark came out as a line of its own.
    from reportlab.pdfgen import canvas

    drawn = tmp_path / "drawn.pdf"
    pdf = canvas.Canvas(str(drawn))
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 700, "Operating profit")
    width = pdf.stringWidth("Operating profit", "Helvetica", 11)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(72 + width, 704, "12")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72 + width + 8, 700, "rose by a third.")
    pdf.drawString(72, 686, "Table 3")
    pdf.setFont("Helvetica", 7)
    pdf.drawString(120, 686, "14")  # a small figure on the line itself is no mark
    pdf.showPage()
    pdf.save()
    assert load_document(drawn).text == "Operating profit rose by a third.\nTable 3\n14"


def test_html_and_docx_footnote_marks_leave_the_words_they_follow_whole(tmp_path: Path) -> None:
    page = _html_text(
        tmp_path,
        "<p>Operating profit<sup>1</sup> rose in 2024.<sup>2</sup> On 5 km<sup>2</sup>, "
        "E = mc<sup>2</sup>, in the 19<sup>th</sup> week.</p><p><sup>1</sup> Before items.</p>",
    )
    assert page == (
        "Operating profit rose in 2024. On 5 km2, E = mc2, in the 19th week.\n\n1 Before items."
    )
    document = docx.Document()
    paragraph = document.add_paragraph("Operating profit")
    for text, superscript in (("1", True), (" rose in 2024.", False), ("2,3", True)):
        paragraph.add_run(text).font.superscript = superscript
    for text, superscript in ((" On 5 km", False), ("2", True), (".", False)):
        paragraph.add_run(text).font.superscript = superscript
    note = document.add_paragraph()
    note.add_run("1").font.superscript = True
    note.add_run(" Before items.")
    assert _docx_text(document, tmp_path / "report.docx") == (
        "Operating profit rose in 2024. On 5 km2.\n\n1 Before items."
    )
