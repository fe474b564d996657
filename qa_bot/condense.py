"""Follow-up questions: turn "When was he born?" into a query that stands on its own.

Offline there is no model to rewrite the question, so this carries the subject of the
conversation forward: a pronoun is replaced by the last named subject, and an elliptic
question ("Where will the next round be held?") gets the earlier topic appended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.runnables import RunnableLambda

from qa_bot.answers import is_declined
from qa_bot.embeddings import WordVectors, word_likeness
from qa_bot.overview import find_overview
from qa_bot.references import find_reference
from qa_bot.sentences import speaker_names

# "And the FAQ?" after "Summarize the handbook": the same request, of another document.
_ANOTHER = re.compile(r"(?:and|what\s+about|how\s+about)\s+(?P<subject>[^?]+?)[\s?.]*", re.I)
# "What if I've already made a claim?": the previous question, asked on that condition.
_WHAT_IF = re.compile(r"(?:(?:and|but|so)\s+)?what\s+if\s+(?P<condition>[^?]+?)[\s?.]*", re.I)
# Words that open a question of its own: "And how heavy is it?" asks something new.
_ASKING = frozenset(
    """
    how what who whom whose when where why which am is are was were do does did can could will
    would should shall must might has have had
    """.split()
)
# Requests that open a question with a capital: "Summarize the handbook" names no "Summarize".
_REQUESTS = {"summarize", "summarise", "describe", "explain", "list", "give", "show", "define"}
_MONTHS = frozenset(
    """
    january february march april may june july august september october november december
    """.split()
)
_PREPOSITIONS = {
    *("about", "for", "in", "on", "under", "with", "at", "from", "to", "during", "after"),
    *("before", "until", "within", "without", "by", "over"),
}
_ARTICLES = {"a", "an", "the", "my", "your", "our"}
# What a question ends by asking of: "…for escape of water?", "…against theft?".
_ASKED_OF = re.compile(
    r"\b(?:for|against|about|of|on|from|with|by|in|to)\s+(?:(?:the|my|your|our|a|an)\s+)?"
    r"(?P<object>(?:[\w'’-]+\s+){0,3}[\w'’-]+)\s*(?P<end>[?.]?)$",
    re.IGNORECASE,
)
# How alike a word of the previous question must be to the word a follow-up names in its
# place ("adoption" to "paternity": 0.50), and by how much more than any other word.
WORD_LIKENESS = 0.35
WORD_MARGIN = 0.05
_MODEL_NUMBER = re.compile(r"\b\d{2,4}\b")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A word, a number, or a time of day ("14:00", "2pm": one word each).
_WORD = re.compile(r"[A-Za-z][\w'’-]*|\d{1,2}(?::\d\d)?[aApP][mM]\b|\d{1,2}:\d\d\b|\d[\d,.]*")
_SUBJECT_PRONOUNS = {"he", "she", "it", "they", "him", "them"}
_POSSESSIVES = {"his", "her", "its", "their"}
_PERSONAL = {"he", "she", "him", "her", "his"}
_OTHER_REFERENCES = {"this", "that", "these", "those", "there", "then", "hers", "theirs"}
# A request for more of the last answer, naming nothing: "What else?", "Anything more?"
_JUST_MORE = re.compile(
    r"(?:and\s+)?(?:(?:what|anything|something)\s+(?:else|more)|(?:tell|give|show)\s+(?:me|us)"
    r"\s+more|more(?:\s+please)?|go\s+on|continue)[\s?.!]*",
    re.IGNORECASE,
)
# Words that lean on an earlier turn: "the next round", "what else", "the same year".
_ELLIPSIS = {"next", "previous", "last", "same", "another", "else", "too", "also", "instead"}
# Words that frame a question rather than name its subject: those that open one, and these.
_QUESTION_WORDS = (
    _ASKING
    | frozenset(
        """
        a an the and or of to for by with from about as in on at according during after before
        be been i you we me my your our tell more also other else what's who's where's when's
        how's
        """.split()
    )
    | _SUBJECT_PRONOUNS
    | _POSSESSIVES
    | _OTHER_REFERENCES
)

# Words that say no kind of a thing: "the damage", "cover damage".
_NOT_A_KIND = _QUESTION_WORDS | _ARTICLES | _PREPOSITIONS | _ASKING | {"cover", "covered"}

# Whom a pronoun means after "Who is Nora's brother?": "he" is the brother, "she" Nora.
_MALE = frozenset(
    """
    brother father son husband uncle nephew grandfather grandson boyfriend king prince dad
    stepfather stepson
    """.split()
)
_FEMALE = frozenset(
    """
    sister mother daughter wife aunt niece grandmother granddaughter girlfriend queen princess
    mum mom stepmother stepdaughter
    """.split()
)
_PLURAL = frozenset(
    """
    parents children siblings brothers sisters sons daughters cousins grandparents grandchildren
    """.split()
)
_POSSESSIVE = re.compile(r"(.+?)['’]s")


@dataclass(frozen=True)
class _Subject:
    """What the conversation is about: a name, and what of it was asked ("Nora's brother")."""

    name: str
    owned: str = ""
    named: bool = True
    owner: bool = False  # named with "'s": "Luther's translation" is about Luther

    def __str__(self) -> str:
        return f"{self.name}'s {self.owned}" if self.owned else self.name

    def meant_by(self, pronoun: str) -> str:
        """The owner, or the relative asked about when the pronoun fits them."""
        if pronoun in {"he", "him", "his"}:
            relatives = _MALE
        elif pronoun in {"she", "her"}:
            relatives = _FEMALE
        else:
            relatives = _PLURAL if pronoun in {"they", "them", "their"} else set()
        return str(self) if self.owned.rsplit(" ", 1)[-1] in relatives else self.name


@dataclass(frozen=True)
class Turn:
    """One exchange of the conversation, as the condenser and the prompts see it."""

    question: str
    standalone: str
    answer: str


def condense(question: str, history: list[Turn], vectors: WordVectors | None = None) -> str:
    """The follow-up `question` as a query that stands on its own. With `vectors`, "And for
    adoption?" after a question on paternity leave asks it of adoption leave."""
    question = question.strip()
    if not history:
        return question
    previous = history[-1].standalone
    other = _another(question)
    if other and find_overview(previous) is not None:
        return f"Summarize {other}"
    if other is None and find_overview(question) is not None:
        return question  # "What is this document about?": a request of its own, as asked
    if (condition := _WHAT_IF.fullmatch(question)) and find_overview(previous) is None:
        # "Can I cancel my policy?", "What if I've already made a claim?": it names no
        # subject, and alone it would find any passage on claims. A what-if after a what-if
        # puts its condition in place of the last one.
        asked = history[-1].question.strip()
        if (before := _WHAT_IF.fullmatch(asked)) and previous.endswith(f" if {before[1]}?"):
            previous = previous.removesuffix(f" if {before[1]}?")
        return f"{previous.rstrip(' ?.')} if {condition['condition']}?"
    if _JUST_MORE.fullmatch(question) and not is_declined(history[-1].answer):
        # "What else?", "Tell me more": the last question again, for what its answer left out
        # (the answerer leaves out what the conversation quoted).
        return previous
    earlier = find_reference(previous) if find_reference(question) is not None else None
    if earlier is not None:  # "And clause 3.3?" after clause 3.2: the old number must not stay
        previous = earlier.rest
    subject = _subject(previous)
    if other and earlier is None:
        return _asked_of(previous, subject, other, vectors)
    words = [w.lower() for w in _WORD.findall(question)]
    if _PERSONAL.intersection(words) and (speaker := _named_speaker(previous)):
        subject = speaker  # "What else did he say?" after "What did Wang Yi say about Venezuela?"
    elif not subject.named and _PERSONAL.intersection(words):
        # "Who is stepping down?", "Who will replace him?": he is whom the answer named.
        subject = _person_answered(history[-1].answer) or subject
    if not subject.named:  # "How long is the config valid for?" after a question on the VPN
        subject = next(
            (s for turn in reversed(history[:-1]) if (s := _subject(turn.standalone)).named),
            subject,
        )
    if not subject.name or subject.name.lower() in question.lower():
        return question
    if any(w in _SUBJECT_PRONOUNS | _POSSESSIVES for w in words):
        replaced = _replace_pronoun(question, subject)
        return replaced if replaced != question else f"{question} ({subject})"
    if any(w in _OTHER_REFERENCES | _ELLIPSIS for w in words):
        return f"{question} ({subject})"
    if len(_content(words)) <= 1 and not _named(question):
        # "Why?", "How much?"; not "What is CPEC?", which names what it asks of.
        return f"{question} ({subject})"
    return question


def _person_answered(answer: str) -> _Subject | None:
    """The person an answer's first sentence names first, by a name of two or three words
    ("David Chen will step down as CFO [1]."); None for a declined question."""
    if is_declined(answer):
        return None
    first = re.split(r"(?<=[.!?])\s|\s*\[\d+\]", answer.strip(), maxsplit=1)[0]
    for named in _named(first):
        words = named.name.split()
        person = 2 <= len(words) <= 3 and words[0] not in {"The", "A", "An"}
        if person and all(word[0].isupper() and word.isalpha() for word in words):
            return _Subject(named.name)
    return None


def _named_speaker(query: str) -> _Subject | None:
    """The one person a "What did … say?" question names as speaking: "he" means the speaker,
    not the longer name of what was spoken about."""
    names = speaker_names(query)
    if len(names) == 1 and [str(n) for n in _named(names[0])] == names:
        return _Subject(names[0])
    return None


def in_context(question: str, history: list[Turn]) -> str | None:
    """The question with the conversation's subject added: the search for a follow-up that
    names nothing earlier ("Which models can I choose from?" after "How do I request a new
    laptop?") when the documents do not answer it as asked. None without a subject to add."""
    if not history:
        return None
    subject = _subject(history[-1].standalone)
    question = question.strip()
    if not subject.name or subject.name.lower() in question.lower():
        return None
    return f"{question} ({subject})"


def topic_of(question: str) -> str | None:
    """The topic of a question asking what the documents say of it: "What was said about
    terrorism?", "What does the report say on pensions?". Searched as asked, its other words
    ("both sides", "the report") find passages that have them, not the topic."""
    match = _TOPIC.fullmatch(question.strip())
    return match["topic"] if match else None


_SPEAKING = r"(?:say|said|mention(?:ed)?|write|written|state[ds]?|report(?:ed)?|note[ds]?|tell us)"
_TOPIC = re.compile(
    rf"(?:(?:what|anything)\s+(?:was|is|were|has\s+been|have\s+been)\s+{_SPEAKING}"
    r"|what\s+(?:did|do|does)\s+(?:both\s+sides|the\s+two\s+sides|both\s+parties|the\s+parties"
    r"|they|it|the\s+(?:documents?|reports?|articles?|texts?|papers?|files?|authors?))"
    rf"\s+{_SPEAKING})\s+(?:about|on|of|regarding|concerning)\s+(?P<topic>[^?]+?)[\s?.]*",
    re.IGNORECASE,
)


def _another(question: str) -> str | None:
    """What "And the Aero 200?" or "What about under the old policy?" asks about, if that is
    what the question is."""
    match = _ANOTHER.fullmatch(question)
    if match is None:
        return None
    other = match.group("subject")
    words = [w.lower() for w in _WORD.findall(other)]
    if not words or words[0] in _ASKING or not _content(words) and not _YEAR.search(other):
        return None  # "And how heavy is it?", "And why?": a question of its own
    if any(w in _SUBJECT_PRONOUNS | _POSSESSIVES for w in words):
        return None  # "And its warranty?": more of the same subject
    return other


def _asked_of(
    previous: str, subject: _Subject, other: str, vectors: WordVectors | None = None
) -> str:
    """The previous question asked of something else: its named subject or year swapped for
    the new one ("How heavy is the Aero 300?" -> "the 500 Pro"), or the word most like the
    new one, else the new one added."""
    named = re.sub(r"\s+ones?$", "", re.sub(r"^the\s+", "", other, flags=re.I))  # "the Bristol one"
    years, year = set(_YEAR.findall(previous)), _YEAR.search(other)
    # "What about 2022?" after "What was Brightwater's revenue in 2023?" asks of 2022, not of
    # a company called 2022.
    only_a_year = year is not None and not _content(_WORD.findall(other[: year.start()]))
    if only_a_year and len(years) == 1:
        return previous.replace(years.pop(), year.group(0))
    if subject.named and subject.name in previous and (named[:1].isupper() or named[:1].isdigit()):
        return previous.replace(subject.name, named, 1)
    if year and len(years) == 1:
        return previous.replace(years.pop(), year.group(0))
    # "And about holidays?" after "Who do I ask about payroll?": the same question, of holidays.
    first, _, rest = named.partition(" ")
    if first.lower() in _PREPOSITIONS and rest:
        asked_of = re.search(rf"\b{first}\s+(?:the\s+)?([^?,.;]+?)\s*([?.]?)$", previous, re.I)
        if asked_of is not None:
            return f"{previous[: asked_of.start()]}{named}{asked_of.group(2)}"
    # "and the 200?" after "how long is the warranty on the 500 pro": a model typed in lower
    # case is known by its number.
    numbers = set(_MODEL_NUMBER.findall(previous))
    if (number := _MODEL_NUMBER.fullmatch(named.split()[0])) and len(numbers) == 1:
        return re.sub(rf"\b{numbers.pop()}\b", number.group(0), previous, count=1)
    # "And during probation?" after "What is the notice period after probation?"
    if first.lower() in _PREPOSITIONS and rest:
        asked_of = re.search(
            rf"\b({'|'.join(_PREPOSITIONS)})(\s+(?:the\s+)?{re.escape(rest)}\b)", previous, re.I
        )
        if asked_of is not None:
            return f"{previous[: asked_of.start()]}{first}{previous[asked_of.end(1) :]}"
    # "What about storm damage?" after "Does the policy cover accidental damage?": another
    # kind of the same thing.
    kinds = named.split()
    kind = re.search(rf"\b([A-Za-z][\w'’-]*)\s+{re.escape(kinds[-1])}\b", previous, re.I)
    if (
        len(kinds) > 1
        and kind
        and kind.group(1).lower() not in _NOT_A_KIND | {*map(str.lower, kinds)}
    ):
        return f"{previous[: kind.start()]}{named}{previous[kind.end() :]}"
    swapped = _swapped(previous, named, vectors) if vectors is not None else None
    if swapped:
        return swapped
    # "What about storm damage?" after "Am I covered for burglary?": what the question ends
    # by asking of, "for burglary", is what the follow-up puts in its place.
    ends = _ASKED_OF.search(previous) if first.lower() not in _PREPOSITIONS else None
    if ends is not None:
        return f"{previous[: ends.start('object')]}{named}{ends.group('end')}"
    return f"{previous.rstrip(' ?.')} {other}?"


def _swapped(previous: str, named: str, vectors: WordVectors) -> str | None:
    """The previous question with its word most like the one word the follow-up names put in
    its place: "And for adoption?" after "How many days of paternity leave do I get?" asks of
    adoption leave, where adding the word leaves paternity leave the better match. None when
    no word is clearly like it ("And for contractors?": asked with the new words added)."""
    asked = {w.lower() for w in _WORD.findall(previous)}
    new = [
        w
        for w in _WORD.findall(named)
        if w.lower() not in _PREPOSITIONS | _ARTICLES and w.lower() not in asked
    ]
    candidates = list(dict.fromkeys(w for w in _content(_WORD.findall(previous)) if w.isalpha()))
    if len(new) != 1 or not candidates:
        return None
    likeness = word_likeness(vectors, [new[0]], candidates)[0]
    order = np.argsort(-likeness)
    best = float(likeness[order[0]])
    runner_up = float(likeness[order[1]]) if len(order) > 1 else 0.0
    if best < WORD_LIKENESS or best - runner_up < WORD_MARGIN:
        return None
    word = candidates[int(order[0])]
    return re.sub(rf"\b{re.escape(word)}\b", new[0], previous, count=1)


def make_condenser(vectors: WordVectors | None = None) -> RunnableLambda:
    """The chain step: {"question", "history"} -> standalone query."""

    def _run(inputs: dict[str, Any]) -> str:
        return condense(inputs["question"], list(inputs.get("history") or []), vectors)

    return RunnableLambda(_run, name="condense_question")


def _subject(query: str) -> _Subject:
    named = _named(query)
    if named:
        return max(named, key=lambda subject: len(subject.name) + 2 * subject.owner)
    content = _content([w for w in _WORD.findall(query)])
    return _Subject(" ".join(content[-4:]), named=False)


def _named(text: str) -> list[_Subject]:
    """Runs of capitalised words, not counting a capitalised first word that is a question word;
    a run that ends in a possessive keeps the noun after it ("Nora's brother")."""
    tokens = _WORD.findall(text)
    named, run = [], []
    for index, token in enumerate(tokens):
        capital = (
            token[0].isupper()
            and token.lower() not in _MONTHS  # "17 July 1505" is a date, not a name
            and not (index == 0 and token.lower() in _QUESTION_WORDS | _REQUESTS)
        )
        owner = _POSSESSIVE.fullmatch(token)
        proper = index + 1 < len(tokens) and tokens[index + 1][0].isupper()
        # A number in a name: "Aero 200", "Super Bowl 50", "the 500 Pro"; not a year before one,
        # nor what a name's possessive counts ("Luther's 95 Theses").
        after_owner = index > 0 and _POSSESSIVE.fullmatch(tokens[index - 1]) is not None
        leading = proper and not _YEAR.fullmatch(token) and not after_owner
        number = token[0].isdigit() and (bool(run) or leading)
        if owner and capital and not proper:
            run.append(owner.group(1))
            named.append(_Subject(" ".join(run), _owned(tokens[index + 1 :]), owner=True))
            run = []
        elif (
            number
            or capital
            and token.lower() not in _SUBJECT_PRONOUNS | _POSSESSIVES | {"i"}
            or (
                run
                and token.lower() in {"of", "de", "the"}
                and index + 1 < len(tokens)
                and tokens[index + 1][0].isupper()
            )
        ):
            run.append(token)
        else:
            if run:
                named.append(_Subject(" ".join(run)))
            run = []
    if run:
        named.append(_Subject(" ".join(run)))
    return named


def _owned(after: list[str]) -> str:
    """The relative a possessive name is asked about: "brother", "younger sister"; else ""."""
    for words in (after[:1], after[:2]):
        if words and words[-1] in _MALE | _FEMALE | _PLURAL and all(w.islower() for w in words):
            return " ".join(words)
    return ""


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in _QUESTION_WORDS | _REQUESTS and len(w) > 2]


def _replace_pronoun(question: str, subject: _Subject) -> str:
    if not subject.named:
        return question  # only a named subject reads naturally in place of a pronoun

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        meant = subject.meant_by(lower)
        if lower in _POSSESSIVES:
            return f"{meant}'s"
        return meant

    pattern = r"\b(he|she|it|they|him|them|his|her|its|their)\b"
    return re.sub(pattern, swap, question, count=1, flags=re.IGNORECASE)
