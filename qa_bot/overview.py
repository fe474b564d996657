"""Questions about a document as a whole: "What is this document about?", "Summarize the
handbook", "Give me an overview".

No passage resembles such a question, so a search finds nothing to quote and the bot would say
it cannot find what is plainly there. Instead the retriever hands over the named document's
opening chunks (or each document's first chunk), and the answerer quotes its opening and lists
its headings (answering.overview_answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.keyword import terms
from qa_bot.store import DocumentInfo

_ABOUT = re.compile(
    r"(?:so,?\s+|and\s+)?what(?:'s|’s|\s+is|\s+are|\s+was|\s+were)\s+(?P<subject>.+?)\s+"
    r"(?:all\s+)?about",
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    r"(?:(?:can|could|would)\s+you\s+|please\s+)?"
    r"(?:summari[sz]e|sum\s+up|give\s+(?:me\s+)?(?:a\s+|an\s+)?(?:short\s+|brief\s+|quick\s+)?"
    r"(?:summary|overview|outline|gist)(?:\s+of)?|(?:a\s+|an\s+)?(?:short\s+|brief\s+)?"
    r"(?:summary|overview|outline|gist)(?:\s+of)?|tl;?dr(?:\s+of)?)"
    r"(?P<subject>.*?)(?:,?\s+please)?",
    re.IGNORECASE,
)
_MAIN_POINTS = re.compile(
    r"what\s+(?:is|are)\s+the\s+(?:main|key)\s+(?:points?|ideas?|topics?|message|takeaways?)"
    r"\s+(?:of|in)\s+(?P<subject>.+)",
    re.IGNORECASE,
)
# Words that point at a document without naming it: "this", "the file", "my documents".
_POINTING = frozenset(
    "a all an everything it my our that the these this those your whole entire".split()
)
_MEANS_DOCUMENT = frozenset(
    "doc docs document documents file files text texts pdf pdfs upload uploads".split()
)


# Kinds of document: "the CPEC report" is the document named CPEC, whatever its file says it
# is; "the report" alone is the one whose name says report, or the only document there is.
_KINDS = frozenset(
    """
    report paper article handbook manual book guide faq minutes letter contract agreement memo
    notes policy story essay chapter brochure presentation slides thesis recipe proposal plan
    specification spec invoice resume cv transcript newsletter review syllabus statement
    """.split()
)


@dataclass(frozen=True)
class Overview:
    """A request for a document's gist. `names`: the words that name the document; `kinds`:
    the kind of document it says it is. Both empty when the question only points ("this
    document") or names nothing ("Summarize")."""

    names: frozenset[str]
    kinds: frozenset[str] = frozenset()

    def documents(self, documents: list[DocumentInfo]) -> list[DocumentInfo]:
        """The documents the question means (in the order given), or none: then the words
        name something in the text ("What was the Plos Pathogens paper about?"), not a
        document, and the question is answered as any other."""
        if self.names:
            return [info for info in documents if self.names <= _name_terms(info)]
        if self.kinds:
            named = [info for info in documents if self.kinds & _name_terms(info)]
            return named or (documents if len(documents) == 1 else [])
        return documents


def find_overview(question: str) -> Overview | None:
    text = question.strip().rstrip("?.! ")
    for pattern in (_ABOUT, _SUMMARY, _MAIN_POINTS):
        if match := pattern.fullmatch(text):
            break
    else:
        return None
    words = re.findall(r"[\w.-]+", match.group("subject").lower())
    if len(words) > 8:  # a question that only ends with "about", not one about a document
        return None
    if pattern is _ABOUT and not words:
        return None
    naming = [w for w in words if w not in _POINTING and w not in _MEANS_DOCUMENT]
    kinds = [w for w in naming if w in _KINDS]
    names = [w for w in naming if w not in _KINDS]
    return Overview(_terms(names), _terms(kinds))


def _terms(words: list[str]) -> frozenset[str]:
    return terms([" ".join(words)])[0] if words else frozenset()


def _name_terms(info: DocumentInfo) -> frozenset[str]:
    stem = info.file_name.rsplit(".", 1)[0]
    return terms([f"{info.title} {re.sub(r'[_.-]+', ' ', stem)}"])[0]
