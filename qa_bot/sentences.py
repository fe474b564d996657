"""Sentence-level evidence: how well each sentence of some chunks answers a question.

A sentence scores by its embedding similarity to the question (vectors precomputed at ingest)
plus (weighted) the share of the question's terms it contains, each term weighted by how rare it
is among the candidate sentences, so the article's subject, present everywhere, counts little. The
retriever ranks chunks by their best sentence; the extractive answerer quotes the best one.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from qa_bot.embeddings import unpack_vectors
from qa_bot.keyword import question_terms, terms

# Extra credit for a sentence holding the kind of thing the question asks for.
TYPE_BONUS = 0.2
# Extra credit for a sentence whose range holds the quantity the question names: "1 to 3
# years" for "a 2 year old" (a dose table's rows differ in little else, and the reranker reads
# no arithmetic).
RANGE_BONUS = 0.5
# How much the overlap counts beside the similarity. Chosen on squad-dev once question words
# stopped counting as terms (keyword.QUESTION_WORDS), which made every overlap larger: of 0.4,
# 0.6, 0.8 and 1.0, 0.6 gave the best answer_hit with the reranker, and beat 1.0 without it.
OVERLAP_WEIGHT = 0.6
_TIME_QUESTION = re.compile(
    r"\bwhen\b|\b(what|which) (year|decade|century|month|day|date|period)\b", re.IGNORECASE
)
_NUMBER_QUESTION = re.compile(
    r"\bhow (many|much|long|old|far|large|big|tall|high|often)\b"
    r"|\bwhat (percentage|percent|number|amount|proportion|fraction)\b",
    re.IGNORECASE,
)
# A question of price: what a sentence with a sum of money answers, where any figure would not
# ("How much is the HX40?" is "$249.99", not "5.7 lb"). Not a question of how much a price rose.
_MONEY_QUESTION = re.compile(
    r"\bhow much\b(?=.*\b(cost|costs|price|priced|pay|paid|charge|charged|fee|fees|spend|spent"
    r"|sell|sold|buy|bought|worth)\b)|\bhow much (is|are) (a|an|the|my|one)\b"
    r"|\bwhat (is|are|was|were) (the |its |their )?(price|cost|fee)s?\b|\bwhat does .*\bcost\b",
    re.IGNORECASE,
)
_CHANGE = re.compile(
    r"\b(increase|increased|rise|rose|risen|fall|fell|grow|grew|drop|dropped|vary|more|less"
    r"|percent|percentage|reduce|reduced)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\d\s?(EUR|USD|GBP|CHF|euros?|dollars?|pounds?|pence|cents?|yen|rupees?)\b"
    r"|\b(EUR|USD|GBP|CHF)\s?\d|\b(thousand|million|billion) (dollars|euros|pounds)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(1\d{3}|20\d{2})s?\b|\b(January|February|March|April|May|June|July|August|September"
    r"|October|November|December)\b|\bcentur",
)
NUMBER = re.compile(
    r"\d+|[½¼¾⅓⅔⅛⅜⅝⅞]|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred"
    r"|thousand|million|billion|dozen|half)\b",
    re.IGNORECASE,
)


_UNIT = (
    r"(years?|months?|weeks?|days?|hours?|minutes?|kg|kilos?|kilograms?|g|grams?|lbs?|pounds?"
    r"|stones?|ml|l|litres?|liters?|km|kilometres?|kilometers?|miles?|m|metres?|meters?|cm|mm)"
)
_QUANTITY = re.compile(rf"(\d+(?:\.\d+)?)[\s-]*{_UNIT}\b", re.IGNORECASE)
_RANGE = re.compile(
    rf"(\d+(?:\.\d+)?)\s*(?:{_UNIT}\s*)?(?:to|-|–|—)\s*(\d+(?:\.\d+)?)\s*{_UNIT}\b",
    re.IGNORECASE,
)


# "What did Ishaq Dar say?" is answered by what he said ("Ishaq Dar said that…"), not by what
# another said of him ("Wang Yi said that Ishaq Dar is the first…"): minutes and news reports
# name a speaker in most sentences.
SPEAKER_BONUS = 0.3
_REPORTING = (
    r"(?:say|says|said|tell|tells|told|state|states|stated|note|notes|noted|add|adds|added"
    r"|write|writes|wrote|mention|mentions|mentioned|announce|announces|announced|stress"
    r"|stressed|emphasi[sz]ed|reaffirmed|argued?|claim|claimed|warned|explained|remarked"
    r"|replied|report|reported|recall|recalled|urged|insisted|expressed|reiterated"
    r"|affirmed|underscored|highlighted|declared|asserted|observed|acknowledged|commented)"
)
# Asked of what was said, not of a claim or a work ("What did Luther write as an outline…?",
# "What did the IPCC say was mistaken?"): "say?", "say about …", "tell them on …".
_SPEAKER_QUESTION = re.compile(
    r"^\s*(?:and\s+)?what\s+(?:else\s+)?(?:did|does|do|has|have|had)\s+(?P<who>.+?)\s+"
    r"(?:say|said|tell|told|state|stated)(?:\s+(?:him|her|them|us|you))?"
    r"(?:\s*[?.]?\s*$|\s+(?:about|on|of|regarding|concerning)\b)",
    re.IGNORECASE,
)


# "What is CPEC 2.0?" is answered by the sentence that says what it is ("…launch CPEC 2.0, an
# upgraded phase of the corridor", "European Union law is a body of treaties…"), not by every
# sentence that names it.
DEFINITION_BONUS = 0.3
_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what|who)\s+(?:is|was|are|were)\s+(?:(?:a|an|the)\s+)?(?P<subject>[^?]{2,60}?)\s*\??\s*$",
    re.IGNORECASE,
)
_PRONOUNS = {"it", "he", "she", "they", "you", "i", "we"}  # who or what, named elsewhere


def _words(name: str) -> str:
    """A pattern of `name`'s words, however they are spaced or wrapped."""
    return r"\s+".join(map(re.escape, name.split()))


def _definition(query: str) -> re.Pattern[str] | None:
    """For "What is X?", a sentence saying what X is: "X is a…", "X (…) was the…", "X, an…"."""
    match = _DEFINITION_QUESTION.match(query)
    if match is None or match["subject"].lower() in _PRONOUNS | {"this", "that", "these", "those"}:
        return None
    subject = _words(match["subject"])
    return re.compile(
        rf"\b{subject}(?:\s*\([^)]*\))?(?:\s*,\s*(?:also\s+)?(?:a|an|the|one)\s"
        r"|\s+(?:is|was|are|were)\s+(?:a|an|the|one|also)\s|\s+(?:refers?\s+to|means|denotes)\s"
        # A title in apposition: "Philip I, Landgrave of Hesse", "Wang Yi, Minister of…".
        r"|\s*,\s*(?-i:(?:[A-Z][\w-]+\s+){1,3})of\s+(?-i:[A-Z]))",
        re.IGNORECASE,
    )


def _speaker(query: str) -> re.Pattern[str] | None:
    """For "What did the chair say about…?", a sentence in which the chair speaks: the name
    and a reporting verb within a few words after it ("The chair, Ms Osei, noted…"). Of
    several ("What did Wang Yi and Ishaq Dar say?"), a sentence in which any of them speaks."""
    found = speakers(query)
    if not found:
        return None
    return re.compile("|".join(pattern.pattern for pattern in found), re.IGNORECASE)


def _spoken_of(query: str) -> re.Pattern[str] | None:
    """For "What did Ishaq Dar say?", a sentence in which another speaks of him: "Wang Yi …
    said that Ishaq Dar is the first foreign minister…" is what was said of him."""
    names = "|".join(map(_words, speaker_names(query)))
    if not names:
        return None
    return re.compile(rf"\b{_REPORTING}\s+(?:that\s+)?(?:\w+\W+){{0,3}}?(?:{names})\b", re.I)


def speakers(query: str) -> list[re.Pattern[str]]:
    """Each speaker a "What did … say?" question names, as a pattern of a sentence in which
    that speaker speaks (see _speaker)."""
    return [
        re.compile(rf"\b{name}\b(?:\W+\w+){{0,6}}?\W+{_REPORTING}\b", re.IGNORECASE)
        for name in map(_words, speaker_names(query))
    ]


def speaker_names(query: str) -> list[str]:
    """Who a "What did … say?" question asks of: ["Wang Yi", "Ishaq Dar"] for "What did Wang
    Yi and Ishaq Dar say about…?"; none when one of them is a pronoun ("What did they say?")."""
    match = _SPEAKER_QUESTION.match(query)
    if match is None:
        return []
    found = []
    for who in re.split(r"\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+", match["who"]):
        who = re.sub(r"^(?:the|a|an|mr|mrs|ms|dr)\.?\s+", "", who, flags=re.IGNORECASE)
        if not who or who.lower() in _PRONOUNS | {"people"}:
            return []
        found.append(who)
    return found


def _in_range(query: str, text: str) -> bool:
    """A quantity of the question ("a 10 year old") lies in a range of the sentence ("10 to
    12 years"), in the same unit."""
    asked = [(float(n), _unit(unit)) for n, unit in _QUANTITY.findall(query)]
    if not asked:
        return False
    for low, first_unit, high, unit in _RANGE.findall(text):
        if first_unit and _unit(first_unit) != _unit(unit):
            continue  # "6 months to 2 years": of two units
        if any(u == _unit(unit) and float(low) <= n <= float(high) for n, u in asked):
            return True
    return False


def _unit(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 2 and word.endswith("s") else word


@dataclass(frozen=True)
class SentenceScore:
    doc_index: int
    start: int
    end: int
    text: str
    similarity: float
    overlap: float  # rarity-weighted share of the question's terms in the sentence
    score: float


def score_all(
    query: str, query_vector: np.ndarray, docs: list[Document], focus: str | None = None
) -> list[SentenceScore]:
    """Every sentence of every chunk, in document order (not sorted).

    With `focus` (the user's own words, when `query` is a follow-up rewritten to stand alone),
    terms the rewriting added count half: they find the passage, the question picks the sentence.
    """
    dimension = len(query_vector)
    found: list[tuple[int, int, int, str, float]] = []
    for doc_index, doc in enumerate(docs):
        spans = json.loads(doc.metadata.get("sentences", "[]"))
        packed = doc.metadata.get("sentence_vectors")
        vectors = unpack_vectors(packed, dimension) if packed else np.zeros((0, dimension))
        similarities = vectors @ query_vector if len(vectors) else []
        for (start, end), similarity in zip(spans, similarities, strict=False):
            found.append((doc_index, start, end, doc.page_content[start:end], float(similarity)))
    if not found:
        return []
    query_terms = question_terms(query)
    # A sentence says what it says of its document's subject: "Dust bin capacity | 0.6 litres"
    # in the Aero 300's guide holds "Aero 300" as much as its title does. (Shared by every
    # sentence of one document, the title's terms count little among them: see _rarity.)
    titles = terms([str(doc.metadata.get("title") or "") for doc in docs])
    sentence_terms = [
        held | titles[f[0]] for f, held in zip(found, terms([f[3] for f in found]), strict=True)
    ]
    weights = _rarity(query_terms.all, sentence_terms)
    if focus is not None:
        own = question_terms(focus).all
        weights = {t: w if t in own else w / 2 for t, w in weights.items()}
    wanted = _wanted_type(focus or query)
    speaker, spoken_of = _speaker(query), _spoken_of(query)
    definition = _definition(query)
    scores = []
    for (doc_index, start, end, text, similarity), held in zip(found, sentence_terms, strict=True):
        overlap = query_terms.share(held, weights)
        bonus = TYPE_BONUS if wanted is not None and _holds(wanted, text, query) else 0.0
        bonus += RANGE_BONUS if _in_range(focus or query, text) else 0.0
        if speaker is not None and speaker.search(text):
            bonus += SPEAKER_BONUS
        elif spoken_of is not None and spoken_of.search(text):
            bonus -= SPEAKER_BONUS
        bonus += DEFINITION_BONUS if definition is not None and definition.search(text) else 0.0
        scores.append(
            SentenceScore(
                doc_index,
                start,
                end,
                text,
                similarity,
                overlap,
                similarity + OVERLAP_WEIGHT * overlap + bonus,
            )
        )
    return scores


def best_per_doc(scores: list[SentenceScore], n_docs: int) -> list[float]:
    """Each chunk's best sentence score (0 for a chunk without sentences)."""
    best = [0.0] * n_docs
    for s in scores:
        best[s.doc_index] = max(best[s.doc_index], s.score)
    return best


def _rarity(query_terms: frozenset[str], sentence_terms: list[frozenset[str]]) -> dict[str, float]:
    n = len(sentence_terms)
    return {
        term: math.log(1.0 + n / (1.0 + sum(term in held for held in sentence_terms)))
        for term in query_terms
    }


def _wanted_type(query: str) -> re.Pattern[str] | None:
    if _MONEY_QUESTION.search(query) and not _CHANGE.search(query):
        return _MONEY
    if _NUMBER_QUESTION.search(query):
        return NUMBER
    if _TIME_QUESTION.search(query):
        return _TIME
    return None


def _holds(pattern: re.Pattern[str], text: str, query: str) -> bool:
    """The sentence holds a date or number that the question itself does not mention."""
    asked = query.lower()
    return any(match.group(0).lower() not in asked for match in pattern.finditer(text))
