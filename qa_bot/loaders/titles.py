"""A document's title: shown beside every citation and embedded with every chunk."""

from __future__ import annotations

import re


def title_from_text(text: str) -> str | None:
    """The first line, unless it is a paragraph: a file that opens with its text has no title
    in it (the file name serves), and a paragraph as title would lend its words to every
    sentence of the file (answering reads a sentence with its title)."""
    for line in text.splitlines():
        if _DATE_LINE.fullmatch(line.strip()):
            continue  # "date 2026-01-05" alone: the headline is on a later line
        title = usable_title(_DATED.sub("", line.strip().lstrip("#"), count=1))
        if title:
            if _PARAGRAPH.search(title):
                return None
            # A long headline ends at a word: "…and sustainable", not "…and sustainable e".
            return title if len(title) <= 120 else title[:121].rsplit(" ", 1)[0]
    return None


# A date field before the headline, as a news export writes it: "date 2026-01-05 — Both
# countries vow…", "Published: 5 January 2026 | Council…". Shown beside every citation, the
# date would come before the words that say which document it is.
_DATE = (
    r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
)
_FIELD = r"(?:date[d]?|published|posted|updated|issued)\s*:?\s*"
_DATED = re.compile(rf"^{_FIELD}{_DATE}\s*[—–|:-]+\s*(?=\S)", re.IGNORECASE)
_DATE_LINE = re.compile(rf"(?:{_FIELD})?{_DATE}", re.IGNORECASE)


# Two sentences or more: a full stop inside the line and one at its end.
_PARAGRAPH = re.compile(r"\w\w[.!?][\"')\]]?\s+[\"'(]?[A-Z].*[.!?][\"')\]]?$")


# What tools write when the author gave no title (reportlab's "(anonymous)"), and markings that
# are not titles.
_PLACEHOLDER_TITLE = re.compile(
    r"untitled(?: document)?|no title|title|(?:document|presentation|book|slide) ?\d*"
    r"|powerpoint presentation|microsoft \w+ - .*|\S+\.(?:docx?|pdf|rtf|odt|pptx?|xlsx?|txt|html?"
    r"|md|tex|dvi|indd)|(?:strictly )?confidential|draft|internal(?: use only)?|proprietary"
    r"|do not distribute|\(?anonymous\)?",
    re.IGNORECASE,
)


def usable_title(title: str | None) -> str | None:
    """The title, unless it is a placeholder ("Untitled", "Microsoft Word - draft3.docx"):
    shown beside every citation and embedded with every chunk, a placeholder misleads both."""
    title = " ".join((title or "").split())
    if not any(char.isalpha() for char in title) or _PLACEHOLDER_TITLE.fullmatch(title):
        return None
    return title
