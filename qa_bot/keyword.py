"""The keyword side of hybrid retrieval: BM25 (bm25s) over chunk texts, saved beside the store.

The index is derived data: Chroma holds the truth, and the store rebuilds this index whenever the
version it was built from differs from the collection's current version.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np

log = logging.getLogger(__name__)

_META_FILE = "qa_bot_keyword.json"


class KeywordIndex(Protocol):
    version: str | None

    def build(self, ids: list[str], texts: list[str], version: str) -> None: ...

    def search(self, query: str, k: int) -> list[tuple[str, float]]: ...


@cache
def _stemmer():  # noqa: ANN202 - PyStemmer has no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


# Bumped when analyse() reads a text differently: an index saved by another is rebuilt.
ANALYSIS_VERSION = 5

# A contraction's ending, which the tokenizer would keep as a word of its own ("I've": "ve"):
# "ve", "re", "ll" and "don" matched nothing a question meant, and counted against a passage
# that lacked them. The apostrophe may be a typographer's (’), as a Word document has it.
# A negative contraction goes whole: its verb read as a term, "doesn't" matched every "What
# does…?" question (two squad-dev answers lost), and "not" is a stop word.
_NOT = re.compile(r"\b\w+n['’]t\b", re.IGNORECASE)
_ENDING = re.compile(r"(?<=\w)['’](?:ve|re|ll|d|m)\b", re.IGNORECASE)


def _uncontracted(text: str) -> str:
    text = _NOT.sub("not", text)
    return _ENDING.sub("", text)


# British and American spellings of a word read as one term: "organization" finds
# "organisation", "centers" "centres", "dialog" "dialogue".
# Chunks and questions are rewritten alike, so a word that only looks like one ("promise",
# "hundred") changes on both sides and still matches itself.
_SPELLINGS = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (r"(?<=\w\w\w)is(e|es|ed|ing|er|ers|ation|ations)\b", r"iz\1"),  # organise
        (r"(?<=\w\w)ys(e|es|ed|ing)\b", r"yz\1"),  # analyse
        (r"(?<=\w\w\w)our(s|ed|ing|er|ers|ite|ites|able|ful|less)?\b", r"or\1"),  # colour
        (r"(?<=\w\w[b-df-hj-np-tv-z])re(s?)\b", r"er\1"),  # centre, metres
        (r"(?<=\w\w[b-df-hj-np-tv-z])red\b", "ered"),  # centred
        (r"(?<=\w\w\w)ell(ed|ing|er|ers)\b", r"el\1"),  # travelled, modelling
        (r"\b(def|off|lic|pret)ence(s?)\b", r"\1ense\2"),  # defence
        (r"(?<=\w\w\w)(?:ogue)(s?)\b", r"og\1"),  # dialogue, catalogue
        (r"\bprogramme(s?)\b", r"program\1"),
    )
)


def _american(text: str) -> str:
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


def analyse(texts: list[str]) -> list[list[str]]:
    """Lowercased, stop-word-free, stemmed terms: the same analysis for chunks and queries."""
    tokens = bm25s.tokenize(
        [_american(_uncontracted(text)) for text in texts],
        stopwords="en",
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return [[_SAME_STEM.get(term, term) for term in doc] for doc in tokens]


# A noun and its verb that the stemmer keeps apart: "the date of Tesla's death" is answered by
# "Tesla died on 7 January 1943".
_SAME_STEM = {
    "death": "die",
    "dead": "die",
    "birth": "born",
    "marriag": "marri",
    "discoveri": "discov",
    "departur": "depart",
    "prioriti": "priorit",  # priorities, prioritise
}


class TermMemo:
    """analyse() as sets of terms, remembered for the most recent texts.

    The retriever and the answerer analyse the same question and sentences within one question,
    and the same chunks come back question after question: analysing them afresh was about a
    tenth of a question's time. A memo of a pure function, so sessions may share it.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> list[frozenset[str]]:
        found: dict[str, frozenset[str]] = {}
        with self._lock:
            for text in texts:
                if text in self._items:
                    self._items.move_to_end(text)
                    found[text] = self._items[text]
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = dict(zip(missing, map(frozenset, analyse(missing)), strict=True))
            found.update(fresh)
            with self._lock:
                self._items.update(fresh)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return [found[text] for text in texts]


# Some 8,000 sentences (about 1.3 million characters of documents) in about 20 MB.
terms = TermMemo(8_000)

# Words that shape a question but name nothing it is about, which bm25s's stop-word list keeps:
# "How many eggs do I need?" is about eggs. Not "may" (the month) nor "us" (the US).
QUESTION_WORDS = terms(
    [
        "what which who whom whose when where why how much many do does did can could would "
        "should shall must i me my you your we our he him his she her"
    ]
)[0]


# Words that frame a question or name the kind of answer it wants: a passage holding one is
# likelier to answer it, but the answer often does without ("How many eggs do I need?": "2
# eggs"; "What is the address?": "12 Harbour Road"; "In what year…?": "In 1905, …"). They
# count for a text that holds them and are not missed in one that does not.
HINT_WORDS = terms(
    [
        "have has had were been get got go goes need want take use "
        "name named called people address located location price cost number amount "
        "year date time step steps day days week weeks month months hour hours minute minutes "
        "say says said tell told mention mentioned write wrote written state stated"
    ]
)[0]


@dataclass(frozen=True)
class QuestionTerms:
    """The terms of a question that a passage answering it would share."""

    all: frozenset[str]
    hints: frozenset[str]  # of `all`: see HINT_WORDS

    def wanted(self, held: frozenset[str]) -> frozenset[str]:
        """The terms a text holding `held` is measured against: its hints only if it has them."""
        return self.all - (self.hints - held)

    def share(self, held: frozenset[str], weights: Mapping[str, float] | None = None) -> float:
        """The (weighted) share of the wanted terms that a text holding `held` has."""
        weight = weights.__getitem__ if weights is not None else lambda _: 1.0
        wanted = self.wanted(held)
        total = sum(map(weight, wanted))
        return sum(map(weight, wanted & held)) / total if total else 0.0


_TWELVE_HOUR = re.compile(r"\b(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))?\s?([ap])\.?m\b\.?", re.I)
# "14:00", "07:40", "14.30"; not a sum ("£14.30") nor a time the twelve-hour clock goes on.
_TWENTY_FOUR_HOUR = re.compile(
    r"(?<![\d:.£$€])([01]?\d|2[0-3])[:.]([0-5]\d)\b(?![.:]?\d)(?!\s?[ap]\.?m\b)", re.I
)


def _clock(match: re.Match[str]) -> tuple[int, int]:
    """The hour (0-23) and minute a time of day names."""
    hour, minute = int(match[1]), int(match[2] or 0)
    if match.re is _TWELVE_HOUR:
        hour = hour % 12 + (12 if match[3].lower() == "p" else 0)
    return hour, minute


def _times(text: str) -> list[re.Match[str]]:
    return [*_TWELVE_HOUR.finditer(text), *_TWENTY_FOUR_HOUR.finditer(text)]


def times_as_in(texts: list[str], passages: list[str]) -> list[str]:
    """The texts with a time of day written as the passages write it: "Who speaks at 2pm?"
    of a programme that has "14:00". The overlap that chooses the sentence, and the reranker,
    read the two as different words."""
    joined = " ".join(passages)
    found: dict[tuple[int, int], str] = {}
    for match in _times(joined):
        found.setdefault(_clock(match), match[0].strip())
    fixed = []
    for text in texts:
        for match in _times(text):
            asked = match[0].strip()
            written = found.get(_clock(match))
            if written is not None and not re.search(rf"(?<!\d){re.escape(asked)}", joined):
                text = text.replace(asked, written, 1)
        fixed.append(text)
    return fixed


# An acronym as a question or a passage writes it: "AGM", "HMRC". Not two letters: "PM" of
# "2 PM", "IT" are not "Project Manager", "Information Technology" often enough.
_ACRONYM = re.compile(r"\b[A-Z]{3,6}\b")
# Capitalised words in a row, which may be joined by small words or hyphens: "Annual General
# Meeting", "Department for Work and Pensions", "China-Pakistan Economic Corridor" (CPEC, as
# "Hewlett-Packard" is HP).
_NAME_RUN = re.compile(
    r"\b[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*"
    r"(?:\s+(?:(?:of|and|for|the|on|in|&)\s+)*[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*)+"
)
_JOINING = frozenset({"of", "and", "for", "the", "on", "in", "&", "The"})
# A question's first word, capitalised as one: "What British TV network…" names no "WBT".
_OPENING = frozenset(
    "what which who whom whose when where why how is are was were do does did can could will "
    "would should shall may might must has have had".split()
)


def _spelt_names(text: str) -> dict[str, str]:
    """The names a text spells out, by their initials: {"AGM": "Annual General Meeting"}."""
    names = _defined_names(text)
    for run in _NAME_RUN.finditer(text):
        every = list(re.finditer(r"[\w'’&]+", run[0]))
        capitals = [
            word for word in every if word[0] not in _JOINING and word[0].lower() not in _OPENING
        ]
        # Then with the small words' initials too: "Time and Relative Dimension in Space".
        named_words = {word.start() for word in capitals}
        for words in (capitals, every):
            for first in range(len(words)):
                for last in range(first + 2, min(first + 6, len(words))):
                    if not {words[first].start(), words[last].start()} <= named_words:
                        continue  # "Meeting of the" is no name
                    initials = "".join(word[0][0] for word in words[first : last + 1]).upper()
                    named = run[0][words[first].start() : words[last].end()]
                    names.setdefault(initials, named)
    return names


def _defined_names(text: str) -> dict[str, str]:
    """Names defined in lower case before their acronym: "the central business district (CBD)",
    "non-governmental organisations (NGOs)"."""
    names: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        acronym = match[2]
        words = list(re.finditer(r"[\w'’]+", match[1]))
        for first in range(len(words) - 1, -1, -1):
            tail = words[first:]
            for kept in (tail, [w for w in tail if w[0].lower() not in _SMALL]):
                initials = "".join(word[0][0] for word in kept).upper()
                if initials == acronym.rstrip("s") and kept and kept[0] is tail[0]:
                    names.setdefault(acronym, match[1][tail[0].start() :])
    return names


_DEFINED = re.compile(r"((?:[\w'’-]+\s+){1,7}?[\w'’-]+)\s+\(([A-Z]{2,6}s?)\)")
_SMALL = _JOINING | {"a", "an", "to"}


_STANDS_FOR = re.compile(
    r"\bstands?\s+for\b|\bshort\s+for\b|\b(?:abbreviation|acronym)\b|\bwhat\s+(?:does|do)\s+\S+\s+mean\b",
    re.IGNORECASE,
)


def acronyms_as_in(texts: list[str], passages: list[str]) -> list[str]:
    """The texts with a name written as the passages write it: "When is the AGM?" of minutes
    that say "Annual General Meeting", or "the Annual General Meeting" of minutes that say
    "AGM". Neither search side, nor the overlap that chooses the sentence, reads one as the
    other."""
    joined = " ".join(passages)
    spelt = _spelt_names(joined)
    fixed = []
    for text in texts:
        if sum(map(str.isupper, text.split())) * 2 > len(text.split()):
            fixed.append(text)  # "WHEN IS THE AGM?": shouted, not abbreviated
            continue
        # "What does BRI stand for?" asks for the name, wherever the passages also write "BRI".
        expanded = _STANDS_FOR.search(text) is not None
        for acronym in dict.fromkeys(_ACRONYM.findall(text)):
            if acronym in spelt and (expanded or not re.search(rf"\b{acronym}\b", joined)):
                text = re.sub(rf"\b{acronym}\b", spelt[acronym], text)
        for acronym, named in _spelt_names(text).items():
            if named not in joined and re.search(rf"\b{acronym}\b", joined):
                text = text.replace(named, acronym)
        fixed.append(text)
    return fixed


def respelled(texts: list[str], passages: list[str], words: frozenset[str]) -> list[str]:
    """The texts with a misspelt word ("milage", "warrenty") spelt as the passages spell it:
    a typo would zero the overlap that chooses the sentence and the coverage that confidence
    rests on, and leave the question's vector and the reranker reading another word. Only a
    word that is none of `words` (English: "occur" is no typo of "occup(ation)"), whose stem
    no passage has, a letter or two from one stem they have. Without `words`, none."""
    if not words:
        return texts
    written = _WORD_RE.findall(" ".join(passages))
    spelt: dict[str, str] = {}  # stem -> the passages' word for it
    for word, stem in zip(written, _stems(written), strict=True):
        spelt.setdefault(stem, word.lower())
    vocabulary = frozenset(spelt)
    fixed = []
    for text in texts:
        asked = _WORD_RE.findall(text)
        wanted = question_terms(text).all - vocabulary
        for word, stem in zip(asked, _stems(asked), strict=True):
            unknown = stem in wanted and word.lower() not in words
            near = _nearest(stem, vocabulary) if unknown else None
            if near is not None:
                fix = spelt[near].capitalize() if word[0].isupper() else spelt[near]
                text = re.sub(rf"\b{re.escape(word)}\b", fix, text)
        fixed.append(text)
    return fixed


def _stems(words: list[str]) -> list[str]:
    return _stemmer().stemWords([word.lower() for word in words])


_WORD_RE = re.compile(r"[A-Za-z]{4,}")


def _nearest(term: str, vocabulary: frozenset[str]) -> str | None:
    """The one term of `vocabulary` within a letter (two for a long term, a swap counting
    one) of `term`, and with its first letter; None if none, or several, are ("meiosi" is no
    typo of "mitosi")."""
    if len(term) < 5 or not term.isalpha():
        return None
    limit = 1 if len(term) < 9 else 2
    found = {
        word
        for word in vocabulary
        if word[0] == term[0]  # a typo seldom changes the first letter: "might" is no "right"
        and abs(len(word) - len(term)) <= limit
        and _distance(term, word, limit) <= limit
    }
    return found.pop() if len(found) == 1 else None


def _distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b, or limit + 1 once
    past the limit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return previous[-1]


def question_terms(question: str) -> QuestionTerms:
    found = terms([question])[0] - QUESTION_WORDS
    return QuestionTerms(found, found & HINT_WORDS)


class BM25Index:
    """BM25 over chunk texts, persisted as a folder, swapped in atomically on save."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.version: str | None = None
        # (chunk ids, retriever) replaced as one tuple, so a search in another thread never
        # pairs new ids with an old retriever.
        self._state: tuple[list[str], bm25s.BM25 | None] = ([], None)
        if folder is not None:
            self._load()

    def __len__(self) -> int:
        return len(self._state[0])

    def build(self, ids: list[str], texts: list[str], version: str) -> None:
        retriever = None
        if ids:
            # bm25s sets its own logger to DEBUG on import; its "Building index" line is noise.
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            retriever = bm25s.BM25()
            retriever.index(analyse(texts), show_progress=False)
        self._state = (list(ids), retriever)
        self.version = version
        self._save()

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        ids, retriever = self._state
        if retriever is None or not ids:
            return []
        terms = analyse([query])[0]
        if not terms:
            return []
        scores = retriever.get_scores(terms)
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def _save(self) -> None:
        if self.folder is None:
            return
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=self.folder.parent))
        ids, retriever = self._state
        if retriever is not None:
            retriever.save(str(staging))
        meta = {"version": self.version, "ids": ids, "analysis": ANALYSIS_VERSION}
        (staging / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        old = self.folder.with_name(f"{self.folder.name}.old-{staging.name}")
        try:
            if self.folder.exists():
                os.replace(self.folder, old)
            os.replace(staging, self.folder)
        except OSError as exc:
            # Another process on this machine saved the same index at the same moment (replicas
            # sharing a Chroma server and a folder). The file is only a cache: keep ours in memory.
            log.warning("keyword index not saved to %s: %s", self.folder, exc)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def _load(self) -> None:
        assert self.folder is not None
        meta_path = self.folder / _META_FILE
        if not meta_path.exists():
            return
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("analysis") != ANALYSIS_VERSION:
                return  # its terms are not a question's: the store rebuilds it
            ids = list(meta["ids"])
            retriever = bm25s.BM25.load(str(self.folder)) if ids else None
        except (OSError, ValueError, KeyError):
            return  # unreadable: treated as missing, the store rebuilds it
        self._state, self.version = (ids, retriever), meta.get("version")
