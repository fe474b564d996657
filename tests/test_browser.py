"""The real app in a real Chromium: ask, follow a citation, follow up, upload, remove, and
prove that hostile documents stay inert. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import hostile_files as hostile
from tests.factories import make_docx
from tests.live_app import ROOT, LiveApp, serve
from tests.servers import eventually

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("QA_BOT_TEST_CHROMIUM", "/usr/bin/chromium"))
SHOTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT_MS = 60_000


def _unavailable(reason: str) -> None:
    """Under CI the browser tests must run: a missing browser fails there, and skips elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    folder = tmp_path_factory.mktemp("browser-app")
    # A 1 MB upload limit keeps the size-limit test quick; every other upload here is smaller.
    with serve(folder, QA_BOT_MAX_UPLOAD_MB="1") as live:
        yield live


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as driver:
        yield driver


@contextlib.contextmanager
def chromium(playwright, profile: Path) -> Iterator:  # noqa: ANN001
    """A browser of its own, as one person's: its own profile, cookies and localStorage."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="module")
def browser_context(playwright, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001
    with chromium(playwright, tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


class Watcher:
    """What a page did that it should not: dialogs, requests leaving the app, page errors."""

    def __init__(self, page, app: LiveApp) -> None:  # noqa: ANN001
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.uploaded: list[str] = []  # server paths of files in Gradio's upload cache
        origin = urlsplit(app.url).netloc

        def on_response(response) -> None:  # noqa: ANN001
            if response.url.startswith(f"{app.url}/gradio_api/upload") and response.ok:
                with contextlib.suppress(Exception):  # not JSON: nothing to record
                    self.uploaded.extend(response.json())

        def on_dialog(dialog) -> None:  # noqa: ANN001
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_request(route) -> None:  # noqa: ANN001
            url = route.request.url
            self.requests.append(url)
            if urlsplit(url).netloc != origin and not url.startswith(("data:", "blob:")):
                self.outside.append(url)
                route.abort()
            else:
                route.continue_()

        page.on("dialog", on_dialog)
        page.on("response", on_response)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.route("**/*", on_request)


@pytest.fixture
def page(browser_context, app: LiveApp):
    page = browser_context.new_page()
    page.watcher = Watcher(page, app)
    page.goto(app.url)
    page.wait_for_selector("#qa-question textarea")
    yield page
    page.evaluate("localStorage.clear()")  # the conversation kept for a reload, for the next test
    page.close()


def shot(page, name: str) -> Path:  # noqa: ANN001
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def ask(page, question: str) -> str:  # noqa: ANN001
    """Type a question, wait for the final answer, return its HTML."""
    return answered(submit(page, question)).inner_html()


def submit(page, question: str):  # noqa: ANN001, ANN201
    """Type a question and send it, without waiting: the locator of the answer to come."""
    bots = page.locator("#qa-chat [data-testid='bot']")
    answer = bots.nth(bots.count())
    page.fill("#qa-question textarea", question)
    page.keyboard.press("Enter")
    return answer


def answered(answer):  # noqa: ANN001, ANN201
    """The answer, once final: its confidence line shows."""
    answer.locator(".qa-meta").wait_for(timeout=ANSWER_TIMEOUT_MS)
    return answer


def wait_until(page, expression: str, timeout_s: float = ANSWER_TIMEOUT_MS / 1000) -> None:  # noqa: ANN001
    """Poll a JavaScript condition from Python until it holds."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {expression}")
        page.wait_for_timeout(200)


def open_documents(page) -> None:  # noqa: ANN001
    if not page.locator("#qa-upload").is_visible():
        page.get_by_text("Documents", exact=True).first.click()
    page.locator("#qa-upload").wait_for()


def upload(page, files: list, expect: str) -> str:  # noqa: ANN001
    open_documents(page)
    status = page.locator("#qa-upload-status")
    page.locator("#qa-upload input[type=file]").set_input_files(files)
    wait_until(
        page,
        "() => document.querySelector('#qa-upload-status')?.innerText"
        f".includes({json.dumps(expect)})",
    )
    return status.inner_text()


def test_a_first_visit_to_an_empty_store_shows_where_to_add_documents(
    browser_context, tmp_path: Path
) -> None:
    empty = tmp_path / "no-documents"
    empty.mkdir()
    with serve(tmp_path / "app", documents=empty) as live:
        page = browser_context.new_page()
        page.goto(live.url)
        page.wait_for_selector("#qa-question textarea")
        chat = page.locator("#qa-chat")
        chat.get_by_text("Ask a question about your documents.").wait_for()
        assert "Documents" in chat.inner_text()
        # The documents panel is open, its upload box in view: adding files comes first.
        page.locator("#qa-upload").wait_for(state="visible")
        shot(page, "00-empty-store")
        page.close()


def test_ask_cite_follow_up_upload_and_remove(page, app: LiveApp, tmp_path: Path) -> None:
    shot(page, "01-start")
    # A store with documents: the panel stays shut, the chat says what to do.
    assert page.locator("#qa-chat").get_by_text("Ask a question about your documents.").count()
    assert not page.locator("#qa-upload").is_visible()
    # Record every state of the newest bot message, to see the answer arrive in pieces.
    page.evaluate(
        """() => {
      window.__states = [];
      new MutationObserver(() => {
        const bots = document.querySelectorAll("#qa-chat [data-testid='bot']");
        const last = bots[bots.length - 1];
        const text = last ? last.innerText : "";
        const states = window.__states;
        if (text && states[states.length - 1] !== text) states.push(text);
      }).observe(document.querySelector("#qa-chat"), {subtree: true, childList: true,
                                                        characterData: true});
    }"""
    )

    # 1. The Khunjerab question: a streamed answer with a [1] marker.
    answer = ask(page, "When will the Khunjerab Pass open?")
    assert "Khunjerab Pass" in answer
    states = page.evaluate("window.__states")
    assert len(states) >= 3, f"the answer did not stream: {states}"
    assert "confidence" not in states[0]  # the first state is a partial answer
    marker = page.locator("#qa-chat a.qa-cite").first
    assert marker.inner_text() == "[1]"
    shot(page, "02-answer-with-marker")

    # 2. Click [1]: its source opens, with the supporting sentence highlighted.
    marker.click()
    source = page.locator("#qa-src-1-1")
    wait_until(page, "() => document.querySelector('#qa-src-1-1')?.open === true")
    highlighted = source.locator("mark").inner_text()
    assert "year-round opening of the Khunjerab Pass" in highlighted
    assert source.locator("mark").is_visible()
    shot(page, "03-source-highlighted")

    # 3. A follow-up: the standalone query is shown, and the answer is the right one.
    answer = ask(page, "What will it facilitate?")
    assert "searched for: “What will Khunjerab Pass facilitate?”" in answer
    assert "facilitate bilateral trade" in answer
    shot(page, "04-follow-up")

    # An earlier answer's marker opens that answer's source, not the latest one's.
    page.locator("#qa-chat [data-testid='bot']").first.locator("a.qa-cite").first.click()
    wait_until(page, "() => document.querySelector('#qa-src-1-1')?.open === true")
    assert "year-round opening" in page.locator("#qa-src-1-1 mark").inner_text()
    shot(page, "04b-earlier-citation")

    # 4. Upload a .docx from the page, watch it ingest, ask about it.
    report = make_docx(
        tmp_path / "orchard-report.docx",
        "Orchard report",
        [
            "The Vashti orchard harvested 4,200 crates of quince in October.",
            "Its cider press was repaired by a firm from Tarnow.",
        ],
    )
    status = upload(page, [str(report)], "orchard-report.docx: added")
    assert "added" in status
    # The file box empties once the files are in the store; the table lists them.
    wait_until(page, "() => !document.querySelector('#qa-upload')?.innerText.includes('orchard')")
    wait_until(
        page,
        "() => document.querySelector('#qa-documents')?.innerText.includes('orchard-report.docx')",
    )
    shot(page, "05-docx-uploaded")
    answer = ask(page, "How many crates of quince did the Vashti orchard harvest?")
    assert "4,200 crates of quince" in answer
    assert "orchard-report.docx" in page.locator("#qa-sources").inner_text()
    shot(page, "06-docx-answer")

    # 5. Remove it and see it gone: from the list, and from the answers.
    page.locator("#qa-remove-choice input").click()
    page.get_by_role("option", name="orchard-report.docx").click()
    # Removing is asked once more, naming the file; Cancel keeps it.
    page.locator("#qa-remove").click()
    question = page.locator("#qa-remove-question")
    question.get_by_text("Remove orchard-report.docx").wait_for()
    assert "chunk" in question.inner_text()
    shot(page, "07a-remove-asked")
    page.locator("#qa-remove-no").click()
    page.locator("#qa-remove-confirm").wait_for(state="hidden")
    assert "orchard-report.docx" in page.locator("#qa-documents").inner_text()
    page.locator("#qa-remove").click()
    page.locator("#qa-remove-yes").click()
    wait_until(
        page, "() => document.querySelector('#qa-upload-status')?.innerText.includes('Removed')"
    )
    page.locator("#qa-remove-confirm").wait_for(state="hidden")
    wait_until(
        page, "() => !document.querySelector('#qa-documents')?.innerText.includes('orchard-report')"
    )
    answer = ask(page, "How many crates of quince did the Vashti orchard harvest?")
    assert "4,200" not in answer
    assert "orchard-report.docx" not in page.locator("#qa-sources").inner_text()
    shot(page, "07-docx-removed")
    assert not page.watcher.dialogs and not page.watcher.errors


def test_a_reload_keeps_the_conversation_its_sources_and_its_subject(page) -> None:  # noqa: ANN001
    ask(page, "When will the Khunjerab Pass open?")
    # The browser's copy follows each answer (a moment after it shows).
    wait_until(page, "() => localStorage.getItem('qa_bot_chat')?.length > 1000")
    page.reload()
    page.wait_for_selector("#qa-question textarea")
    bot = page.locator("#qa-chat [data-testid='bot']").first
    bot.get_by_text("Khunjerab Pass").first.wait_for()
    # The Sources panel shows the answer's passages, and its marker still opens one.
    assert "cpec-2.0" in page.locator("#qa-sources").inner_text()
    bot.locator("a.qa-cite").first.click()
    wait_until(page, "() => document.querySelector('#qa-src-1-1')?.open === true")
    assert "Khunjerab" in page.locator("#qa-src-1-1 mark").inner_text()
    # A follow-up still knows what "it" is.
    answer = ask(page, "What will it facilitate?")
    assert "facilitate bilateral trade" in answer
    shot(page, "04c-after-reload")
    # A new conversation is kept too: the next reload shows an empty chat.
    page.locator("#qa-new-conversation").click()
    wait_until(page, "() => !document.querySelector('#qa-chat [data-testid=\"bot\"]')")
    wait_until(page, "() => localStorage.getItem('qa_bot_chat')?.length < 1000")
    page.reload()
    page.wait_for_selector("#qa-question textarea")
    page.locator("#qa-chat").get_by_text("Ask a question about your documents.").wait_for()
    assert not page.locator("#qa-chat [data-testid='bot']").count()
    assert not page.watcher.dialogs and not page.watcher.errors


def test_a_reload_keeps_a_workspace_chosen_before_its_first_document(page) -> None:  # noqa: ANN001
    page.locator("#qa-workspace input").wait_for()
    wait_until(page, "() => document.querySelector('#qa-workspace input')?.value === 'documents'")
    choose_workspace(page, "scratch-notes")
    page.get_by_text("New workspace scratch-notes").wait_for()  # the switch has cleared the chat
    page.fill("#qa-question textarea", "What is in here?")
    page.keyboard.press("Enter")
    no_documents = (
        "() => document.querySelector('#qa-chat')?.innerText.includes('No documents are indexed')"
    )
    wait_until(page, no_documents)
    # Saved with its two messages: about 320 characters scrambled; the empty chat is about 130.
    wait_until(page, "() => localStorage.getItem('qa_bot_chat')?.length > 250")
    page.reload()
    # Back in scratch-notes, with its chat: not in the default workspace with scratch-notes' chat.
    wait_until(
        page, "() => document.querySelector('#qa-workspace input')?.value === 'scratch-notes'"
    )
    wait_until(page, no_documents)
    assert "cpec-2.0" not in page.locator("#qa-documents").inner_text()
    assert not page.watcher.dialogs and not page.watcher.errors


def test_a_restart_keeps_the_conversation(browser_context, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "restarted"
    with serve(folder) as live:
        page = browser_context.new_page()
        page.goto(live.url)
        page.wait_for_selector("#qa-question textarea")
        ask(page, "Who co-chaired the dialogue?")
        wait_until(page, "() => localStorage.getItem('qa_bot_chat')?.length > 1000")
        port = urlsplit(live.url).port
    # The server is gone; another starts on the store and the address it had.
    with serve(folder, port=port) as again:
        page.goto(again.url)
        page.wait_for_selector("#qa-question textarea")
        bot = page.locator("#qa-chat [data-testid='bot']").first
        bot.get_by_text("co-chaired by").first.wait_for()
        answer = ask(page, "Where will the next round be held?")
        assert "Islamabad" in answer
        page.evaluate("localStorage.clear()")
        page.close()


def test_two_people_at_once_each_keep_their_own_conversation(
    page, playwright, app: LiveApp, tmp_path: Path
) -> None:
    """Two browsers on one server, asking at the same time: each follow-up reads its own
    conversation, and one person's new conversation or workspace leaves the other's as it was."""
    with chromium(playwright, tmp_path / "second-profile") as second:
        other = second.new_page()
        other.watcher = Watcher(other, app)
        other.goto(app.url)
        other.wait_for_selector("#qa-question textarea")
        for one in (page, other):
            wait_until(one, "() => document.querySelector('#qa-workspace input')?.value")
        # Both ask before either answer comes, then both follow up with a pronoun.
        first = submit(page, "What did Ishaq Dar say about terrorism?")
        other_first = submit(other, "What did Wang Yi say about Venezuela?")
        assert "Ishaq Dar" in answered(first).inner_text()
        assert "Wang Yi noted" in answered(other_first).inner_text()
        follow = submit(page, "What else did he say?")
        other_follow = submit(other, "What else did he say?")
        # "He" is each one's own speaker: with one conversation for both, it would be Wang Yi.
        said = answered(follow).inner_text()
        assert "Ishaq Dar" in said and not said.startswith("Wang Yi"), said
        assert answered(other_follow).inner_text().startswith("Wang Yi")
        assert "Venezuela" not in page.locator("#qa-chat").inner_text()
        assert "terrorism" not in other.locator("#qa-chat").inner_text()
        shot(other, "05b-second-person")
        # One starts over in another workspace; the other's conversation stays, and goes on.
        other.locator("#qa-new-conversation").click()
        wait_until(other, "() => !document.querySelector('#qa-chat [data-testid=\"bot\"]')")
        choose_workspace(other, "second-person-notes")
        other.get_by_text("New workspace second-person-notes").wait_for()
        assert page.locator("#qa-chat [data-testid='bot']").count() == 2
        assert page.locator("#qa-workspace input").input_value() == "documents"
        assert "Islamabad" in ask(page, "Where will the next round be held?")
        assert not other.watcher.dialogs and not other.watcher.errors
    assert not page.watcher.dialogs and not page.watcher.errors


def choose_workspace(page, name: str) -> None:  # noqa: ANN001
    """Type a workspace name into the selector and press Enter, as a user creating one would."""
    field = page.locator("#qa-workspace input")
    field.fill(name)
    field.press("Enter")
    wait_until(page, f"() => document.querySelector('#qa-workspace input')?.value === '{name}'")


def test_switching_workspace_clears_the_chat_and_scopes_documents(page, tmp_path: Path) -> None:
    page.locator("#qa-workspace input").wait_for()
    wait_until(page, "() => document.querySelector('#qa-workspace input')?.value === 'documents'")
    ask(page, "Who co-chaired the dialogue?")
    choose_workspace(page, "field-notes")
    page.get_by_text("New workspace field-notes").wait_for()
    wait_until(page, "() => !document.querySelector('#qa-chat [data-testid=\"bot\"]')")
    notes = tmp_path / "kestrel.txt"
    notes.write_text("The kestrel survey counted 31 nesting pairs on the Brannock cliffs.", "utf-8")
    upload(page, [str(notes)], "kestrel.txt: added")
    answer = ask(page, "How many nesting pairs did the kestrel survey count?")
    assert "31 nesting pairs" in answer
    shot(page, "14-workspace-field-notes")
    # Back in the default workspace: its own documents, and nothing of field-notes.
    page.locator("#qa-workspace input").click()
    page.get_by_role("option", name="documents", exact=True).click()
    wait_until(page, "() => !document.querySelector('#qa-chat [data-testid=\"bot\"]')")
    wait_until(
        page,
        "() => document.querySelector('#qa-documents')?.innerText.includes('cpec-2.0')",
    )
    assert "kestrel" not in page.locator("#qa-documents").inner_text()
    answer = ask(page, "How many nesting pairs did the kestrel survey count?")
    assert "31 nesting pairs" not in answer
    assert not page.watcher.dialogs and not page.watcher.errors


def test_an_emptied_workspace_can_be_deleted(page, tmp_path: Path) -> None:  # noqa: ANN001
    delete = page.locator("#qa-delete-workspace")
    page.locator("#qa-workspace input").wait_for()
    wait_until(page, "() => document.querySelector('#qa-workspace input')?.value === 'documents'")
    choose_workspace(page, "draft-notes")
    page.get_by_text("New workspace draft-notes").wait_for()
    notes = tmp_path / "heron.txt"
    notes.write_text("The heron count at Marrow Fen was 12 birds.", "utf-8")
    upload(page, [str(notes)], "heron.txt: added")
    page.wait_for_timeout(500)
    assert not delete.is_visible(), "a workspace holding a document offers no deletion"
    page.locator("#qa-remove-choice input").click()
    page.get_by_role("option", name="heron.txt").click()
    page.locator("#qa-remove").click()
    page.locator("#qa-remove-yes").click()
    delete.wait_for()
    shot(page, "15-delete-empty-workspace")
    delete.click()
    page.get_by_text("Deleted workspace draft-notes.").wait_for()
    wait_until(page, "() => document.querySelector('#qa-workspace input')?.value === 'documents'")
    wait_until(
        page, "() => document.querySelector('#qa-documents')?.innerText.includes('cpec-2.0')"
    )
    delete.wait_for(state="hidden")  # the default workspace is never offered for deletion
    page.locator("#qa-workspace input").click()
    page.get_by_role("option", name="documents", exact=True).wait_for()
    assert page.get_by_role("option", name="draft-notes").count() == 0
    assert not page.watcher.dialogs and not page.watcher.errors


def test_hostile_documents_stay_inert(page, app: LiveApp, tmp_path: Path) -> None:
    corpus = hostile.write_xss_corpus(tmp_path / "xss")
    status = upload(page, [str(p) for p in corpus], "xss-report.docx")
    for path in corpus:
        assert f"{path.name}: added" in status, status
    shot(page, "08-xss-uploaded")
    questions = ["When is the zephyrine lantern festival held?"] + [
        f"When is the zephyrine lantern festival ({kind} note {n}) held?"
        for kind in ("txt", "md", "html", "docx")
        for n in (2, 8)
    ]
    rendered = ""
    for question in questions:
        ask(page, question)
        # Open every source so its whole chunk is rendered too.
        page.evaluate(
            "() => document.querySelectorAll('#qa-sources details').forEach(d => d.open = true)"
        )
        sources = page.locator("#qa-sources").inner_text()
        assert "zephyrine" in sources.lower()
        rendered += sources + page.locator("#qa-chat").inner_text()
    shot(page, "09-xss-answers")
    # The payloads were rendered as visible text, not as markup...
    shown = [payload for payload in hostile.XSS_PAYLOADS if payload in rendered]
    print(f"{len(shown)} of {len(hostile.XSS_PAYLOADS)} payloads shown verbatim")
    assert len(shown) >= len(hostile.XSS_PAYLOADS) // 2, shown
    # ...and none of them did anything.
    injected = page.evaluate(
        """() => ({
      xss: window.__xss ?? null,
      injected: document.querySelectorAll('#xss-injected').length,
      scripts: [...document.querySelectorAll('#qa-chat script, #qa-sources script')].length,
      iframes: document.querySelectorAll('#qa-chat iframe, #qa-sources iframe').length,
      handlers: [...document.querySelectorAll('#qa-chat *, #qa-sources *, #qa-documents *')]
        .filter(el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
      jsLinks: [...document.querySelectorAll('a[href]')]
        .filter(a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript')).length,
      svgs: document.querySelectorAll('#qa-chat svg[onload], #qa-sources svg').length,
      images: [...document.querySelectorAll('#qa-chat img, #qa-sources img')].length,
      hidden: getComputedStyle(document.body).display === 'none',
    })"""
    )
    assert injected == {
        "xss": None,
        "injected": 0,
        "scripts": 0,
        "iframes": 0,
        "handlers": 0,
        "jsLinks": 0,
        "svgs": 0,
        "images": 0,
        "hidden": False,
    }
    # Click every link in the answers: none runs script.
    for link in page.locator("#qa-chat a").all():
        link.click()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss ?? null") is None
    watcher = page.watcher
    assert watcher.dialogs == []
    assert [url for url in watcher.requests if "xss" in url] == []
    assert watcher.outside == []
    assert watcher.errors == []

    # Uploaded originals are never served back inline as HTML or SVG.
    for name in ("xss-page.html", "xss-notes.md"):
        stored = app.persist_dir / "uploads" / name
        assert stored.exists()
        response = page.request.get(f"{app.url}/gradio_api/file={stored}")
        assert response.status in (403, 404), (name, response.status)
    # Nor are Gradio's own copies of them: they are deleted once the files are stored.
    cached = [path for path in page.watcher.uploaded if path.endswith((".html", ".md"))]
    assert len(cached) >= 2, page.watcher.uploaded
    for path in cached:
        response = page.request.get(f"{app.url}/gradio_api/file={path}")
        assert response.status in (403, 404), (path, response.status)


def test_upload_limits_and_hostile_names(page, app: LiveApp, tmp_path: Path) -> None:
    uploads = app.persist_dir / "uploads"
    # Names with ../, absolute paths and odd characters land inside the upload folder.
    names = {
        "../../escape-attempt.txt": "escape-attempt.txt",
        "/tmp/absolute-attempt.md": "absolute-attempt.md",
        'odd <name> & "quotes".txt': "name_ _ _quotes_.txt",
    }
    files = [
        {
            "name": sent,
            "mimeType": "text/plain",
            "buffer": f"Upload {i} about the wandering heron of Kestrel Bay.".encode(),
        }
        for i, sent in enumerate(names)
    ]
    open_documents(page)
    page.locator("#qa-upload input[type=file]").set_input_files(files)
    try:
        wait_until(
            page,
            "() => (document.querySelector('#qa-upload-status')?.innerText.match(/added/g) || [])"
            ".length >= 3",
        )
    finally:
        shot(page, "10-hostile-names")
    saved = sorted(p.name for p in uploads.iterdir())
    for expected in ("escape-attempt.txt", "absolute-attempt.md"):
        assert expected in saved, saved
    assert all((uploads / name).resolve().parent == uploads.resolve() for name in saved)
    assert not (app.persist_dir / "escape-attempt.txt").exists()
    assert not (app.persist_dir.parent / "escape-attempt.txt").exists()
    assert not Path("/tmp/absolute-attempt.md").exists()
    shot(page, "10-hostile-names")

    # An unsupported type is refused with its reason, before anything is sent.
    open_documents(page)
    page.locator("#qa-upload input[type=file]").set_input_files(
        [{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}]
    )
    page.get_by_text("Invalid file type: tool.exe. Only .docx").wait_for()
    shot(page, "11-unsupported-type")
    assert not (uploads / "tool.exe").exists()

    # Over the size limit (1 MB in this app): refused with a clear message, nothing stored.
    big = tmp_path / "too-big.txt"
    big.write_bytes(b"heron " * 300_000)
    page.locator("#qa-upload input[type=file]").set_input_files(str(big))
    page.get_by_text("exceed the maximum allowed size of 1.0 Mb").wait_for()
    shot(page, "12-too-large")
    assert not (uploads / "too-big.txt").exists()
    # The server enforces the limit too, for clients that are not this page.
    response = page.request.post(
        f"{app.url}/gradio_api/upload",
        multipart={
            "files": {"name": "too-big.txt", "mimeType": "text/plain", "buffer": big.read_bytes()}
        },
    )
    assert response.status == 413, response.status
    assert page.watcher.dialogs == []


def test_artifacts_folder_is_ignored_by_git() -> None:
    ignored = ROOT / ".gitignore"
    assert "test-artifacts/" in ignored.read_text().splitlines()


def test_hostile_files_uploaded_from_the_page_leave_the_app_up(
    page, app: LiveApp, tmp_path: Path
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    files = {
        "zip-bomb.docx": hostile.docx_zip_bomb(300),
        "reference-loop.pdf": hostile.pdf_reference_loop(),
        "binary.txt": hostile.binary_bytes(),
        "latin1.txt": "Le café crème de Zürich coûte très cher.".encode("latin-1"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    status = upload(page, [str(folder / name) for name in files], "latin1.txt")
    wait_until(
        page, "() => document.querySelector('#qa-upload-status')?.innerText.includes('bomb')"
    )
    status = page.locator("#qa-upload-status").inner_text()
    assert "zip-bomb.docx: zip package would inflate to" in status
    assert "reference-loop.pdf: damaged PDF" in status
    assert "binary.txt: binary data, not text" in status
    assert "latin1.txt: added" in status
    # The app is still up and answers, from the file that was fine.
    answer = ask(page, "What does the café crème de Zürich cost?")
    assert "café crème de Zürich coûte très cher" in answer
    shot(page, "13-hostile-files")


def test_an_answer_still_coming_when_the_workspace_changes_is_dropped(
    browser_context, tmp_path: Path
) -> None:
    """A slow model's answer from the workspace just left must not land in the new one's chat,
    nor in a new conversation, nor in the browser's saved copy."""
    from tests.llm_server import model_server

    reply = "The dialogue was co-chaired by Wang Yi and Ishaq Dar [1]."

    def slowly(body: dict) -> str:
        time.sleep(SLOW_MODEL_S)
        return reply

    with (
        model_server(slowly) as (url, server),
        serve(
            tmp_path / "app",
            QA_BOT_LLM="openai",
            QA_BOT_LLM_MODEL="m",
            QA_BOT_LLM_BASE_URL=f"{url}/v1",
        ) as live,
    ):
        page = browser_context.new_page()
        page.goto(live.url)
        page.wait_for_selector("#qa-question textarea")
        wait_until(page, "() => document.querySelector('#qa-workspace input')?.value")
        asked = 0

        def ask_and_leave(leave) -> None:  # noqa: ANN001
            nonlocal asked
            page.fill("#qa-question textarea", "Who co-chaired the dialogue?")
            page.keyboard.press("Enter")
            eventually(lambda: len(server.requests) > asked, 30)  # the model is writing
            asked = len(server.requests)
            leave()
            wait_until(page, "() => !document.querySelector('#qa-chat [data-testid=\"bot\"]')")
            page.wait_for_timeout(SLOW_MODEL_S * 1000 + 1500)  # its reply has come meanwhile
            assert "Wang Yi" not in page.locator("#qa-chat").inner_text()

        ask_and_leave(lambda: page.locator("#qa-new-conversation").click())
        # The session still answers, and keeps what it answers.
        assert "Wang Yi" in ask(page, "Who co-chaired the dialogue?")
        asked = len(server.requests)
        ask_and_leave(lambda: choose_workspace(page, "field-notes"))
        page.get_by_text("New workspace field-notes").wait_for()
        # Nor did the browser keep it for the next visit.
        page.wait_for_timeout(1000)
        page.reload()
        page.wait_for_selector("#qa-question textarea")
        wait_until(
            page, "() => document.querySelector('#qa-workspace input')?.value === 'field-notes'"
        )
        page.wait_for_timeout(1000)
        assert "Wang Yi" not in page.locator("#qa-chat").inner_text()
        page.evaluate("localStorage.clear()")
        page.close()


SLOW_MODEL_S = 4
