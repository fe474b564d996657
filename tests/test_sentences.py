"""Sentence scoring on hand-made chunks: rarity-weighted overlap, focus, the date/number bonus."""

from __future__ import annotations

import json

import numpy as np
from langchain_core.documents import Document

from qa_bot.embeddings import pack_vectors
from qa_bot.keyword import (
    TermMemo,
    acronyms_as_in,
    analyse,
    question_terms,
    respelled,
    times_as_in,
)
from qa_bot.sentences import (
    DEFINITION_BONUS,
    OVERLAP_WEIGHT,
    RANGE_BONUS,
    TYPE_BONUS,
    best_per_doc,
    score_all,
)


def _chunk(*sentences: str) -> Document:
    text = " ".join(sentences)
    spans, cursor = [], 0
    for sentence in sentences:
        spans.append([cursor, cursor + len(sentence)])
        cursor += len(sentence) + 1
    vectors = np.zeros((len(sentences), 4), dtype=np.float32)  # similarity 0: overlap decides
    meta = {"sentences": json.dumps(spans), "sentence_vectors": pack_vectors(vectors)}
    return Document(page_content=text, metadata=meta)


QUERY_VECTOR = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)


def test_rare_terms_count_more_than_the_subject_everywhere() -> None:
    docs = [
        _chunk("Tesla lived in Paris.", "Tesla liked pigeons."),
        _chunk("Tesla was born in Smiljan.", "Tesla moved to America."),
    ]
    scores = score_all("Tesla born", QUERY_VECTOR, docs)  # two terms, no stop words
    best = max(scores, key=lambda s: s.score)
    assert best.text == "Tesla was born in Smiljan."
    # "tesla" is in all 4 sentences, "born" in 1: rarity log(1 + 4/5) vs log(1 + 4/2).
    tesla, born = np.log(1 + 4 / 5), np.log(1 + 4 / 2)
    assert abs(best.overlap - 1.0) < 1e-9
    lived = next(s for s in scores if s.text == "Tesla lived in Paris.")
    assert abs(lived.overlap - tesla / (tesla + born)) < 1e-9
    assert best_per_doc(scores, 2) == [lived.score, best.score]


def test_the_words_that_shape_a_question_are_not_terms_it_asks_about() -> None:
    assert question_terms("How many eggs?").all == {"egg"}
    assert question_terms("Where can you park, and what should we bring?").all == {"park", "bring"}
    # Words that double as names stay: the month, the country.
    assert question_terms("What did the US do in May?").all == {"us", "may"}
    # A sentence that holds all the question asks about matches it fully.
    docs = [_chunk("2 eggs", "300 ml milk")]
    eggs = max(score_all("How many eggs?", QUERY_VECTOR, docs), key=lambda s: s.score)
    assert eggs.text == "2 eggs"
    assert abs(eggs.overlap - 1.0) < 1e-9


def test_a_contractions_ending_is_no_term() -> None:
    # Read as words, "ve" and "don" matched nothing a question meant.
    assert question_terms("What if I've already made a claim?").all == {"alreadi", "made", "claim"}
    assert analyse(["We’re sure they'd sign; it can't wait, he won't."]) == [
        ["we", "sure", "sign", "wait", "he"]
    ]
    assert analyse(["I don't know O'Neill."]) == [["know", "neill"]]


def test_british_and_american_spellings_and_a_nouns_verb_are_one_term() -> None:
    for british, american in (
        ("organisation", "organization"),
        ("analysed", "analyzed"),
        ("colourful", "colorful"),
        ("centres", "centers"),
        ("travelled", "traveled"),
        ("defence", "defense"),
        ("dialogue", "dialog"),
        ("programme", "program"),
    ):
        assert analyse([british]) == analyse([american]), british
    # A noun and its verb that the stemmer keeps apart are one term too.
    assert analyse(["the date of the death", "a birth"]) == [["date", "die"], ["born"]]
    assert analyse(["He died in 1879, born in 1856."]) == [["he", "die", "1879", "born", "1856"]]
    # Short words that end alike are left as they are.
    assert analyse(["an hour for four tours; here, the crisis"]) == [
        ["hour", "four", "tour", "here", "crisi"]
    ]


def test_a_sentence_is_not_marked_down_for_lacking_the_words_that_frame_a_question() -> None:
    asked = question_terms("How many people does the recipe serve, and what do I need?")
    assert asked.all == {"peopl", "recip", "serv", "need"} and asked.hints == {"peopl", "need"}
    docs = [_chunk("This recipe serves 4.", "The recipe is quick.", "You need people.")]
    query = "How many people does the recipe serve, and what do I need?"
    scores = {s.text: s.overlap for s in score_all(query, QUERY_VECTOR, docs)}
    # "serves 4" holds all the question is about; the hints it lacks are not missed.
    assert abs(scores["This recipe serves 4."] - 1.0) < 1e-9
    assert scores["The recipe is quick."] < scores["This recipe serves 4."]
    # A sentence that holds a hint is measured against it.
    assert 0 < scores["You need people."] < 1
    assert asked.share(frozenset({"recip", "serv"})) == 1.0
    assert asked.share(frozenset({"recip", "need"})) == 2 / 3
    # "How many days…?" is answered in weeks as well: a unit of time is a hint.
    query = "How many days of paternity leave do I get?"
    docs = [_chunk("You get two weeks' paternity leave.", "Give 28 days' notice of leave.")]
    scores = {s.text: s.overlap for s in score_all(query, QUERY_VECTOR, docs)}
    assert scores["You get two weeks' paternity leave."] == 1.0


def test_terms_added_by_condensing_count_half() -> None:
    docs = [_chunk("The dialogue was co-chaired by Wang Yi.", "The next round is in Islamabad.")]
    query = "Where is the next round? (co-chaired dialogue)"
    plain = max(score_all(query, QUERY_VECTOR, docs), key=lambda s: s.score)
    focused = max(
        score_all(query, QUERY_VECTOR, docs, focus="Where is the next round?"),
        key=lambda s: s.score,
    )
    assert plain.text.startswith("The dialogue")
    assert focused.text == "The next round is in Islamabad."


def _bonuses(query: str, docs: list[Document]) -> dict[str, float]:
    return {
        s.text: round(s.score - s.similarity - OVERLAP_WEIGHT * s.overlap, 9)
        for s in score_all(query, QUERY_VECTOR, docs)
    }


def test_dates_and_numbers_the_question_asks_for_earn_a_bonus() -> None:
    docs = [_chunk("The war began in 1754.", "Three forts fell.", "It began with a skirmish.")]
    assert _bonuses("When did the war begin?", docs) == {
        "The war began in 1754.": TYPE_BONUS,
        "Three forts fell.": 0.0,
        "It began with a skirmish.": 0.0,
    }
    assert _bonuses("How many forts fell?", docs) == {
        "The war began in 1754.": TYPE_BONUS,
        "Three forts fell.": TYPE_BONUS,
        "It began with a skirmish.": 0.0,
    }
    assert set(_bonuses("What began the war?", docs).values()) == {0.0}


def test_a_range_that_holds_the_quantity_asked_earns_a_bonus() -> None:
    rows = ["Age: 1 to 3 years | Dose: 5 ml", "Age: 4 to 6 years | Dose: 7.5 ml"]
    rows += ["Age: 6 months to 2 years | Dose: 4 ml", "Weight: 10-14 kg | Dose: 5 ml"]
    docs = [_chunk(*rows)]
    assert _bonuses("What is the dose for a 2 year old?", docs) == {
        "Age: 1 to 3 years | Dose: 5 ml": RANGE_BONUS,
        "Age: 4 to 6 years | Dose: 7.5 ml": 0.0,
        "Age: 6 months to 2 years | Dose: 4 ml": 0.0,  # of two units: not read
        "Weight: 10-14 kg | Dose: 5 ml": 0.0,  # another unit
    }
    assert _bonuses("And for a child of 12 kg?", docs)["Weight: 10-14 kg | Dose: 5 ml"] == (
        RANGE_BONUS
    )
    # A year that the question already names is no answer to it.
    assert set(_bonuses("When in 1754 did the war begin?", docs).values()) == {0.0}


def test_the_sentence_that_says_what_a_thing_is_earns_a_bonus() -> None:
    docs = [
        _chunk(
            "Both sides agreed to launch CPEC 2.0, an upgraded phase of the corridor.",
            "Security under CPEC 2.0 was discussed.",
            "The Kestrel Trust (founded 1990) is a charity for birds of prey.",
            "The Kestrel Trust counted 31 pairs.",
        )
    ]
    bonuses = _bonuses("What is CPEC 2.0?", docs)
    assert bonuses["Both sides agreed to launch CPEC 2.0, an upgraded phase of the corridor."] == (
        DEFINITION_BONUS
    )
    assert set(bonuses.values()) == {0.0, DEFINITION_BONUS}
    assert _bonuses("What was the Kestrel Trust?", docs) == {
        "Both sides agreed to launch CPEC 2.0, an upgraded phase of the corridor.": 0.0,
        "Security under CPEC 2.0 was discussed.": 0.0,
        "The Kestrel Trust (founded 1990) is a charity for birds of prey.": DEFINITION_BONUS,
        "The Kestrel Trust counted 31 pairs.": 0.0,
    }
    # A title in apposition says who someone is; a list of names does not.
    docs = [
        _chunk(
            "In 1529 Philip I, Landgrave of Hesse, convoked an assembly.",
            "Philip I, Luther and Bucer of Zurich met.",
        )
    ]
    assert _bonuses("Who was Philip I?", docs) == {
        "In 1529 Philip I, Landgrave of Hesse, convoked an assembly.": DEFINITION_BONUS,
        "Philip I, Luther and Bucer of Zurich met.": 0.0,
    }
    # Only of a question that names nothing but its subject, and names it.
    assert set(_bonuses("What is it?", docs).values()) == {0.0}
    assert set(_bonuses("What is the Kestrel Trust's count?", docs).values()) == {0.0}


def test_remembered_terms_match_a_fresh_analysis() -> None:
    memo = TermMemo(size=3)
    texts = ["Tesla liked pigeons.", "Pigeons liked Tesla!", "Tesla liked pigeons.", "the and of"]
    assert memo(texts) == [frozenset(t) for t in analyse(texts)]
    assert memo(texts)[3] == frozenset()  # stop words only
    assert memo(["New York is large.", "Rivers flow."]) == [
        frozenset({"new", "york", "larg"}),
        frozenset({"river", "flow"}),
    ]
    assert len(memo._items) == 3  # the oldest texts made way
    assert memo(["Tesla liked pigeons."]) == [frozenset({"tesla", "like", "pigeon"})]


def test_a_misspelt_word_is_read_as_the_passages_spell_it() -> None:
    passages = ["4.4 Mileage is paid at 45p per mile. Keep your receipts. There is no cap."]
    english = frozenset("what is the rate do i need where cap meiosis parking mitosis".split())
    assert respelled(["What is the milage rate?", "do i need reciepts"], passages, english) == [
        "What is the mileage rate?",
        "do i need receipts",
    ]
    # Not a word of English ("where" is no typo of "there"), nor a word a letter from another
    # ("meiosis" is no typo of "mitosis"), nor a word the passages lack altogether.
    for text in ("Where is the cap?", "What is meiosis?", "What is the parking rate?"):
        assert respelled([text], [*passages, "Mitosis has stages."], english) == [text]
    # Without a word list to tell typos from words, nothing is respelt.
    assert respelled(["What is the milage rate?"], passages, frozenset()) == [
        "What is the milage rate?"
    ]


def test_a_time_of_day_is_read_as_the_passages_write_it() -> None:
    passages = ["Time: 14:00 | Kenji Mori", "Central 07:40 | Hospital 08:07", "Fee £14.30"]
    assert times_as_in(["Who speaks at 2pm?", "at 2:00 PM"], passages) == [
        "Who speaks at 14:00?",
        "at 14:00",
    ]
    assert times_as_in(["When does the 7:40 leave?"], passages) == ["When does the 07:40 leave?"]
    # A time the passages write as asked, or do not have, or a sum of money: as it was.
    assert times_as_in(["Who is on at 14:00?", "at 3pm", "at 2:30pm"], passages) == [
        "Who is on at 14:00?",
        "at 3pm",
        "at 2:30pm",
    ]


def test_what_an_acronym_stands_for_is_asked_of_its_name() -> None:
    # The passages write "BRI" too; the question asks for the name they spell out elsewhere.
    passages = [
        "Both countries vow to upgrade CPEC under BRI.",
        "CPEC is a flagship project of China's Belt and Road Initiative.",
        'He stole a Type 40 TARDIS ("Time and Relative Dimension in Space").',
    ]
    assert acronyms_as_in(["What does BRI stand for?", "What does BRI mean?"], passages) == [
        "What does Belt and Road Initiative stand for?",
        "What does Belt and Road Initiative mean?",
    ]
    # A name's small words count among its initials when the acronym has them.
    assert acronyms_as_in(["What is TARDIS short for?"], passages) == [
        "What is Time and Relative Dimension in Space short for?"
    ]
    # Otherwise an acronym the passages write stays as they write it.
    assert acronyms_as_in(["When did BRI start?"], passages) == ["When did BRI start?"]
    # A name in lower case, defined before its acronym, is one too; a year before one is not.
    defined = ["Rents in the central business district (CBD) rose. It opened in 1990 (ABC)."]
    assert acronyms_as_in(["What does CBD stand for?", "What is ABC short for?"], defined) == [
        "What does central business district stand for?",
        "What is ABC short for?",
    ]
    # Hyphen-joined words are each an initial.
    hyphened = [*passages, "They launch CPEC 2.0, a phase of the China-Pakistan Economic Corridor."]
    assert acronyms_as_in(["What does CPEC stand for?"], hyphened) == [
        "What does China-Pakistan Economic Corridor stand for?"
    ]


def test_an_acronym_is_read_as_the_passages_write_it() -> None:
    spelt = ["The Annual General Meeting is on 12 May, and the Department for Work and Pensions"]
    assert acronyms_as_in(["When is the AGM?", "What did the DWP say?"], spelt) == [
        "When is the Annual General Meeting?",
        "What did the Department for Work and Pensions say?",
    ]
    short = ["The AGM is on 12 May at the Guildhall."]
    assert acronyms_as_in(["Where is the Annual General Meeting?"], short) == ["Where is the AGM?"]
    # An acronym the passages have, or spell out no name for; a shouted question: as it was.
    assert acronyms_as_in(["Is the AGM at the Guildhall?", "Who is the CEO?"], short) == [
        "Is the AGM at the Guildhall?",
        "Who is the CEO?",
    ]
    assert acronyms_as_in(["WHEN IS THE AGM?"], spelt) == ["WHEN IS THE AGM?"]
    # A question's first word is no word of a name.
    stations = ["In Charlotte, WBT (1110 AM) will carry the game."]
    assert acronyms_as_in(["What British TV network will carry it?"], stations) == [
        "What British TV network will carry it?"
    ]
