"""The Gradio app: a thin layer turning widgets into chain calls and Answers back into widgets.

Per-user state (the chosen workspace, the conversation and each turn's sources) lives in gr.State
and the Chatbot value, so nothing of one browser session reaches another; a copy kept in the
browser (saved_chat) brings it back on reload. With sign-in, every event checks on the server that
the session's user is granted the workspace it acts on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import gradio as gr

from qa_bot.answers import Answer, Source
from qa_bot.auth import User, Users
from qa_bot.condense import Turn
from qa_bot.config import Settings
from qa_bot.errors import ConfigError, NotGrantedError, QaBotError
from qa_bot.ingest import ingest_paths
from qa_bot.loaders import supported_suffixes
from qa_bot.render import answer_markdown, answer_to_dict, escape_md, sources_html
from qa_bot.runtime import Runtime
from qa_bot.saved_chat import STORAGE_KEY, SavedChat, save_for, saved_for, secret_for
from qa_bot.uploads import discard, save_uploads
from qa_bot.workspaces import Workspaces

# Gradio reads the default to decide on progress tracking; tqdm bars in ingest show in the UI.
_TRACK_TQDM = gr.Progress(track_tqdm=True)

CSS = """
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 6px 10px; margin-bottom: 8px; }
.qa-source summary { cursor: pointer; font-weight: 600; }
.qa-source .qa-quote { font-weight: normal; font-style: italic; opacity: 0.85; }
.qa-source .qa-chunk { white-space: pre-wrap; margin-top: 6px; line-height: 1.5; }
.qa-source mark { background: #fde68a; color: #111; padding: 0 2px; }
.qa-source.qa-flash { outline: 3px solid #f59e0b; }
.qa-meta { font-size: 0.85em; opacity: 0.75; }
.qa-others > summary { cursor: pointer; margin: 4px 0 8px; }
"""

# Clicking a marker [n] in the chat opens that source in the panel and scrolls to it. The
# click goes on to the chat, whose select event shows an earlier answer's sources first.
JS = """
() => {
  const open = (id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    el.open = true;
    el.scrollIntoView({behavior: "smooth", block: "nearest"});
    el.classList.add("qa-flash");
    setTimeout(() => el.classList.remove("qa-flash"), 1200);
    return true;
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#qa-src-']");
    if (!link) return;
    event.preventDefault();
    const id = link.getAttribute("href").slice(1);
    if (!open(id)) {
      let tries = 0;
      const timer = setInterval(() => { if (open(id) || ++tries > 20) clearInterval(timer); }, 100);
    }
  }, true);
}
"""


def build_ui(
    runtime: Runtime, workspaces: Workspaces | None = None, users: Users | None = None
) -> gr.Blocks:
    """Build the Blocks app; events are registered in _register_events.

    `runtime` is the default workspace's; `users`, when sign-in is on, decides which workspaces
    each session may choose, on every event.
    """
    workspaces = workspaces or Workspaces(runtime)
    with gr.Blocks(title="qa_bot", analytics_enabled=False) as demo:
        with gr.Row():
            with gr.Column(scale=4):
                gr.Markdown(
                    "## qa_bot\nAsk questions of your documents. Every answer cites its source: "
                    "click a marker such as **[1]** to see the passage, with the supporting "
                    "sentence highlighted."
                )
            with gr.Column(scale=1, min_width=240):
                # Choices and value are set per session on load: only the user's workspaces.
                workspace_choice = gr.Dropdown(
                    label="Workspace",
                    choices=[],
                    value=None,
                    allow_custom_value=True,
                    info="Choose one, or type a new name and press Enter, then add its documents.",
                    elem_id="qa-workspace",
                )
                workspace_status = gr.Markdown(elem_id="qa-workspace-status")
                # Shown only for a workspace with no documents (not the default): deleting one
                # loses nothing, so it is not asked twice.
                delete_workspace = gr.Button(
                    "Delete this empty workspace",
                    size="sm",
                    visible=False,
                    elem_id="qa-delete-workspace",
                )
        # The workspace this session works in, once checked; None until load sets the default.
        workspace = gr.State(None)
        # For API clients only: /upload and /remove take an optional workspace (the page sends "").
        api_workspace = gr.Textbox("", visible=False, label="workspace")
        turns = gr.State([])
        turn_sources = gr.State([])
        # The conversation again, in the browser: a reload, or a restart, picks it up.
        saved = gr.BrowserState({}, storage_key=STORAGE_KEY, secret=secret_for(runtime.settings))
        with gr.Row():
            with gr.Column(scale=3):
                # No "share" button: it would post the conversation to Hugging Face.
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,  # the floating label covered the top message when scrolled
                    height=520,
                    elem_id="qa-chat",
                    feedback_options=None,
                    buttons=["copy", "copy_all"],
                    # What a first visit, and a new conversation, shows in the empty chat.
                    placeholder=(
                        "Ask a question about your documents.\n\nAdd files under Documents "
                        f"below ({', '.join(_kinds())}). Each answer cites the passage it comes "
                        "from: click a marker such as [1] to see it."
                    ),
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about your documents…",
                        show_label=False,
                        scale=5,
                        elem_id="qa-question",
                        submit_btn=True,
                    )
                clear = gr.Button("New conversation", size="sm", elem_id="qa-new-conversation")
                backend = gr.Radio(
                    choices=_backend_choices(runtime),
                    value=runtime.settings.llm,
                    label="Answer with",
                    visible=len(runtime.chains) > 1,  # only backends that are configured
                    elem_id="qa-backend",
                )
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_html([], 0), elem_id="qa-sources")
        # Open on load when the workspace has no documents yet: adding them comes first.
        with gr.Accordion("Documents", open=False, elem_id="qa-documents-panel") as panel:
            with gr.Row():
                upload = gr.File(
                    label="Add documents",
                    file_count="multiple",
                    file_types=list(supported_suffixes()),
                    elem_id="qa-upload",
                )
                with gr.Column():
                    upload_status = gr.Markdown(elem_id="qa-upload-status")
                    remove_choice = gr.Dropdown(
                        label="Remove a document",
                        choices=[],
                        allow_custom_value=True,  # API clients may name a document id
                        elem_id="qa-remove-choice",
                    )
                    remove_button = gr.Button("Remove…", variant="stop", elem_id="qa-remove")
                    # Removing cannot be undone: it is asked once more, naming what goes.
                    with gr.Column(visible=False, elem_id="qa-remove-confirm") as remove_confirm:
                        remove_question = gr.Markdown(elem_id="qa-remove-question")
                        with gr.Row():
                            remove_yes = gr.Button(
                                "Remove", variant="stop", size="sm", elem_id="qa-remove-yes"
                            )
                            remove_no = gr.Button("Cancel", size="sm", elem_id="qa-remove-no")
            documents = gr.Dataframe(
                headers=["document", "chunks", "title"],
                interactive=False,
                # Long titles wrap rather than run off the right edge.
                wrap=True,
                column_widths=["35%", "10%", "55%"],
                show_search="filter",  # a workspace may hold hundreds of files
                elem_id="qa-documents",
            )
        widgets = {
            "workspace_choice": workspace_choice,
            "workspace_status": workspace_status,
            "delete_workspace": delete_workspace,
            "workspace": workspace,
            "api_workspace": api_workspace,
            "turns": turns,
            "turn_sources": turn_sources,
            "saved": saved,
            "chatbot": chatbot,
            "question": question,
            "clear": clear,
            "backend": backend,
            "sources": sources,
            "upload": upload,
            "upload_status": upload_status,
            "remove_choice": remove_choice,
            "remove_button": remove_button,
            "remove_confirm": remove_confirm,
            "remove_question": remove_question,
            "remove_yes": remove_yes,
            "remove_no": remove_no,
            "documents": documents,
            "panel": panel,
        }
        _register_events(demo, workspaces, users, widgets)
    return demo


def _register_events(
    demo: gr.Blocks, workspaces: Workspaces, users: Users | None, w: dict[str, Any]
) -> None:
    write_lock = threading.Lock()

    # Access is checked here, on the server, for every event: what a page shows is no guard.
    def user_of(request: gr.Request | None) -> User | None:
        if users is None:
            return None
        user = users.signed_in(request.username if request else None)
        if user is None:
            raise gr.Error("Sign in again: this session has no signed-in user.")
        return user

    def open_workspace(
        name: str | None, request: gr.Request | None, *, create: bool = False
    ) -> Runtime | None:
        """The runtime of a workspace the session's user may use (None: the user's default);
        None when it does not exist yet. A refusal reaches the page or client as gr.Error."""
        try:
            return workspaces.open_for(user_of(request), name, create=create)
        except KeyError:
            return None
        except (NotGrantedError, ConfigError) as exc:
            raise gr.Error(str(exc)) from exc

    def workspace_choices(user: User | None, value: str) -> Any:
        choices = workspaces.choices_for(user)
        # A new name is listed while chosen, and gone once left unless a document made it.
        return gr.update(choices=choices if value in choices else [*choices, value], value=value)

    def start_session(saved: Any, request: gr.Request):
        """The user's default workspace with an empty chat, or where this browser left off."""
        user = user_of(request)
        kept = saved_for(saved, _user_key(user))
        runtime = None
        if kept is not None:
            try:
                runtime = workspaces.open_for(user, kept.workspace)
            except KeyError:
                pass  # chosen there, and no document added yet
            except (NotGrantedError, ConfigError):
                kept = None  # no longer this user's to use: start afresh
        if kept is None:
            name = workspaces.default_for(user)
            runtime = open_workspace(name, request)
        else:
            name = kept.workspace
        empty = runtime is None or not runtime.store.documents()
        return (
            name,
            workspace_choices(user, name),
            *(_restored(kept) if kept is not None else new_conversation()),
            save_for(_user_key(user), kept),  # another user's, or an unreadable one, goes
            *_document_widgets(runtime),
            gr.update(open=True) if empty else gr.skip(),
        )

    def remember(
        chosen: str | None,
        chat: list[dict],
        turns: list[Turn],
        turn_sources: list[list[Source]],
        request: gr.Request,
    ) -> dict[str, Any]:
        user = user_of(request)
        name = chosen or workspaces.default_for(user)
        return save_for(_user_key(user), SavedChat.of(name, chat, turns, turn_sources))

    def switch_workspace(choice: str | None, current: str | None, request: gr.Request):
        user = user_of(request)
        current = current or workspaces.default_for(user)
        name = (choice or "").strip()
        unchanged = [gr.skip()] * 7  # the conversation and the documents stay
        if not name or name == current:
            return current, workspace_choices(user, current), "", *unchanged
        try:
            runtime = workspaces.open_for(user, name)
        except KeyError:
            # Not created until its first document: a mistyped name leaves nothing behind.
            runtime = None
        except (NotGrantedError, ConfigError) as exc:
            return current, workspace_choices(user, current), f"⚠️ {escape_md(str(exc))}", *unchanged
        note = (
            ""
            if runtime is not None
            else f"New workspace {escape_md(name)}: it is kept once you add documents below."
        )
        return (
            name,
            workspace_choices(user, name),
            note,
            *new_conversation(),
            "",  # the last upload's status belongs to the other workspace
            *_document_widgets(runtime),
        )

    def deletable(chosen: str | None, request: gr.Request) -> Any:
        """Offer deletion for an existing, empty workspace that is not the user's default."""
        user = user_of(request)
        name = chosen or workspaces.default_for(user)
        default = name in (workspaces.default_for(user), workspaces.default_name)
        runtime = None if default else open_workspace(name, request)
        return gr.update(visible=runtime is not None and not runtime.store.documents())

    def delete_workspace(chosen: str | None, request: gr.Request):
        user = user_of(request)
        name = (chosen or "").strip() or workspaces.default_for(user)
        try:
            with write_lock:
                workspaces.delete(user, name)
        except KeyError:
            message = f"Workspace {escape_md(name)} was not created: nothing to delete."
        except QaBotError as exc:
            unchanged = [gr.skip()] * 7
            return name, workspace_choices(user, name), f"⚠️ {escape_md(str(exc))}", *unchanged
        else:
            message = f"Deleted workspace {escape_md(name)}."
        # Back in the user's default workspace, as after choosing it.
        default = workspaces.default_for(user)
        return (
            default,
            workspace_choices(user, default),
            message,
            *new_conversation(),
            "",
            *_document_widgets(open_workspace(default, request)),
        )

    def respond(
        message: str,
        chat: list[dict],
        turns: list[Turn],
        turn_sources: list[list[Source]],
        backend: str | None,
        chosen: str | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            yield chat, gr.skip(), turns, turn_sources, ""
            return
        runtime = open_workspace(chosen, request)
        chat = [*chat, {"role": "user", "content": message}]
        if runtime is None or not runtime.store.documents():
            chat.append({"role": "assistant", "content": _no_documents_text()})
            yield chat, gr.skip(), turns, turn_sources, ""
            return
        turn = len(turn_sources) + 1
        chat.append({"role": "assistant", "content": "…"})
        yield chat, gr.skip(), turns, turn_sources, ""  # the question shows while we search
        answer: Answer | None = None
        try:
            chain = runtime.chains.get(backend or "", runtime.chain)
            for answer in chain.stream({"question": message, "history": turns}):
                chat[-1] = {"role": "assistant", "content": answer_markdown(answer, turn)}
                yield chat, gr.skip(), turns, turn_sources, ""
        except QaBotError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {escape_md(str(exc))}"}
            yield chat, gr.skip(), turns, turn_sources, ""
            return
        assert answer is not None
        turns = [*turns, Turn(message, answer.standalone_query, answer.text)]
        turn_sources = [*turn_sources, list(answer.sources)]
        yield chat, sources_html(answer.sources, turn, answer), turns, turn_sources, ""

    def show_turn_sources(turn_sources: list[list[Source]], evt: gr.SelectData) -> Any:
        # Each turn is a user message followed by an assistant message.
        turn = evt.index // 2 + 1 if isinstance(evt.index, int) else len(turn_sources)
        if 1 <= turn <= len(turn_sources):
            return sources_html(turn_sources[turn - 1], turn)
        return gr.skip()

    def upload_files(
        files: list[str] | None,
        chosen: str | None,
        workspace: str | None,
        request: gr.Request,
        progress: gr.Progress = _TRACK_TQDM,
    ):
        try:
            runtime = open_workspace(workspace or chosen, request, create=bool(files))
            if not files or runtime is None:
                return gr.skip(), *_document_widgets(runtime)
            uploads = save_uploads(files, runtime.settings)
        finally:
            # Gradio's copies go once saved: its file route must not serve a workspace's files.
            discard(files or [])
        saved = uploads.saved
        lines = list(uploads.refused)
        if saved:
            try:
                with write_lock:
                    report = ingest_paths(saved, runtime.store)
            except QaBotError as exc:
                lines.append(str(exc))
            else:
                lines = [outcome.line() for outcome in report.outcomes] + lines
        status = "\n".join(f"- {escape_md(line)}" for line in lines)
        return status, *_document_widgets(runtime)

    def remove_document(
        choice: str | None, chosen: str | None, workspace: str | None, request: gr.Request
    ):
        runtime = open_workspace(workspace or chosen, request)
        if runtime is None:
            return "This workspace has no documents yet.", *_document_widgets(runtime)
        if not choice:
            return "Choose a document to remove.", *_document_widgets(runtime)
        try:
            with write_lock:
                info = runtime.store.remove(choice)
        except QaBotError as exc:
            return escape_md(str(exc)), *_document_widgets(runtime)
        message = (
            f"Removed {escape_md(info.file_name)} ({_chunks(info.chunks)})." if info else _GONE
        )
        return message, *_document_widgets(runtime)

    def confirm_removal(choice: str | None, chosen: str | None, request: gr.Request):
        """Ask before removing: the file, its chunk count, and that answers lose it."""
        runtime = open_workspace(chosen, request)
        info = runtime.store.find(choice) if runtime is not None and choice else None
        if info is None:
            message = "Choose a document to remove." if not choice else _GONE
            return message, gr.update(visible=False), ""
        question = (
            f"Remove **{escape_md(info.file_name)}** ({_chunks(info.chunks)}) from this workspace? "
            "Answers will no longer cite it; to have it back, add the file again."
        )
        return "", gr.update(visible=True), question

    def new_conversation():
        return [], [], [], sources_html([], 0)

    conversation = [w["chatbot"], w["turns"], w["turn_sources"], w["sources"]]
    doc_outputs = [w["upload_status"], w["documents"], w["remove_choice"]]
    chosen = [w["workspace"], w["workspace_choice"]]
    demo.load(
        start_session,
        [w["saved"]],
        [*chosen, *conversation, w["saved"], w["documents"], w["remove_choice"], w["panel"]],
        api_visibility="private",
    )
    # After each change to the conversation, the browser's copy follows.
    save = {
        "fn": remember,
        "inputs": [w["workspace"], w["chatbot"], w["turns"], w["turn_sources"]],
        "outputs": [w["saved"]],
        "api_visibility": "private",
    }
    outputs = [w["chatbot"], w["sources"], w["turns"], w["turn_sources"], w["question"]]
    answering = w["question"].submit(
        respond,
        [
            w["question"],
            w["chatbot"],
            w["turns"],
            w["turn_sources"],
            w["backend"],
            w["workspace"],
        ],
        outputs,
        api_visibility="private",
    )
    answering.then(**save)
    # Leaving a conversation stops its answer: a slow model's reply, still coming, would land
    # in the next conversation (or workspace) and be saved there.
    leave = {"cancels": [answering]}
    w["workspace_choice"].input(
        switch_workspace,
        [w["workspace_choice"], w["workspace"]],
        [*chosen, w["workspace_status"], *conversation, *doc_outputs],
        api_name="workspace",
        api_visibility="undocumented",
        **leave,
    ).then(**save)
    w["chatbot"].select(show_turn_sources, [w["turn_sources"]], [w["sources"]])
    w["clear"].click(new_conversation, None, conversation, **leave).then(**save)
    # The chat's own trash button empties the chat; the history behind it must go too.
    w["chatbot"].clear(new_conversation, None, conversation, **leave).then(**save)
    # Writes to the store run one at a time: a second upload waits in the queue, not fails.
    writes = {"concurrency_limit": 1, "concurrency_id": "store-writes"}
    targets = [w["workspace"], w["api_workspace"]]
    w["upload"].upload(
        upload_files,
        [w["upload"], *targets],
        doc_outputs,
        api_name="upload",
        # On the table alone: over the status and the remove control it hid them (and overlapped).
        show_progress_on=[w["documents"]],
        **writes,
    ).then(
        # Empty the file box: the table below is what is in the store, not the last upload. A
        # note on the workspace ("kept once you add documents") is out of date once one is added.
        lambda: (None, ""),
        None,
        [w["upload"], w["workspace_status"]],
        api_visibility="private",
    )
    hide_confirm = {"fn": lambda: gr.update(visible=False), "inputs": None}
    w["remove_button"].click(
        confirm_removal,
        [w["remove_choice"], w["workspace"]],
        [w["upload_status"], w["remove_confirm"], w["remove_question"]],
        api_visibility="private",
    )
    w["remove_yes"].click(
        remove_document, [w["remove_choice"], *targets], doc_outputs, api_name="remove", **writes
    ).then(outputs=[w["remove_confirm"]], api_visibility="private", **hide_confirm)
    # A question about another document, or none, must not stay on screen to be confirmed.
    for event in (w["remove_no"].click, w["remove_choice"].change):
        event(outputs=[w["remove_confirm"]], api_visibility="private", **hide_confirm)
    w["delete_workspace"].click(
        delete_workspace,
        [w["workspace"]],
        [*chosen, w["workspace_status"], *conversation, *doc_outputs],
        api_visibility="private",
        **writes,
    ).then(**save)
    # Whatever changed the workspace or its documents (a switch, an upload, a removal, a load).
    for changed in (w["workspace"].change, w["documents"].change):
        changed(deletable, [w["workspace"]], [w["delete_workspace"]], api_visibility="private")

    def ask(
        request: gr.Request,
        question: str,
        history: list[list[str]] | None = None,
        workspace: str | None = None,
    ) -> dict:
        """Answer a question (history: [[question, answer], ...]) in a workspace (default: the
        user's default); returns the answer object."""
        question = (question or "").strip()
        if not question:
            return {"error": "Type a question: this one is empty."}
        turns = [Turn(q, q, a) for q, a in (history or [])]
        runtime = open_workspace(workspace, request)
        if runtime is None or not runtime.store.documents():
            return {"error": _no_documents_text()}
        answer = runtime.chain.invoke({"question": question, "history": turns})
        return answer_to_dict(answer)

    gr.api(ask, api_name="ask")


def _backend_choices(runtime: Runtime) -> list[tuple[str, str]]:
    settings = runtime.settings
    labels = {"extractive": "Extractive (quotes the documents)"}
    labels[settings.llm] = labels.get(settings.llm) or f"{settings.llm_model} ({settings.llm})"
    return [(labels.get(name, name), name) for name in runtime.chains or [settings.llm]]


def _document_widgets(runtime: Runtime | None) -> tuple[Any, Any]:
    """The documents table and the remove choices; empty for a workspace not created yet."""
    infos = runtime.store.documents() if runtime is not None else []
    rows = [[info.file_name, info.chunks, info.title] for info in infos]
    choices = [(info.file_name, info.doc_id) for info in infos]
    return rows, gr.update(choices=choices, value=None)


def _kinds() -> list[str]:
    """The kinds of file the store takes, as a user names them (not ".htm" beside ".html")."""
    names = ("txt", "md", "html", "pdf", "docx")
    return [name for name in names if f".{name}" in supported_suffixes()]


_GONE = "That document is no longer in the store."


def _chunks(count: int) -> str:
    return f"{count} chunk{'' if count == 1 else 's'}"


def _user_key(user: User | None) -> str:
    """Whose chat, in a browser two users of one computer may share."""
    return user.name if user is not None else ""


def _restored(kept: SavedChat) -> tuple[Any, ...]:
    """The conversation widgets as the browser left them; the Sources panel shows the last turn."""
    sources = kept.sources[-1] if kept.sources else []
    return kept.chat, kept.turns, kept.sources, sources_html(sources, len(kept.sources))


def _no_documents_text() -> str:
    return "No documents are indexed yet. Add some under **Documents** below, then ask again."


def configure_queue(demo: gr.Blocks, settings: Settings) -> gr.Blocks:
    """The queue every entry point uses; the numbers are explained in docs/operations.md."""
    return demo.queue(
        default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_size
    )


def max_file_size(settings: Settings) -> int:
    """Gradio refuses larger uploads (HTTP 413, and a message in the page) before we see them."""
    return int(settings.max_upload_mb * 1024 * 1024)
