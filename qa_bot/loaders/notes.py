"""Note marks: an encyclopedia's "[5]" after a sentence, copied or saved with its text, and a
footnote's superscript "¹" after a word.

Left in, a quoted sentence would carry a "[5]" that reads as the answer's own citation marker
(and links to another source), and ".[5] She" would not end a sentence; a superscript read as
text glues its digits to the word ("profit1"), which then matches no question and reads as a
figure.
"""

from __future__ import annotations

import re

# Bracketed numbers right after the end of a sentence or clause, or an editor's remark after a
# word ("[citation needed]", "[original research?]", "[when?]"): "founded in 1952.[5][6] She",
# "the same year,[3] the". Not numbers after a letter: "arr[0]" and "x[i]" are code.
_NOTE_MARK = re.compile(
    r"(?<=[.,;:!?)\"'’”])(?:\[\d{1,3}\])+"
    r"|(?<=\S)(?:\[(?:[a-z]+ ){0,2}needed\]|\[[a-z ]{2,25}\?\]"
    r"|\[(?:update|vague|failed verification|dubious[^]]{0,20})\])+"
)


def without_note_marks(text: str) -> str:
    return _NOTE_MARK.sub("", text)


def is_note_mark(text: str) -> bool:
    """Whether an element's whole text is a note mark ("[5]", "[a]", "[note 2]")."""
    return _WHOLE_MARK.fullmatch(text.strip()) is not None


_WHOLE_MARK = re.compile(r"\[(?:\d{1,3}|[a-z]|note \d{1,3}|citation needed)\]", re.IGNORECASE)


def is_footnote_mark(superscript: str, before: str) -> bool:
    """Whether superscript text is a footnote's mark, given the text it follows: digits ("1",
    "2,3") after a word of three letters or more, or after a mark ending a sentence or clause
    ("in 2024.²"). Not a formula's ("CO₂": after a capital) nor a unit's ("km²")."""
    return bool(_FOOTNOTE_MARK.fullmatch(superscript.strip()) and _MARKED.search(before))


_FOOTNOTE_MARK = re.compile(r"\d{1,3}(?:[,–-]\d{1,3})*")
_MARKED = re.compile(r"(?:(?<![A-Za-z])[A-Za-z][a-z]{2,}|[.,;:!?)\"'’”])\Z")
