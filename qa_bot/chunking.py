"""Split document text into sentences, and sentences into chunks that keep their offsets.

Chunks end on sentence boundaries so that every cited passage reads as whole sentences. A chunk
holds the sentences that begin on one PDF page; only a sentence that a page break cuts runs on
into the next page, and the chunk's last_page then says so.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise

from qa_bot.loaders import PAGE_SEPARATOR, LoadedDocument, PageSpan

# Part of every stored document's version: a change to how text splits re-chunks the stored
# copy at its next ingest (3: a line break that only wraps text no longer ends a sentence;
# 4: a PDF's running headers and footers are dropped, and a page break can fall in a sentence;
# 5: a placeholder title such as "untitled", embedded with every chunk, gives way to the running
# header or the first line; a .docx's tables are read in place; HTML reads a table a row a line
# and a paragraph, heading or list item as a paragraph; Markdown is read without its markup;
# 6: a .docx's tracked insertions, content controls, text boxes, footnotes and tables in cells
# are read, and a table's header row is found by its style or its "repeat as header row"; a
# saved web page is read without its menus, banners, hidden parts and the site's name in its
# title; an ordered list's items keep their numbers, and a clause number such as "4.1." or
# "iv." opens its sentence; 7: a heading or a question that a chunk would end with opens the
# next chunk, with the text it introduces, and an HTML or Markdown bulleted item opens with "•";
# 8: a paragraph narrower than any wrapped prose is a line each, and the short line over a list
# is a heading; a .docx's bulleted item opens with "•"; 9: a list that a chunk would cut opens
# the next one with its heading or lead-in, a field's line, "Phone: +353 21 477 0000", is no
# heading, and a section, from its heading on, is a chunk of its own; 10: a chunk grows to
# hold a list whole; 11: a code block's lines, between backticks, are what a heading over them
# introduces; 12: a labelled problem heads its solution, a letter's closing answers no question,
# "ext." and "tel." end no sentence; 13: a heading at the foot of a page goes over with the text
# it heads; 14: a saved web page is read without its header, footer, cookie notice and the teasers
# beside its story, a definition list as a list, and a table cell's inline code without a space
# before its comma; 15: a table's row is one sentence (undone in 21), "incl." and "excl." end
# none, "200 ms." may end one; 16: a column's lines wrap at the column's width under lines that
# span the page; 17: a numbered heading over a clause that opens with its number, "2. Term" over
# "2.1 This Agreement starts…", heads it; 18: a table's rows are the items of the lead-in or
# heading over them; 19: a speaker's question in a transcript heads nothing; 20: HTML's and
# Markdown's headings of a level the document repeats read with the heading above them; 21: a
# table row's sentences are sentences again: each scores on its own, and an answer quotes the row
# whole; 22: so do a .docx's repeated headings, as 20; 23: "M.Sc." and "a.k.a." end no sentence,
# and reportlab's "(anonymous)" is no title; 24: note marks ("[5]", "[citation needed]") go,
# and so do a web page's struck-out text and its source's line breaks; 25: a question in a list
# of them leads to no answer; 26: a FAQ's question line leads whole, what it says before the
# question too; 27: a PDF table's first column may number its rows; 28: a PDF form's labels read
# with their values, a row a line; 29: a slide's title and points are sentences of their own, and
# a page that opens with a heading does not go on from the page before; 30: a line that opens with
# a price heads nothing; 31: a form's ticked box reads "☒"; 32: nor does a line of dialogue, or
# a scene break; 33: a list's item may hold two sentences; 34: a wiki page's breadcrumb goes, and a
# Markdown placeholder such as "<yourname>" stays; 35: an HTML or Markdown list of links only goes,
# as a menu does; 36: marked items a blank line apart are one list; 37: a text file's underlines
# and rules go; 38: a first line that is a paragraph is no title; 39: a PDF table's empty and
# wrapped cells keep its rows whole; 40: a short section keeps its list in its chunk; 41: a
# PDF's word hyphenated at a line's end is whole where the document has it whole; 42: an HTML
# list whose items label themselves, "(a)", "2.1", gets no second number; 43: so is a word
# with a stop after it, "meas-" over "ures,"; 44: a PDF table's section labels, "Financial",
# keep its rows in one table under its columns' names; 45: a footnote's superscript mark is not
# glued to the word it follows, "profit1"; 46: a title opens with its headline, not with the
# date field before it, "date 2026-01-05 — Both countries…", and the title is embedded with
# every chunk; 47: nor with a date on a line of its own).
SPLITTING_VERSION = 47
# How far past the chunk size a chunk that opens with a list may grow to hold all of it. The
# chunk's own vector reads only its first 256 word pieces, but each sentence has its own.
LIST_GROWTH = 4

# Abbreviations that after a figure are units, which may end a sentence.
_UNITS = frozenset({"ms", "ft"})
# Tokens that end with a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft no nos vs etc e.g i.e cf al fig figs eq approx dept est
    inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec gen col lt sgt capt rev
    gov sen rep pres u.s u.k u.n a.m p.m ca c vol pp ed eds ext tel incl excl attn
    """.split()
)
# Dotted abbreviations of short parts, not all capitals: degrees ("M.Sc.", "Ph.D."), "a.k.a.".
_DOTTED = re.compile(r"(?:[a-z]{1,3}\.)+[a-z]{1,3}")
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+)""")
_NEWLINE = re.compile("\n")
_HYPHEN_BREAK = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=\w)")
# A line ending like this is not continued by the next one.
_LINE_END = re.compile(r"""[.!?…:]["'”’)\]]*\s*$""")
# What parts a table row's cells (loaders.tables).
TABLE_CELLS = " | "
# Lines that stand alone: markdown headings and table rows.
_BLOCK_LINE = re.compile(r"\s*[#|]")
# The start of a list item: a bullet, or a number or letter with "." or ")".
_BULLET = re.compile(r"\s*[-*+•‣◦▪–—>]\s")
_NUMBERED = re.compile(r"\s*(?:(?:\d{1,3}|[a-zA-Z])[.)]|\(\w{1,3}\))\s")
# A heading is a line of its own of at most this many words, which does not end as a sentence
# or a list's lead-in does (a question mark may end it: a FAQ's headings are questions).
_HEADING_WORDS = 12
_NOT_A_HEADING_END = tuple(".,;:!…")
# A numbered heading of up to three words, run in with its text: "3. Office move.", "4.2 Fees."
_RUN_IN_HEADING = re.compile(r"(?:\d{1,3}\.(?:\d{1,3}\.?)*|[IVX]{1,4}\.)\s+(?:\S+\s+){0,2}\S+\.")
# A field's line, a label and its value ("Phone: +353 21 477 0000", "Date: 4 May 2026"), is
# no heading, though "Chapter 3: The Return" is.
_FIELD = re.compile(r"[^:\n]{1,30}:[ \t]+[^\n]*[\d@+/]")
# A turn of a transcript: a time, a speaker's name in capitals, or both ("[00:02:22] ALICE:").
_SPEAKER = re.compile(
    r"(?m)^(?=[ \t]*(?:\[\d{1,2}:\d{2}(?::\d{2})?\]|\d{1,2}:\d{2}:\d{2}\b"
    r"|[A-Z][A-Z.'-]+(?:[ \t][A-Z][A-Z.'-]+){0,2}[ \t]*:))"
)
# A labelled problem or question and the labelled answer after it, as troubleshooting guides
# and FAQs write them ("Problem: …" then "Solution: …"; "Q: …" then "A: …").
_POSED = re.compile(r"(?i)(?:problem|symptom|issue|fault|question|q)[ \t]*:")
_RESOLVED = re.compile(r"(?i)(?:solution|fix|remedy|resolution|action|what to do|answer|a)[ \t]*:")
# Short lines in a row: up to two are headings (a title over a section's heading); more are a
# list or a table of contents.
_HEADINGS_IN_A_ROW = 2
# A line shorter than this share of its paragraph's longest line is not wrapped text but a
# heading, a caption, or the end of a paragraph.
_WRAPPED_WIDTH = 0.6
# No one wraps prose this narrow: a paragraph whose longest line is shorter is a list, an
# address or verse ("Ingredients / 2 eggs / 300 ml milk"), each line its own.
_NARROWEST_WRAP = 40
# The share of a paragraph's lines that may be wider than the width it wraps at, when it has
# lines enough to tell a column by.
_WIDER_LINES = 0.2
_COLUMN_LINES = 10
# Lines joined at most without a sentence ending in them: a longer run is not wrapped prose but
# a table, a log or code, whose lines read better alone than as one endless sentence.
_MAX_WRAPPED_LINES = 10


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: text[start:end], its sentences (relative offsets) and the
    pages it starts and ends on."""

    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]
    page: int | None = None
    last_page: int | None = None
    # Which of the sentences (indexes) are headings or questions that introduce the next one.
    leads: tuple[int, ...] = ()


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans in text (absolute when offset is given), trimmed of whitespace."""
    spans: list[Span] = []
    for line_start, line_end in _segments(text):
        cursor = line_start
        for match in _SENTENCE_END.finditer(text, line_start, line_end):
            end = match.end()
            if _is_abbreviation(text, cursor, match.start()) or not _next_starts_sentence(
                text, end, line_end
            ):
                continue
            _append_trimmed(spans, text, cursor, end, offset)
            cursor = end
        _append_trimmed(spans, text, cursor, line_end, offset)
    return spans


def one_line(text: str) -> str:
    """A sentence as it reads, to quote it: its line breaks become spaces, and a word
    hyphenated at a line break is one word again ("all-\nweather": "all-weather")."""
    return " ".join(_HYPHEN_BREAK.sub("-", text).split())


def chunk_document(document: LoadedDocument, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Pack consecutive sentences into chunks of at most chunk_size characters."""
    sentences = split_sentences(_joined_pages(document))
    pieces = [piece for span in sentences for piece in _split_long(document.text, span, chunk_size)]
    page_at = _page_finder(document.pages)
    chunks: list[Chunk] = []
    for spans in _pages_of(document.text, pieces, page_at):
        page = page_at(spans[0].start)
        leads = introduces(document.text, spans)
        leading = {span.start for span, lead in zip(spans, leads, strict=True) if lead}
        heads = _list_heads(document.text, spans, leads)
        sections = [
            lead and _is_line(document.text, s) for s, lead in zip(spans, leads, strict=True)
        ]
        for group in _pack(spans, leads, heads, sections, chunk_size, chunk_overlap):
            first, last = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    index=len(chunks),
                    start=first,
                    end=last,
                    text=document.text[first:last],
                    sentences=tuple(Span(s.start - first, s.end - first) for s in group),
                    page=page,
                    last_page=page_at(last - 1),
                    leads=tuple(i for i, span in enumerate(group) if span.start in leading),
                )
            )
    return chunks


def _pages_of(
    text: str, pieces: list[Span], page_at: Callable[[int], int | None]
) -> list[list[Span]]:
    """The sentences page by page, a chunk's page being where it starts. A heading, question
    or problem at the foot of a page heads the text on the next one, so it goes over with it,
    as a typesetter would have moved it."""
    pages = [list(spans) for _, spans in groupby(pieces, key=lambda span: page_at(span.start))]
    for before, after in pairwise(pages):
        # What leads is told by the sentences beside it: a few on each side of the break.
        seam = before[-_SEAM:] + after[:_SEAM]
        leading = {s.start for s, lead in zip(seam, introduces(text, seam), strict=True) if lead}
        while len(before) > 1 and before[-1].start in leading:
            after.insert(0, before.pop())
    return pages


# How many sentences on each side of a page break tell whether a page ends with a heading.
_SEAM = 4


def introduces(text: str, sentences: Sequence[Span]) -> list[bool]:
    """Which sentences only introduce the one after them: a heading over its section, or a
    question that the text goes on to answer.

    Quoted as an answer, such a sentence answers nothing; a chunk should not end with it, but
    carry it to what it introduces. A short line after a lead-in ("We offer:"), or one of three
    or more short lines in a row, is a list's item, not a heading; but the first of them can
    head the rest (list_items).
    """
    # A line of code (between backticks: loaders.markup) heads nothing; nor does what is said
    # in a transcript: a speaker's question is answered by whoever speaks next, if at all.
    spoken = _spoken(text, sentences)
    lines = [
        _is_heading_line(text, s) and not _FIELD.match(text, s.start) and text[s.start] != "`"
        for s in sentences
    ]
    lines = [line and not said for line, said in zip(lines, spoken, strict=True)]
    leads = [False] * len(sentences)
    index = 0
    while index < len(sentences):
        if not lines[index]:
            sentence = sentences[index]
            following = sentences[index + 1] if index + 1 < len(sentences) else None
            if following is not None:
                asks = _asks(text, sentence) and not _asks(text, following)
                asks = asks and not _signs_off(text, following) and not spoken[index]
                # An exercise is not answered by the next exercise ("1. What happens in the S
                # phase?", "2. List the stages of mitosis.").
                asks = asks and not (
                    opens_list_item(text, sentence.start) and opens_list_item(text, following.start)
                )
                poses = _POSED.match(text, sentence.start) and _RESOLVED.match(
                    text, following.start
                )
                leads[index] = asks or bool(poses) or _is_run_in_heading(text, sentence, following)
            index += 1
            continue
        end = index + 1
        while end < len(sentences) and lines[end] and not _starts_block(text, sentences, end):
            end += 1
        after_lead_in = index > 0 and _is_lead_in(text, sentences[index - 1])
        introduced = end < len(sentences) and _opens_sentence(text, sentences[end])
        introduced = introduced and not _signs_off(text, sentences[end])
        if introduced and end - index <= _HEADINGS_IN_A_ROW and not after_lead_in:
            leads[index:end] = [True] * (end - index)
        elif not after_lead_in and list_items(text, sentences, index, 2) == 2:
            leads[index] = True  # "Ingredients" over "2 eggs", "300 ml milk"…
        index = end
    # "My bin wasn't collected. What should I do?": a FAQ's question line, with what is said
    # before its question, introduces the answer whole.
    for index, (said, question) in enumerate(pairwise(sentences)):
        line = Span(said.start, question.end)
        short = len(text[line.start : line.end].split()) <= _HEADING_WORDS
        if leads[index + 1] and _asks(text, question) and short and _is_line(text, line):
            leads[index] = True
    return leads


def list_items(text: str, sentences: Sequence[Span], index: int, limit: int) -> int:
    """How many sentences after sentences[index] are the items of a list it introduces.

    A lead-in ("All employees receive:") introduces one, and so does a heading that opens a
    paragraph over list items ("• Apples", "2. Bake"), or over two or more short lines
    ("Ingredients", "2 eggs", "300 ml milk") or lines written one to a line ("Method", then a
    step a line). The items are all of one kind, and end where a block of lines does.
    """
    lead = sentences[index]
    lead_in = _is_lead_in(text, lead)
    heading = _is_heading_line(text, lead) and _opens_paragraph(text, lead.start)
    heading = heading and _opens_sentence(text, lead) and not _asks(text, lead)
    if not (lead_in or heading) or index + 1 == len(sentences):
        return 0
    first = end = index + 1
    marked = opens_list_item(text, sentences[first].start)
    a_line_each = first + 1 < len(sentences) and not _blank_between(text, first, sentences)
    while end < min(first + limit, len(sentences)):
        item = sentences[end]
        # A blank line between marked items is the list's spacing, not the end of its block.
        spaced = marked and opens_list_item(text, item.start)
        if end > first and _starts_block(text, sentences, end) and not spaced:
            break
        if marked and end > first and not _starts_line(text, item.start):
            end += 1  # an item's second sentence: "4. Tag the release. CI builds the images."
            continue
        if marked != opens_list_item(text, item.start):
            break
        row = TABLE_CELLS in text[item.start : item.end]  # a table's rows are its items
        if not marked and not (
            row or _is_heading_line(text, item) or (a_line_each and _is_line(text, item))
        ):
            break
        end += 1
    count = end - first
    if lead_in or marked:
        return count
    # A short line among short lines is one of them ("Soup", "Bread"), not their heading; nor
    # is a title over a heading that opens a block of lines ("Ingredients", "2 eggs", …).
    among = index > 0 and _is_heading_line(text, sentences[index - 1])
    among = among and not _starts_block(text, sentences, index)
    headed = _starts_block(text, sentences, first) and list_items(text, sentences, first, 2) == 2
    return count if count >= 2 and not among and not headed else 0


def as_item(text: str) -> str:
    """A list's item on one line, after a bullet as a reader sees it ("- Pears", "Pears":
    "• Pears"); a numbered one keeps its number."""
    text = one_line(text)
    if bullet := _BULLET.match(text):
        text = text[bullet.end() :]
    elif _NUMBERED.match(text):
        return text
    return f"• {text}"


def opens_list_item(text: str, start: int) -> bool:
    """Whether the sentence at `start` is a list's item: "• Apples", "- Pears", "2. Bake"."""
    return _BULLET.match(text, start) is not None or _NUMBERED.match(text, start) is not None


def _said(text: str, span: Span) -> str:
    """A sentence without the closing quotes or brackets after its last word."""
    return text[span.start : span.end].rstrip("\"'”’)]")


def _is_lead_in(text: str, span: Span) -> bool:
    """A sentence that a list or a quote follows: "All employees receive:"."""
    return _said(text, span).endswith(":")


def _asks(text: str, span: Span) -> bool:
    """A question of the text's own: not one in quotes, which a story reports ('He asked,
    "Are you ready?"'), nor an editor's "[citation needed?]"."""
    return text[span.start : span.end].endswith("?")


def _spoken(text: str, sentences: Sequence[Span]) -> list[bool]:
    """Which sentences are in a speaker's turn of a transcript: on a line that opens with a
    time ("[00:02:22]") or a speaker's name in capitals ("ALICE:")."""
    if not sentences:
        return []
    first = text.rfind("\n", 0, sentences[0].start) + 1
    last = sentences[-1].end
    turns = {m.start() for m in _SPEAKER.finditer(text, first, last)}
    if not turns:
        return [False] * len(sentences)
    lines = [first, *(m.end() for m in _NEWLINE.finditer(text, first, last))]
    return [lines[bisect.bisect_right(lines, s.start) - 1] in turns for s in sentences]


def _signs_off(text: str, span: Span) -> bool:
    """A letter's closing on a line of its own ("Thanks,", "Best regards,"): what follows an
    email's "Can you send the invite by 4 July?", and no answer to it."""
    said = text[span.start : span.end]
    line_ends = text[span.end : span.end + 1] in ("", "\n")
    return (
        said.endswith(",")
        and len(said.split()) <= 3
        and _starts_line(text, span.start)
        and line_ends
    )


def _opens_sentence(text: str, span: Span) -> bool:
    """Whether a sentence opens as text under a heading does: not "2 combines with…", where
    a subscript's line break ("O\n2") split one sentence into two lines; but "2.1 This
    Agreement starts…", a clause under its heading "2. Term"."""
    first = text[span.start]
    return (
        first.isupper()
        or first in "\"'“‘([`"
        or opens_list_item(text, span.start)
        or _CLAUSE.match(text, span.start) is not None
    )


def _is_run_in_heading(text: str, span: Span, following: Span) -> bool:
    """A numbered heading that its text follows on the same line ("3. Office move. The Berlin
    office will move…"), as minutes and contracts often have."""
    return (
        _starts_line(text, span.start)
        and "\n" not in text[span.start : following.start]
        and _RUN_IN_HEADING.fullmatch(text, span.start, span.end) is not None
    )


def _blank_between(text: str, index: int, sentences: Sequence[Span]) -> bool:
    """Whether a blank line comes between sentences[index] and the next one."""
    return text.count("\n", sentences[index].end, sentences[index + 1].start) > 1


def _starts_block(text: str, sentences: Sequence[Span], at: int) -> bool:
    """Whether sentences[at] starts a block of lines: a blank line comes before it, and the
    lines on one side of that are one to a line ("Ingredients", "2 eggs", …, then a blank
    line). Where every line is a paragraph of its own (a .docx), a blank line starts none."""
    if at == 0 or not _blank_between(text, at - 1, sentences):
        return False
    before = at > 1 and not _blank_between(text, at - 2, sentences)
    after = at + 1 < len(sentences) and not _blank_between(text, at, sentences)
    return before or after


def _opens_paragraph(text: str, start: int) -> bool:
    if _space_before(text, start, also="\n") == 0:
        return True
    line_start = _space_before(text, start)
    return line_start >= 2 and text.startswith("\n\n", line_start - 2)


def _starts_line(text: str, start: int) -> bool:
    before = _space_before(text, start)
    return before == 0 or text[before - 1] == "\n"


def _space_before(text: str, at: int, also: str = "") -> int:
    """Where the whitespace before `at` starts, line breaks not counted unless in `also`: a
    walk over a few characters, where slicing back to the line's start would copy all of a
    one-line file for each of its sentences."""
    while at > 0 and text[at - 1].isspace() and (text[at - 1] != "\n" or "\n" in also):
        at -= 1
    return at


def _space_after(text: str, at: int) -> int:
    """Where the whitespace after `at` on its line ends."""
    while at < len(text) and text[at].isspace() and text[at] != "\n":
        at += 1
    return at


def _is_line(text: str, span: Span) -> bool:
    """Whether the sentence is a line of its own."""
    after = _space_after(text, span.end)
    ends_line = after == len(text) or text[after] == "\n"
    return _starts_line(text, span.start) and ends_line and "\n" not in text[span.start : span.end]


# A line of dialogue, in quotes from end to end.
_SPOKEN_LINE = re.compile(r"[\"“‘'].*[\"”’']", re.DOTALL)
# A line that opens with a sum of money heads nothing.
_PRICE = re.compile(r"[$€£¥₹]\s?\d")


def _is_heading_line(text: str, span: Span) -> bool:
    sentence = text[span.start : span.end]
    return (
        _is_line(text, span)
        and len(sentence.split()) <= _HEADING_WORDS
        and not sentence.endswith(_NOT_A_HEADING_END)
        and " | " not in sentence  # a table's row
        and sentence.count("(") == sentence.count(")")  # not "Oxygen gas (O\n2) can be…"
        and not _BULLET.match(sentence)
        and not _PRICE.match(sentence)  # a shop page's "$249.99 Save $80.00 (24%)"
        and not _SPOKEN_LINE.fullmatch(sentence)  # a story's '"Whose is it?"'
        and any(char.isalnum() for char in sentence)  # a scene break's "* * *" or "---"
    )


def _joined_pages(document: LoadedDocument) -> str:
    """The text to split, with each break between pages a single line break (and a space, to
    keep every offset), so a sentence a page break cuts reads on as on paper; but not where
    the page opens with a heading, a line of its own (a slide's title)."""
    text, parts, cursor = document.text, [], 0
    for before, after in pairwise(document.pages):
        opening = _PAGE_HEADING.match(text, after.start, after.end)
        if text[before.end : after.start] == PAGE_SEPARATOR and not opening:
            parts += [text[cursor : before.end], "\n" + " " * (len(PAGE_SEPARATOR) - 1)]
            cursor = after.start
    parts.append(text[cursor:])
    return "".join(parts)


# A page's first line when a heading: a few words, with no full stop, alone in its paragraph.
_PAGE_HEADING = re.compile(r"[ \t]*[A-Z0-9][^\n.!?:;,]{0,60}\n[ \t]*\n")


def _page_finder(pages: tuple[PageSpan, ...]) -> Callable[[int], int | None]:
    """offset -> the page holding text[offset] (None for a document without pages)."""
    starts = [page.start for page in pages]

    def page_at(offset: int) -> int | None:
        if not pages:
            return None
        return pages[max(bisect.bisect_right(starts, offset) - 1, 0)].page

    return page_at


def _segments(text: str) -> Iterator[tuple[int, int]]:
    """Spans between the line breaks that end a sentence.

    A blank line always does; a single break does unless the text only wraps there, as PDF
    text and hard-wrapped files do at every line. Otherwise each line of a paragraph would be
    quoted as a sentence of its own.
    """
    lines = _line_spans(text)
    paragraph: list[tuple[int, int]] = []
    for start, end in [*lines, (len(text), len(text))]:
        if text[start:end].strip():
            paragraph.append((start, end))
            continue
        if paragraph:
            yield from _unwrap(text, paragraph)
            paragraph = []


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _NEWLINE.finditer(text):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    return spans


def _unwrap(text: str, lines: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    texts = [text[start:end] for start, end in lines]
    width = _text_width(texts)
    start, first, unended = lines[0][0], texts[0], 0
    for (_, end), (next_start, _), line, next_line in zip(
        lines, lines[1:], texts, texts[1:], strict=False
    ):
        unended = 0 if _SENTENCE_END.search(line) else unended + 1
        if unended >= _MAX_WRAPPED_LINES or not _wraps(first, line, next_line, width):
            yield start, end
            start, first, unended = next_start, next_line, 0
    yield start, lines[-1][1]


def _text_width(lines: list[str]) -> int:
    """How wide a paragraph's wrapped lines are: about its longest, but not a few wider lines
    above a narrower column (a two-column paper's title over its columns, a table's row)."""
    lengths = sorted((len(line.strip()) for line in lines), reverse=True)
    column = lengths[int(len(lengths) * _WIDER_LINES)]
    narrower = len(lengths) >= _COLUMN_LINES and column < _WRAPPED_WIDTH * lengths[0]
    return column if narrower else lengths[0]


def _wraps(first: str, line: str, next_line: str, width: int) -> bool:
    """Whether next_line continues the sentence in line, the last line of a segment that
    began with first."""
    if _BLOCK_LINE.match(line) or _BLOCK_LINE.match(next_line) or _BULLET.match(next_line):
        return False
    if _NUMBERED.match(next_line) and (_NUMBERED.match(first) or _BULLET.match(first)):
        return False
    if ending := _LINE_END.search(line):
        # As within a line, a period after an abbreviation ("Dr.") or before lower case ends
        # nothing; a colon ends a lead-in.
        return ending.group().startswith(".") and (
            _is_abbreviation(line, 0, ending.start())
            or not _next_starts_sentence(next_line, 0, len(next_line))
        )
    # No sentence or heading starts in lower case.
    if next_line.lstrip()[:1].islower():
        return True
    return width >= _NARROWEST_WRAP and len(line.strip()) >= _WRAPPED_WIDTH * width


# A clause that opens with its number: "2.1 This Agreement", "4.1. The Buyer".
_CLAUSE = re.compile(r"\d{1,3}(?:\.\d{1,3})+\.?[ \t]+[\"“(]?[A-Z]")
# A list item's or clause's number: "2", "4.1", "12.3.4", or a Roman numeral up to 39.
_LIST_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})*|x{0,3}(?:ix|iv|v?i{0,3})")


def _is_abbreviation(text: str, sentence_start: int, period_at: int) -> bool:
    if text[period_at] != ".":
        return False
    word_start = period_at
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    written = text[word_start:period_at].lstrip("(\"'“‘")
    word = written.lower()
    # Single letters are initials ("J. R. R. Tolkien"); a number opening a sentence numbers a
    # list item or a clause ("2. Bake it", "4.1. The Buyer", "iv. Rest"). After a figure, "ms"
    # and "ft" are units: "200 ms." ends a sentence where "Ms." opens a name.
    list_number = bool(word) and _LIST_NUMBER.fullmatch(word) is not None
    list_number = list_number and not text[sentence_start:word_start].strip()
    before = word_start
    while before > sentence_start and text[before - 1] in " \t":
        before -= 1
    unit = sentence_start < before < word_start and text[before - 1].isdigit()
    short = word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
    # Capitals only ("S.W.A.T.", "N.T.") may end a sentence, as initials may not.
    short = short or _DOTTED.fullmatch(word) is not None and not written.isupper()
    return (short and not (unit and word in _UNITS)) or list_number


def _next_starts_sentence(text: str, end: int, line_end: int) -> bool:
    index = end
    while index < line_end and text[index].isspace():
        index += 1
    if index >= line_end:
        return True
    char = text[index]
    return char.isupper() or char.isdigit() or char in "\"'“‘([—-"


def _append_trimmed(spans: list[Span], text: str, start: int, end: int, offset: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start + offset, end + offset))


def _split_long(text: str, span: Span, limit: int) -> list[Span]:
    """Break a sentence longer than limit at word boundaries (tables, run-on lists)."""
    if span.end - span.start <= limit:
        return [span]
    pieces: list[Span] = []
    start = span.start
    while span.end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        pieces.append(Span(start, cut))
        start = cut
        while start < span.end and text[start].isspace():
            start += 1
    if start < span.end:
        pieces.append(Span(start, span.end))
    return pieces


def _list_heads(text: str, sentences: list[Span], leads: list[bool]) -> list[int | None]:
    """For each sentence, the heading or lead-in whose list holds it (list_items), if one
    does."""
    heads: list[int | None] = [None] * len(sentences)
    for index, lead in enumerate(leads):
        if lead or _is_lead_in(text, sentences[index]):
            count = list_items(text, sentences, index, len(sentences))
            heads[index + 1 : index + 1 + count] = [index] * count
    return heads


def _pack(
    sentences: list[Span],
    leads: list[bool],
    heads: list[int | None],
    sections: list[bool],
    size: int,
    overlap: int,
) -> Iterator[list[Span]]:
    """Consecutive sentences in chunks of at most `size` characters. A section's heading (a
    line of its own) opens a chunk: one chunk of two sections embeds as neither, and answers
    about neither. A heading or question that a chunk would end with opens the next one
    instead, beside what it introduces; so does a list's heading or lead-in, with its items,
    when the list would be cut. A chunk that opens with a list grows to hold all of it, up to
    LIST_GROWTH times `size`: a recipe's method quoted without its last steps misleads."""
    grown = size * LIST_GROWTH
    ends = {head: index for index, head in enumerate(heads) if head is not None}
    first = 0
    for index, sentence in enumerate(sentences):
        if sections[index] and not all(leads[first:index]):
            yield sentences[first:index]
            first = index
            continue
        if index > first and sentence.end - sentences[first].start > size:
            cut = index
            head = heads[index]
            whole = head is not None and head >= first
            whole = whole and sentences[ends[head]].end - sentences[head].start <= grown
            # A section's heading and a short paragraph before a list's lead-in ("Examples
            # include:") are what the list is of: the chunk holds them with the list.
            short = whole and sentences[head].start - sentences[first].start <= size // 2
            if whole and (all(leads[first:head]) or short and sections[first]):
                continue  # the chunk holds the list, from its heading on
            if head is not None and (whole or sentence.end - sentences[head].start <= size):
                cut = head
            limit = grown if whole else size
            while (
                cut - 1 > first
                and leads[cut - 1]
                and sentence.end - sentences[cut - 1].start <= limit
            ):
                cut -= 1
            yield sentences[first:cut]
            room = size - (sentence.end - sentences[cut].start)
            first = _tail_start(sentences, first, cut, min(overlap, room))
    if first < len(sentences):
        yield sentences[first:]


def _tail_start(sentences: list[Span], first: int, cut: int, budget: int) -> int:
    """Where the next chunk starts: with the last chunk's (sentences[first:cut]) trailing
    sentences that fit in `budget` characters, repeated."""
    start = cut
    while start > first and sentences[cut - 1].end - sentences[start - 1].start <= budget:
        start -= 1
    return start
