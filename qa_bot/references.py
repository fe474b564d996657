"""Questions that name a numbered part of a document: "What does clause 3.2 say?", "step 3",
"the third step", "Section IV".

Neither search side can find such a part by its number: BM25 drops one-character terms and
reads "3.2" as "3" and "2", and the embedding model barely sees numbers. A part is found instead
by a pattern for a line that opens with its number ("3.2. Late payments…", "Step 3: Bake",
"IV. Remedies"), which Chroma runs over the stored chunks and the answerer over their sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.keyword import QUESTION_WORDS, terms

# Words a document numbers its parts by; a line may open with the number alone ("3.2.").
_NUMBERING_LABELS = (
    "article",
    "chapter",
    "clause",
    "item",
    "paragraph",
    "para",
    "part",
    "point",
    "question",
    "rule",
    "section",
    "step",
    "subsection",
)
# Words a document names its parts by: the line says "Appendix A", "Schedule 2", "Table 3".
_NAMING_LABELS = ("annex", "appendix", "exhibit", "figure", "schedule", "table")
_LABEL = r"(?:" + "|".join(_NUMBERING_LABELS) + r")"
_ANY_LABEL = r"(?:" + "|".join(_NUMBERING_LABELS + _NAMING_LABELS) + r")"
# 3, 3.2, 12.3.4; or a Roman numeral of two letters or more (a lone "I" or "V" reads as a word).
_NUMBER = r"(?:\d{1,3}(?:\.\d{1,3})*|(?=[ivx]{2})x{0,3}(?:ix|iv|v?i{0,3}))"
_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_CARDINALS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
_WORD_NUMBERS = {word: i + 1 for words in (_ORDINALS, _CARDINALS) for i, word in enumerate(words)}

# "(b)" of "clause 3.2(b)", "(1)" of "Article 5(1)": an item within the part.
_SUB = r"(?:\s?\((?P<sub>[a-z]|\d{1,2}|[ivx]{1,4})\))?"
# A capital letter names a part only beside its label, and the document's line must say both.
_NAMED = re.compile(
    rf"(?:\b(?P<label>{_ANY_LABEL})s?|(?P<section_sign>§))\s*\[?"
    rf"(?P<number>{_NUMBER}|(?-i:[A-Z]))(?![\w.]*\d)\]?{_SUB}(?:[.,;:?!)]|\s|$)",
    re.IGNORECASE,
)
_WORDED = re.compile(
    rf"\bthe\s+(?P<ordinal>{'|'.join(_ORDINALS)})\s+(?P<label>{_LABEL})\b"
    rf"|\b(?P<label2>{_LABEL})\s+(?P<cardinal>{'|'.join(_CARDINALS)})\b",
    re.IGNORECASE,
)
# "What does 3.2 say?": a bare dotted number is a part only when the question asks what it says.
_BARE = re.compile(
    rf"(?<![\w.])(?P<number>\d{{1,3}}(?:\.\d{{1,3}})+){_SUB}\.?\s+"
    r"(?:says?|states?|covers?|means?|provides?|requires?|contains?|sets? out)\b",
    re.IGNORECASE,
)
_OPENING = re.compile(
    rf"[ \t]*(?:(?P<label>{_LABEL})[ \t]+|§[ \t]*)?[(\[]?(?P<number>{_NUMBER})"
    r"(?P<mark>[.:)\]]?)(?:\s|$|[-–—])",
    re.IGNORECASE,
)
# A sentence opening an item of a list within a part: "(b) …", "b) …", "(iv) …".
_ITEM = re.compile(r"\s*(?:\([a-z]{1,4}\)|[a-z]\))\s", re.IGNORECASE)
# "[3]": a paper's marker of an entry in its list of references.
_CITED = re.compile(
    r"(?:\b(?:references?|refs?\.?|citations?|sources?)\s*)?\[(?P<number>\d{1,3})\]", re.I
)
# "And 4.1?": a dotted number that is all a question names.
_DOTTED = re.compile(rf"(?<![\w.])(?P<number>\d{{1,3}}(?:\.\d{{1,3}})+)(?![\w%]|\.\d){_SUB}")
# Words that ask for a part's text and nothing in particular about it, besides the words that
# shape any question.
_LOOKUP_TERMS = (
    QUESTION_WORDS
    | terms(
        [
            "is are was were under may per according "
            "say says state states cover covers mean means provide provides require requires "
            "contain contains set sets tell show read quote give full text whole exact wording "
            "please summarise summarize summary explain describe outline about"
        ]
    )[0]
)


@dataclass(frozen=True)
class Reference:
    """A numbered part a question names: its number as written ("3.2", "iv", "a"), its label,
    and an item within it ("b" of "clause 3.2(b)")."""

    number: str
    label: str = ""
    # What the question asks beyond naming the part ("Who pays under clause 3.1?" -> "Who
    # pays under"); empty when it only asks what the part says.
    rest: str = ""
    sub: str = ""
    # Named in words ("the first point"): a document may count its parts without numbering them.
    worded: bool = False

    def __str__(self) -> str:
        sub = f"({self.sub})" if self.sub else ""
        number = self.number.upper() if self.by_label else self.number
        return f"{self.label} {number}{sub}".strip()

    @property
    def by_label(self) -> bool:
        """The document's line names the part with its label: "Appendix A", "Table 3"."""
        return self.label in _NAMING_LABELS or self.number.isalpha() and len(self.number) == 1

    def asked_terms(self) -> frozenset[str]:
        """The terms of what the question asks beyond naming the part: none for "What does
        clause 3.2 say?", {"pay"} for "Who pays under clause 3.1?"."""
        return terms([self.rest])[0] - _LOOKUP_TERMS

    @property
    def pattern(self) -> str:
        """A line that opens with this number: "3.2.", "3.2 Payment", "Clause 3.2:", "(3)",
        "Step 3", "IV. Remedies", but not "3 people" or "3.25"; for a part named by its label,
        a line opening with both: "Appendix A", "Table 3:". Written for both Python's re and
        Chroma's (Rust) regex, which has no look-around."""
        return rf"(?mi)^{self._line_start}"

    @property
    def _line_start(self) -> str:
        """The pattern, unanchored: what a sentence or line opens with."""
        number = re.escape(self.number)
        end = r"(?:\s|$|[-–—])"
        if self.by_label:
            return rf"[ \t]*{re.escape(self.label)}[ \t]+{number}[.:)\]]?{end}"
        openings = [
            rf"(?:{_LABEL}[ \t]+|§[ \t]*)[(\[]?{number}[.:)\]]?{end}",
            rf"[(\[]?{number}[.:)\]]{end}",
        ]
        if "." in self.number:
            openings.append(rf"{number}{end}")
        return rf"[ \t]*(?:{'|'.join(openings)})"

    def mentioned_in(self, text: str) -> bool:
        """The number appears in the text at all ("under Article 65 of the treaty")."""
        number = re.escape(self.number)
        return re.search(rf"(?<![\w.]){number}(?![\w]|\.\d)", text, re.IGNORECASE) is not None

    def only_listed_in(self, text: str) -> bool:
        """Every line of `text` that opens this part is an entry of a list of parts, as a
        table of contents is: the line after it opens another part, not one of this one's
        (or, at the end of the text, the line before it opens one)."""
        lines = [line for line in text.splitlines() if line.strip()]
        openings = [i for i, line in enumerate(lines) if re.match(self.pattern, line)]

        def listed(i: int) -> bool:
            if i + 1 == len(lines):
                return i > 0 and opening_number(lines[i - 1]) is not None
            number = opening_number(lines[i + 1])
            return number is not None and not number.startswith(f"{self.number}.")

        return bool(openings) and all(map(listed, openings))

    def opens(self, text: str) -> bool:
        """The sentence `text` opens this part."""
        if self.by_label:
            return re.match(self._line_start, text, re.IGNORECASE) is not None
        return opening_number(text) == self.number

    def encloses(self, text: str, opening: str) -> bool:
        """The sentence `text`, after the part's `opening` sentence, still belongs to the part:
        it opens with no number, with the number of a part of this part (3.2.1 of 3.2), or with
        a number in brackets after an opening without ("(2)" in "Article 5")."""
        if self.by_label:
            return re.match(rf"[ \t]*{re.escape(self.label)}[ \t]+\w", text, re.I) is None
        number, bracketed = _opening(text)
        if number is None or bracketed and not _opening(opening)[1]:
            return True
        return number.startswith(f"{self.number}.")

    def item_in(self, part: list[str]) -> list[int]:
        """Which of a part's sentences are its item (b), for "clause 3.2(b)": from the one
        opening with "(b)", "b)" or "b." up to the next item or part, or else the one sentence
        that has "(b)" in it."""
        sub = re.escape(self.sub)
        for index, text in enumerate(part):
            if re.match(rf"\s*(?:\({sub}\)|{sub}[.)])(?:\s|$)", text, re.IGNORECASE):
                end = index + 1
                while end < len(part) and not _ITEM.match(part[end]) and not _opening(part[end])[0]:
                    end += 1
                return list(range(index, end))
        return [i for i, text in enumerate(part) if f"({self.sub})" in text.lower()][:1]


def find_reference(question: str) -> Reference | None:
    """The numbered part the question names, if it names one."""
    match = _NAMED.search(question)
    if match:
        label = (match.group("label") or "section").lower()
        number = match.group("number")
        number = number if len(number) == 1 and number.isalpha() else number.lower()
        return Reference(number, label, _without(question, match), _sub(match))
    match = _WORDED.search(question)
    if match:
        word = (match.group("ordinal") or match.group("cardinal")).lower()
        label = (match.group("label") or match.group("label2")).lower()
        return Reference(str(_WORD_NUMBERS[word]), label, _without(question, match), worded=True)
    match = _CITED.search(question)
    if match:  # "What is [3]?": a paper's reference by its marker
        return Reference(match.group("number"), "reference", _without(question, match))
    match = _BARE.search(question) or _DOTTED.search(question)
    if match:
        end = match.end("sub") + 1 if match.group("sub") else match.end("number")
        rest = f"{question[: match.start('number')]} {question[end:]}".strip()
        reference = Reference(match.group("number"), "", rest, _sub(match))
        if match.re is _BARE or not reference.asked_terms():
            return reference
    return None


def opening_number(sentence: str) -> str | None:
    """The number a sentence or line opens with, lowercased: "3.2" of "3.2. Late payments…"."""
    return _opening(sentence)[0]


def _opening(sentence: str) -> tuple[str | None, bool]:
    """opening_number, and whether the number is in brackets: "(2) …"."""
    match = _OPENING.match(sentence)
    if match is None:
        return None, False
    number = match.group("number").lower()
    bracketed = match.group(0).lstrip().startswith(("(", "["))
    # "3 people died" opens with a count, not a part: a bare number needs its mark or label.
    if match.group("mark") or "." in number or bracketed or match.group(0).lstrip()[0] == "§":
        return number, bracketed
    return (number, bracketed) if match.group("label") else (None, False)


def _sub(match: re.Match[str]) -> str:
    return (match.group("sub") or "").lower()


def _without(question: str, match: re.Match[str]) -> str:
    return f"{question[: match.start()]} {question[match.end() :]}".strip()
