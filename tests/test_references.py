"""Questions that name a numbered part of a document, and the lines that open such a part."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa_bot.answering import REFERENCE_CONFIDENCE, ExtractiveAnswerer
from qa_bot.answers import NOT_FOUND
from qa_bot.chain import build_retriever
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.references import Reference, find_reference, opening_number
from tests.conftest import open_sample_runtime

AGREEMENT = """# Supply Agreement

This agreement is made between Olivar Hermanos and Northfield Foods Ltd (the Buyer).

## 1. Definitions

1.1. "Goods" means the extra virgin olive oil described in the schedule.

## 2. Delivery

2.1. The Seller shall deliver the Goods to the Buyer's warehouse in Leeds.

2.2. Risk in the Goods passes to the Buyer on delivery.

## 3. Payment

3.1. The Buyer shall pay the price within 30 days of the invoice date.

3.2. Late payments bear interest at 4 percent a year above the base rate.

3.3. All prices are exclusive of VAT.

## 4. Termination

4.1. Either party may end this agreement on 90 days' written notice, as clause 30 of the
framework agreement allows.

## 5. Care of the Goods

5.1. Until the Goods are sold, the Buyer shall:

(a) keep the Goods in a dry store below 25 degrees;

(b) insure the Goods against fire and theft; and

(c) return empty containers within 60 days.

5.2. The Seller may inspect the store once a quarter.

## Appendix A - Prices

Extra virgin olive oil costs 6 euros a litre, delivered.

## Appendix B - Contacts

Orders go to the purchasing office in Leeds.
"""
LOAF = """# Country loaf

A simple white loaf with a crisp crust, baked in a Dutch oven.

1. Mix 500 g of flour with 350 g of water and leave it for an hour.
2. Add 10 g of salt and 100 g of starter, and knead for ten minutes.
3. Let the dough rise at room temperature for four hours, folding it twice.
4. Shape the loaf and prove it overnight in the fridge.
"""

# Says more of interest rates than clause 3.2 does: the search alone would rank it above 3.2.
RATES = """# Interest rates explained

An interest rate is the price of borrowing money, and the interest rate on a loan is set by the
lender. The central bank sets the base interest rate. Interest rates rise when inflation rises.
"""


@pytest.mark.parametrize(
    ("question", "number", "label", "asked"),
    [
        ("What does clause 3.2 say?", "3.2", "clause", set()),
        ("What is in Section 2.1?", "2.1", "section", set()),
        ("clause 4.1", "4.1", "clause", set()),
        ("Summarise clause 1", "1", "clause", set()),
        ("What does § 12 require?", "12", "section", set()),
        ("Who pays under clause 3.1?", "3.1", "clause", {"pay"}),
        ("What's the third step of the loaf?", "3", "step", {"loaf"}),
        ("What is step two?", "2", "step", set()),
        ("What does Part IV cover?", "iv", "part", set()),
        ("What does 3.2 say?", "3.2", "", set()),
        ("And 4.1?", "4.1", "", set()),
    ],
)
def test_a_question_names_a_part(question: str, number: str, label: str, asked: set) -> None:
    reference = find_reference(question)
    assert reference is not None
    assert (reference.number, reference.label) == (number, label)
    assert reference.asked_terms() == asked


@pytest.mark.parametrize(
    "question",
    [
        "What is part of the deal?",
        "What second part of air was deemed lifeless?",  # an ordinal names a part after "the"
        "Is there a step a user must take?",
        "What was the GDP growth of 3.2 percent in 2020?",
        "What was growth, 3.2 percent?",
        "What happened in rule 30s?",
        "Which version, 2.1.3, is current?",
        "When was the 1990 clause added?",
    ],
)
def test_a_question_names_no_part(question: str) -> None:
    assert find_reference(question) is None


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("3.2. Late payments", "3.2"),
        ("3.2 Payment", "3.2"),  # Word's "%1.%2" heading numbers have no final point
        ("Clause 3.2: the buyer pays", "3.2"),
        ("§ 3.2 Pay", "3.2"),
        ("  (3) Keep receipts.", "3"),
        ("3) Bake.", "3"),
        ("Step 3 - bake", "3"),
        ("IV. Remedies", "iv"),
        ("3.2.1. Interest", "3.2.1"),
        ("3 people died", None),  # a count, not a part
        ("1990 was a dry year", None),
        ("Growth was 3.2 percent", None),
    ],
)
def test_the_number_a_line_opens_with(line: str, number: str | None) -> None:
    assert opening_number(line) == number
    # Chroma runs the same test as a regular expression over whole chunks.
    for reference in (Reference("3.2"), Reference("3"), Reference("iv")):
        expected = reference.number == number
        assert bool(re.search(reference.pattern, f"Before.\n{line}\nAfter.")) == expected, (
            reference,
            line,
        )


def test_a_number_mentioned_in_a_sentence() -> None:
    assert Reference("65").mentioned_in("Article 65 of the treaty banned cartels.")
    assert Reference("3.2").mentioned_in("See clause 3.2.")
    assert not Reference("3.2").mentioned_in("Growth was 3.25 percent; see 13.2 and 3.2.1.")
    assert not Reference("iv").mentioned_in("The river flows.")


def test_a_part_encloses_its_subparts_only() -> None:
    clause = Reference("3.2")
    opening = "3.2. Late payments bear interest."
    assert clause.encloses("3.2.1. Interest is simple.", opening)
    assert clause.encloses("It is paid monthly.", opening)
    assert clause.encloses("(2) Interest is paid monthly.", opening)  # an item of the clause
    assert not clause.encloses("3.3. All prices exclude VAT.", opening)
    assert not clause.encloses("4. Termination", opening)
    assert not clause.encloses("3.20. Another clause.", opening)
    item = Reference("2")
    assert not item.encloses("(3) Bake it.", "(2) Shape it.")  # items alike end each other


def test_a_part_named_by_its_label() -> None:
    """A letter, or a table's or an appendix's number, names a part only beside its label."""
    appendix = find_reference("What is in Appendix B?")
    assert appendix is not None and appendix.by_label and str(appendix) == "appendix B"
    assert appendix.opens("Appendix B - Contacts")
    assert appendix.opens("APPENDIX B: Contacts")
    assert not appendix.opens("B. Contacts")
    assert not appendix.opens("Appendix BB")
    assert appendix.encloses("1. Orders go to Leeds.", "Appendix B - Contacts")
    assert not appendix.encloses("Appendix C - Forms", "Appendix B - Contacts")
    table = find_reference("What does table 3 show?")
    assert table is not None and table.by_label
    assert re.search(table.pattern, "Intro.\nTable 3: Deliveries by month\nJan 4")
    assert not re.search(table.pattern, "Intro.\n3. Shape the loaf.")
    assert find_reference("Is there an appendix a user must sign?") is None


@pytest.mark.parametrize(
    ("question", "item", "text"),
    [
        ("What does clause 5.1(b) say?", "b", "(b) insure the goods"),
        ("What does 5.1 (c) say?", "c", "(c) return empty containers"),
        ("What does Article 5(1) require?", "1", "(1) Member states"),
    ],
)
def test_an_item_of_a_part(question: str, item: str, text: str) -> None:
    reference = find_reference(question)
    assert reference is not None and reference.sub == item
    assert reference.asked_terms() == frozenset()
    assert reference.item_in(["5.1. The Buyer shall:", text, "(z) other."]) == [1]
    assert reference.item_in(["5.1. The Buyer shall:", f"{text[:1]}z{text[2:]}"]) == []


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder):  # noqa: ANN201
    # Chunks of 160 characters: clause 3 runs on from one chunk into the next. Two chunks
    # retrieved: the one where the part opens and the one it runs on into.
    return open_sample_runtime(
        tmp_path_factory.mktemp("parts"),
        embedder,
        {"agreement.md": AGREEMENT, "loaf.md": LOAF, "rates.md": RATES},
        chunk_size=160,
        chunk_overlap=0,
        k=2,
    )


def ask(runtime, question: str, history: list | None = None):  # noqa: ANN001, ANN201
    return runtime.chain.invoke({"question": question, "history": history or []})


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("What does clause 3.2 say?", "3.2. Late payments bear interest"),
        ("What does 3.2 say?", "3.2. Late payments bear interest"),
        ("clause 4.1", "4.1. Either party may end"),
        ("Who pays under clause 3.1?", "3.1. The Buyer shall pay"),
        ("In clause 2.2, when does risk pass?", "2.2. Risk in the Goods passes"),
        # In a part that runs on into the next chunk, the sentence that holds what is asked.
        ("What is the interest rate in clause 3?", "3.2. Late payments bear interest"),
        ("What's the third step of the loaf?", "3. Let the dough rise"),
        ("What is step two of the country loaf?", "2. Add 10 g of salt"),
        ("What does clause 5.1(b) say?", "(b) insure the Goods against fire and theft"),
        ("What does 5.1(c) say?", "(c) return empty containers within 60 days."),
        ("How much does the oil cost under Appendix A?", "Extra virgin olive oil costs 6 euros"),
    ],
)
def test_a_named_part_is_quoted(runtime, question: str, quoted: str) -> None:  # noqa: ANN001
    answer = ask(runtime, question)
    assert not answer.abstained
    assert answer.text.startswith(quoted)
    assert answer.confidence >= REFERENCE_CONFIDENCE
    cited = answer.citations[0]
    assert cited.supporting_sentence is not None
    assert cited.supporting_sentence.startswith(quoted)


def test_a_clause_is_quoted_whole_with_its_items(runtime) -> None:  # noqa: ANN001
    answer = ask(runtime, "What does clause 5.1 say?")
    assert answer.text == (
        "5.1. Until the Goods are sold, the Buyer shall: [1] (a) keep the Goods in a dry store "
        "below 25 degrees; [1] (b) insure the Goods against fire and theft; and [2] (c) return "
        "empty containers within 60 days. [2]"
    ), answer.text  # the clause runs on into the next chunk


def test_a_heading_is_quoted_with_its_first_sentence(runtime) -> None:  # noqa: ANN001
    answer = ask(runtime, "What does section 3 say?")
    assert answer.text.startswith("3. Payment [1] 3.1. The Buyer shall pay")
    answer = ask(runtime, "What is in Appendix A?")
    assert answer.text.startswith("Appendix A - Prices [1] Extra virgin olive oil costs 6 euros")


def test_a_section_is_quoted_from_its_heading_not_from_the_contents(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    # A handbook's contents list names each section as its heading does.
    sections = {
        "4.1 Holiday year": "The holiday year runs from 1 January to 31 December.",
        "4.2 Annual leave": "Full-time employees are entitled to 25 days' paid annual leave.",
        "4.3 Bank holidays": "The office is closed on the eight public bank holidays.",
        "5.1 Maternity leave": "Employees may take up to 52 weeks of maternity leave.",
        "5.2 Paternity leave": "Partners are entitled to two weeks' paternity leave.",
        "5.3 Adoption leave": "Adopters are entitled to 52 weeks of adoption leave.",
    }
    handbook = "Staff handbook\n\nContents\n\n" + "\n".join(sections) + "\n\n"
    handbook += "\n\n".join(f"{heading}\n\n" + f"{text} " * 3 for heading, text in sections.items())
    runtime = open_sample_runtime(
        tmp_path, embedder, {"handbook.txt": handbook}, chunk_size=200, chunk_overlap=0, k=4
    )
    for number, heading in (("4.2", "4.2 Annual leave"), ("5.3", "5.3 Adoption leave")):
        answer = ask(runtime, f"What does section {number} say?")
        assert answer.text.startswith(f"{heading} [1] {sections[heading]}"), answer.text


def test_a_run_in_heading_is_quoted_with_its_first_sentence(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    minutes = (
        "Board meeting minutes, 14 October 2026\n\n"
        "1. Budget. Tom Becker presented the Q3 figures. Revenue was 4.2 million euros.\n\n"
        "2. Office move. The Berlin office will move to Friedrichstrasse 120 in February.\n"
    )
    runtime = open_sample_runtime(tmp_path, embedder, {"minutes.txt": minutes})
    answer = ask(runtime, "What does item 2 of the minutes say?")
    assert answer.text.startswith("2. Office move. [1] The Berlin office will move"), answer.text


def test_a_part_counted_in_words_need_not_be_numbered(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    # "The first point" of a text that counts its points without numbering them: not "I can't
    # find point 1", as a numbered part no passage has would be.
    history = (
        "The guild charter\n\nThe charter rests on two points. The right of every member to "
        "a vote at the spring assembly was the first of the two points. The second was a "
        "shared fund for members who fell ill.\n"
    )
    runtime = open_sample_runtime(tmp_path, embedder, {"charter.txt": history})
    answer = ask(runtime, "What was the first point of the guild charter?")
    assert not answer.abstained and "a vote at the spring assembly" in answer.text, answer.text


def test_a_papers_reference_is_found_by_its_marker(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    assert find_reference("What is reference [3]?").number == "3"
    assert find_reference("What is [12]?").label == "reference"
    assert opening_number("[3] H. Crilley et al. Evaluation of a sensor.") == "3"
    paper = (
        "Low-cost sensing\n\nOptical counters drift in humid air [2]. Radios cost energy [1].\n\n"
        "References\n\n[1] A. Augustin. A study of LoRa. Sensors, 2016.\n\n"
        "[2] H. Crilley. Evaluation of a low-cost optical particle counter. AMT, 2018.\n"
    )
    runtime = open_sample_runtime(tmp_path, embedder, {"paper.md": paper})
    answer = ask(runtime, "What is reference [2]?")
    assert answer.text.startswith("[2] H. Crilley. [1] Evaluation of a low-cost optical"), (
        answer.text
    )


def test_an_item_the_part_lacks_is_not_quoted_as_it(runtime) -> None:  # noqa: ANN001
    answer = ask(runtime, "What does clause 5.1(f) say?")
    assert answer.abstained or answer.confidence < REFERENCE_CONFIDENCE


def test_a_part_the_documents_lack_is_not_found(runtime) -> None:  # noqa: ANN001
    answer = ask(runtime, "What does clause 9.4 say?")
    assert answer.abstained
    assert answer.text == "I can't find clause 9.4 in your documents."
    # Clause 3.1 exists but says nothing of a penalty: it is not quoted as if it did.
    answer = ask(runtime, "What is the penalty for late delivery in clause 3.1?")
    assert answer.abstained or not answer.text.startswith("3.1.")


def test_a_number_only_mentioned_is_not_said_to_be_missing(runtime) -> None:  # noqa: ANN001
    """Clause 30 is mentioned, not numbered, in the agreement: when the answerer declines, it
    does not claim the documents lack it."""
    strict = ExtractiveAnswerer(runtime.store.embedder, threshold=1.0)
    question = "What does clause 30 say?"
    docs = build_retriever(runtime.settings, runtime.store).invoke(question)
    assert any("clause 30" in doc.page_content for doc in docs)
    answer = strict.invoke({"question": question, "docs": docs})
    assert answer.abstained and answer.text == NOT_FOUND
    missing = "What does clause 31 say?"
    docs = build_retriever(runtime.settings, runtime.store).invoke(missing)
    answer = strict.invoke({"question": missing, "docs": docs})
    assert answer.text == "I can't find clause 31 in your documents."


def test_a_follow_up_names_the_next_part(runtime) -> None:  # noqa: ANN001
    from qa_bot.condense import Turn

    first = ask(runtime, "What does clause 3.2 say?")
    history = [Turn("What does clause 3.2 say?", first.standalone_query, first.text)]
    assert ask(runtime, "And clause 3.3?", history).text.startswith("3.3. All prices")
    assert ask(runtime, "What about 4.1?", history).text.startswith("4.1. Either party")
    loaf = ask(runtime, "What is step two of the country loaf?")
    history = [Turn("What is step two of the country loaf?", loaf.standalone_query, loaf.text)]
    assert ask(runtime, "And step 3?", history).text.startswith("3. Let the dough rise")
    prices = ask(runtime, "What is in Appendix A?")
    history = [Turn("What is in Appendix A?", prices.standalone_query, prices.text)]
    contacts = ask(runtime, "And Appendix B?", history)
    assert contacts.text.startswith("Appendix B - Contacts [1] Orders go to the purchasing office")


def test_questions_without_a_part_are_answered_as_before(runtime) -> None:  # noqa: ANN001
    answer = ask(runtime, "Where does the Seller deliver the Goods?")
    assert not answer.abstained
    assert answer.text.startswith(
        "2.1. The Seller shall deliver the Goods to the Buyer's warehouse"
    )
