"""The real Gradio app on 127.0.0.1, driven through its API with gradio_client."""

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from qa_bot.answers import Source
from qa_bot.render import answer_markdown, escape_md, sources_html
from qa_bot.runtime import Runtime
from qa_bot.ui import build_ui
from qa_bot.uploads import safe_name


@pytest.fixture
def client(sample_runtime: Runtime) -> Iterator[Client]:
    demo = build_ui(sample_runtime)
    demo.queue(default_concurrency_limit=4)
    _, url, _ = demo.launch(
        server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True
    )
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


def test_app_answers_with_citations(client: Client) -> None:
    result = client.predict(
        "What did the two countries say about the Khunjerab Pass?", [], api_name="/ask"
    )
    assert "year-round opening" in result["text"]
    assert "[1]" in result["text"] or result["citations"][0]["number"] >= 1
    citation = result["citations"][0]
    assert citation["file_name"] == "cpec-2.0-strategic-dialogue.txt"
    assert "Khunjerab" in citation["supporting_sentence"]


def test_app_follow_up_and_decline(client: Client) -> None:
    first = client.predict("Who co-chaired the dialogue?", [], api_name="/ask")
    follow = client.predict(
        "Where will the next round be held?",
        [["Who co-chaired the dialogue?", first["text"]]],
        api_name="/ask",
    )
    assert "Islamabad" in follow["text"]
    assert follow["standalone_query"] != "Where will the next round be held?"
    declined = client.predict("What is the population of Lahore?", [], api_name="/ask")
    assert declined["abstained"] and declined["citations"] == []
    empty = client.predict("   ", [], api_name="/ask")
    assert empty == {"error": "Type a question: this one is empty."}


def test_upload_and_remove_through_the_app(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "otters.txt"
    path.write_text("Sea otters hold hands while they sleep so they do not drift.", "utf-8")
    status, documents, _choice = client.predict([handle_file(str(path))], api_name="/upload")
    assert "otters.txt: added" in status
    names = [row[0] for row in documents["data"]]
    assert "otters.txt" in names
    answer = client.predict("Why do sea otters hold hands?", [], api_name="/ask")
    assert "drift" in answer["text"]
    assert answer["citations"][0]["file_name"] == "otters.txt"


def test_workspace_choice_isolates_documents(client: Client, tmp_path: Path) -> None:
    otters = tmp_path / "otters.txt"
    otters.write_text("Sea otters hold hands while they sleep so they do not drift.", "utf-8")
    question = "Why do sea otters hold hands?"
    # A mistyped name, left before any document is added, leaves no workspace behind.
    choice, status, *_ = client.predict("team-bb", api_name="/workspace")
    assert choice["value"] == "team-bb" and "New workspace" in status
    # Choose "team-b" as the page's selector does: a new name is chosen, the chat is cleared.
    choice, status, chat, sources, *_ = client.predict("team-b", api_name="/workspace")
    assert choice["value"] == "team-b" and "team-b" in [v for _, v in choice["choices"]]
    assert "team-bb" not in [v for _, v in choice["choices"]]
    assert "New workspace" in status and chat == [] and "appear here" in sources
    # The session's uploads now go to team-b, whose list holds only them.
    status, documents, removable = client.predict([handle_file(str(otters))], api_name="/upload")
    assert "otters.txt: added" in status
    assert [row[0] for row in documents["data"]] == ["otters.txt"]
    [(_, doc_id)] = removable["choices"]
    # The default workspace (the sample document) knows nothing of it...
    elsewhere = client.predict(question, [], api_name="/ask")
    assert elsewhere["abstained"] and "otters.txt" not in str(elsewhere["citations"])
    # ...team-b answers from it, with its citation.
    answer = client.predict(question, [], "team-b", api_name="/ask")
    assert "drift" in answer["text"] and answer["citations"][0]["file_name"] == "otters.txt"
    # An invalid name is refused with a reason and changes nothing.
    choice, status, *_ = client.predict("x!", api_name="/workspace")
    assert choice["value"] == "team-b" and "not a valid workspace name" in status
    # API clients name the workspace of an upload; the session's choice stays as it was.
    status, documents, _ = client.predict([handle_file(str(otters))], "team-c", api_name="/upload")
    assert "otters.txt: added" in status
    status, documents, _ = client.predict(doc_id, "", api_name="/remove")
    assert status.startswith("Removed otters.txt") and documents["data"] == []  # from team-b
    assert client.predict(question, [], "team-c", api_name="/ask")["citations"]


def test_document_text_cannot_inject_markup() -> None:
    assert "<" not in escape_md("<img src=x onerror=alert(1)>")
    assert escape_md("![x](http://evil/)").startswith("\\!\\[")
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\a\\evil.txt") == "evil.txt"


def test_markers_link_to_sources(sample_runtime: Runtime) -> None:
    answer = sample_runtime.chain.invoke(
        {"question": "What did the two countries say about the Khunjerab Pass?", "history": []}
    )
    markdown = answer_markdown(answer, turn=3)
    number = answer.cited_numbers[0]
    assert f"href='#qa-src-3-{number}'" in markdown
    panel = sources_html(answer.sources, 3, answer)
    assert f"id='qa-src-3-{number}'" in panel
    assert "<mark>They also welcomed the year-round opening" in panel
    # The passages found but not cited are folded away after the cited ones.
    cited, folded = panel.split("<details class='qa-others'>")
    assert f"id='qa-src-3-{number}'" in cited and "(also retrieved)" not in cited
    others = len(answer.sources) - len(set(answer.cited_numbers))
    assert folded.count("(also retrieved)") == others and f"{others} other passages" in folded
    # A declined answer cites nothing: what it searched is folded away, and says so.
    declined = sample_runtime.chain.invoke(
        {"question": "What is the population of Lahore?", "history": []}
    )
    assert declined.abstained and declined.sources
    panel = sources_html(declined.sources, 4, declined)
    assert panel.startswith("<details class='qa-others'>")
    assert f"{len(declined.sources)} passages found; none answers the question" in panel


def test_a_source_is_named_by_its_title_beside_its_file() -> None:
    # A wiki export's file names say little; the page's title says which page it is. The
    # offsets stay with the source, for whoever checks them.
    source = Source(
        number=1,
        chunk_id="c",
        source="/docs/98231.html",
        file_name="98231.html",
        title="VPN setup (old, 2021)",
        page=None,
        start=234,
        end=597,
        text="5. Click Connect.",
        score=1.0,
    )
    panel = sources_html([source], 1)
    assert "[1] VPN setup (old, 2021) · 98231.html" in panel
    assert "chars 234-597" in panel
    # A title that only repeats the file's name is not said twice.
    same = replace(source, file_name="VPN-setup.md", title="VPN setup", page=2)
    assert same.label == "VPN-setup.md, page 2"
    # A headline for a title is cut short in the label, and whole in the tooltip.
    headline = "Both countries vow to upgrade CPEC to shift focus from infrastructure to industry"
    news = replace(source, file_name="cpec.txt", title=headline)
    assert news.label == "Both countries vow to upgrade CPEC to shift focus from… · cpec.txt"
    assert f"title='{headline} — cpec.txt, chars 234-597'" in sources_html([news], 1)
