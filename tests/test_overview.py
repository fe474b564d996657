"""Questions about a document as a whole: "What is this document about?", "Summarize …"."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.answering import OVERVIEW_CONFIDENCE
from qa_bot.answers import NOT_FOUND
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.ingest import ingest_paths
from qa_bot.overview import find_overview
from qa_bot.runtime import Runtime, open_runtime
from qa_bot.store import DocumentInfo
from tests.conftest import SAMPLE_DOC, open_sample_runtime
from tests.factories import make_pdf


def _info(file_name: str, title: str) -> DocumentInfo:
    return DocumentInfo(file_name, f"/docs/{file_name}", file_name, title, 1, "h", "v", 0.0)


DOCUMENTS = [
    _info("handbook.md", "Acme Ltd Employee Handbook"),
    _info("faq.html", "WidgetPro 3000 FAQ"),
    _info("cpec-2.0-strategic-dialogue.txt", "Pakistan and China launch CPEC 2.0"),
]


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        (
            "What is this document about?",
            ["handbook.md", "faq.html", "cpec-2.0-strategic-dialogue.txt"],
        ),
        ("what's this about", ["handbook.md", "faq.html", "cpec-2.0-strategic-dialogue.txt"]),
        ("Summarize", ["handbook.md", "faq.html", "cpec-2.0-strategic-dialogue.txt"]),
        (
            "Give me a short summary of my files, please.",
            ["handbook.md", "faq.html", "cpec-2.0-strategic-dialogue.txt"],
        ),
        ("What is the handbook about?", ["handbook.md"]),
        ("Summarise the FAQ.", ["faq.html"]),
        ("What are the main points of the CPEC report?", ["cpec-2.0-strategic-dialogue.txt"]),
        ("Give me an overview of the employee handbook", ["handbook.md"]),
        # Words that name no document name something in the text: answered as usual.
        ("What was the Plos Pathogens paper about?", None),
        ("What is the dispute about?", None),
        ("What is the report about?", None),  # no document is a report, and there are three
        # Not a question about a document as a whole.
        ("What does the warranty cover?", None),
        ("How long is the summary period?", None),
        ("Who did the board speak about?", None),
    ],
)
def test_a_question_about_a_document_as_a_whole(question: str, meant: list[str] | None) -> None:
    overview = find_overview(question)
    found = overview.documents(DOCUMENTS) if overview is not None else []
    assert [info.file_name for info in found] == (meant or [])


def test_a_kind_of_document_means_the_only_one() -> None:
    overview = find_overview("What is the report about?")
    assert overview is not None
    assert overview.documents(DOCUMENTS[2:]) == DOCUMENTS[2:]


def test_a_kind_of_document_with_its_name() -> None:
    documents = [*DOCUMENTS, _info("pancakes.txt", "Fluffy Pancakes")]
    overview = find_overview("Summarize the pancake recipe")
    assert overview is not None
    assert overview.documents(documents) == documents[3:]


HANDBOOK = """# Acme Ltd Employee Handbook

## 1. Working hours

Our core hours are 10:00 to 16:00, Monday to Friday.

## 2. Holidays

Every full-time employee gets 25 days of paid holiday a year.

## 3. Expenses

Meals are reimbursed up to 40 euros a day.
"""


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Runtime:
    return open_sample_runtime(
        tmp_path_factory.mktemp("overview"), embedder, {"handbook.md": HANDBOOK}, chunk_size=120
    )


def ask(runtime: Runtime, question: str):  # noqa: ANN201
    return runtime.chain.invoke({"question": question, "history": []})


def test_a_documents_gist_is_its_title_and_headings(runtime: Runtime) -> None:
    answer = ask(runtime, "What is the handbook about?")
    assert answer.text.startswith("Acme Ltd Employee Handbook [1] Contents: 1. Working hours [1]")
    assert "2. Holidays [" in answer.text and "3. Expenses [" in answer.text
    assert not answer.abstained and answer.confidence == OVERVIEW_CONFIDENCE
    assert {source.file_name for source in answer.sources} == {"handbook.md"}
    assert answer.citations[0].supporting_sentence == "Acme Ltd Employee Handbook"


def test_a_document_without_headings_is_told_by_its_opening(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    runtime = open_sample_runtime(tmp_path, embedder)
    answer = ask(runtime, "What is this document about?")
    opening = SAMPLE_DOC.read_text(encoding="utf-8").split("\n")[0].strip()
    assert answer.text.startswith(f"{opening} [1]")
    assert answer.citations[0].chunk_id.endswith("-00000")
    assert answer.citations[0].supporting_sentence == opening
    # The sample's own questions are still answered from its text.
    answer = ask(runtime, "Who co-chaired the dialogue?")
    assert "Wang Yi" in answer.text


def test_several_documents_are_each_told_by_their_first_line(runtime: Runtime) -> None:
    answer = ask(runtime, "What is this about?")
    lines = answer.text.split("\n\n")
    assert lines[0] == "Your documents:"
    assert lines[1].startswith(f"• {SAMPLE_DOC.name}: ")
    assert lines[2] == "• handbook.md: Acme Ltd Employee Handbook [2]"
    assert [source.file_name for source in answer.citations] == [SAMPLE_DOC.name, "handbook.md"]


def test_an_overview_of_an_empty_store_is_declined(
    settings: Settings, embedder: SentenceEmbedder
) -> None:
    answer = ask(open_runtime(settings, embedder=embedder), "What is this document about?")
    assert answer.abstained and answer.text == NOT_FOUND


def test_a_long_documents_contents_reach_past_the_first_chunks(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    # A section is a chunk of its own: the contents need more of them than a search returns.
    sections = "".join(
        f"## Topic {n}\n\nTopic {n} is about plants of kind {n}.\n\n" for n in range(1, 15)
    )
    guide = f"# Field guide\n\nA guide to fourteen kinds of plant.\n\n{sections}"
    runtime = open_sample_runtime(tmp_path, embedder, {"guide.md": guide})
    answer = ask(runtime, "Summarize the field guide")
    opening, contents = answer.text.split(" Contents: ")
    assert opening == "Field guide [1] A guide to fourteen kinds of plant. [1]"
    assert contents.split("; ")[:2] == ["Topic 1 [2]", "Topic 2 [3]"]
    assert contents.endswith("; Topic 12 [13]; …")
    # Only the chunks it cites are its sources, numbered as cited.
    assert [source.number for source in answer.sources] == list(range(1, 14))
    assert answer.sources[12].text.startswith("Topic 12")


def test_a_title_that_comes_again_is_not_among_the_contents(
    runtime: Runtime, tmp_path: Path
) -> None:
    # A one-page PDF: its running header is the title, and the page opens with it as well.
    pdf = make_pdf(
        tmp_path / "Warranty_Terms.pdf",
        [
            "Warranty Terms\nWarranty Terms\nThese terms explain what the warranty covers.\n"
            "Coverage\nThe warranty lasts two years from the date of purchase.\n"
            "Exclusions\nDamage from drops is not covered."
        ],
    )
    ingest_paths([pdf], runtime.store, show_progress=False)
    answer = ask(runtime, "Summarize the warranty terms")
    assert answer.text == (
        "Warranty Terms [1] These terms explain what the warranty covers. [1] "
        "Contents: Coverage [2]; Exclusions [3]"
    )
