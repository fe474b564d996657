"""The `qa-bot` command: ingest, list, remove, ask, chat, serve."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from qa_bot.answers import Answer
from qa_bot.chunking import one_line
from qa_bot.condense import Turn
from qa_bot.config import Settings, apply_environment, load_settings
from qa_bot.errors import ConfigError, EmptyStoreError, QaBotError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ask questions of your own documents and get answers with verifiable citations.",
)


@app.callback()
def _options(
    ctx: typer.Context,
    persist_dir: Annotated[Path | None, typer.Option(help="Store folder.")] = None,
    collection: Annotated[
        str | None,
        typer.Option("--collection", "--workspace", help="Collection (workspace) name."),
    ] = None,
    embedding_model: Annotated[
        str | None, typer.Option(help="sentence-transformers model name or path.")
    ] = None,
    chunk_size: Annotated[int | None, typer.Option(help="Chunk size in characters.")] = None,
    chunk_overlap: Annotated[int | None, typer.Option(help="Chunk overlap in characters.")] = None,
    k: Annotated[int | None, typer.Option("--k", help="Chunks retrieved per question.")] = None,
    llm: Annotated[
        str | None,
        typer.Option("--llm", help="Answer with: extractive, openai or ollama (see docs/llm.md)."),
    ] = None,
    chroma_url: Annotated[
        str | None, typer.Option(help="Use a Chroma server (http://host:port), not persist-dir.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    ctx.obj = {
        "persist_dir": persist_dir,
        "collection": collection,
        "embedding_model": embedding_model,
        "chunk_size": chunk_size,
        "chunk_overlap": chunk_overlap,
        "k": k,
        "llm": llm,
        "chroma_url": chroma_url,
    }


def _settings(ctx: typer.Context, **more: object) -> Settings:
    return load_settings(**{**(ctx.obj or {}), **more})


def _runtime(ctx: typer.Context, *, create: bool = False, **more: object):  # noqa: ANN202
    """The runtime of the chosen workspace; one other than the default must exist unless
    `create` (ingest): a mistyped --workspace is an error, not a new empty workspace."""
    from qa_bot.runtime import open_runtime

    settings = _settings(ctx, **more)
    return open_runtime(settings, create=create or _is_default(ctx, settings))


def _is_default(ctx: typer.Context, settings: Settings) -> bool:
    """Whether settings name the default workspace: QA_BOT_COLLECTION's, not --workspace's."""
    default = load_settings(**{**(ctx.obj or {}), "collection": None})
    return settings.collection == default.collection


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
) -> None:
    """Add or update documents; unchanged files are skipped, bad files are reported."""
    from qa_bot.ingest import ingest_paths

    runtime = _runtime(ctx, create=True)
    report = ingest_paths(paths, runtime.store)
    for outcome in report.outcomes:
        stream = sys.stderr if outcome.status in ("failed", "skipped") else sys.stdout
        typer.echo(outcome.line(), file=stream)
    typer.echo(f"{report.summary()}; {len(runtime.store.documents())} documents in the store")
    if report.outcomes and len(report.failed) == len(report.outcomes):
        raise typer.Exit(1)


def _store(ctx: typer.Context, **more: object):  # noqa: ANN202
    """The store alone, without loading the models: enough to list and remove documents. A
    workspace other than the default must exist."""
    from qa_bot.store import DocumentStore

    settings = _settings(ctx, **more)
    apply_environment(settings)
    return DocumentStore(settings, create=_is_default(ctx, settings))


@app.command("list")
def list_documents(ctx: typer.Context) -> None:
    """Show the indexed documents with their chunk counts."""
    store = _store(ctx)
    documents = store.documents()
    if not documents:
        typer.echo("No documents indexed yet - run `qa-bot ingest documents/`.")
        return
    for info in documents:
        typer.echo(f"{info.chunks:6d} chunks  {info.file_name}  ({info.source})")
    typer.echo(f"{len(documents)} documents, {store.chunk_count()} chunks")


@app.command()
def remove(ctx: typer.Context, paths: Annotated[list[str], typer.Argument()]) -> None:
    """Delete documents (by path or id) and all their chunks from the store."""
    store = _store(ctx)
    missing = 0
    for path in paths:
        info = store.remove(path)
        if info is None:
            typer.echo(f"{path}: not in the store", err=True)
            missing += 1
        else:
            typer.echo(f"removed {info.file_name} ({info.chunks} chunks)")
    if missing:
        raise typer.Exit(1)


@app.command("delete-workspace")
def delete_workspace(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Delete an empty workspace; remove its documents first. The default one stays."""
    from qa_bot.workspaces import delete_empty_workspace

    settings = _settings(ctx, collection=name)
    if _is_default(ctx, settings):
        raise ConfigError(f"{name!r} is the default workspace: it cannot be deleted")
    delete_empty_workspace(_store(ctx, collection=name))
    typer.echo(f"deleted workspace {name}")


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument()],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer object as JSON.")
    ] = False,
) -> None:
    """Answer one question, with its numbered sources."""
    question = question.strip()
    if not question:
        raise typer.BadParameter("the question is empty", param_hint="QUESTION")
    runtime = _runtime(ctx)
    _require_documents(runtime)
    answer = runtime.chain.invoke({"question": question, "history": []})
    if as_json:
        typer.echo(json.dumps(asdict(answer), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_answer(answer))


@app.command()
def chat(ctx: typer.Context) -> None:
    """A multi-turn chat in the terminal; follow-up questions use the conversation."""
    runtime = _runtime(ctx)
    _require_documents(runtime)
    history: list[Turn] = []
    typer.echo("Ask about your documents (empty line or Ctrl-D to quit).")
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        answer = None
        streamed = ""
        for answer in runtime.chain.stream({"question": question, "history": history}):
            if answer.final:
                break
            if answer.text.startswith(streamed):
                typer.echo(answer.text[len(streamed) :], nl=False)
                streamed = answer.text
        assert answer is not None
        if streamed and answer.text.startswith(streamed):
            typer.echo(answer.text[len(streamed) :])
        else:  # a generated draft was streamed: show what survived the citation check
            if streamed:
                typer.echo("\n-- checked against the sources:")
            typer.echo(answer.text)
        typer.echo(render_answer(answer, with_text=False))
        history.append(Turn(question, answer.standalone_query, answer.text))


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    ingest_if_empty: Annotated[
        bool, typer.Option(help="Index documents/ first when the store is empty.")
    ] = True,
) -> None:
    """Serve the browser UI at / and the HTTP API (OpenAI-compatible) under /v1."""
    from qa_bot.auth import load_users
    from qa_bot.runtime import open_runtime
    from qa_bot.server import serve as serve_app

    settings = _settings(ctx, host=host, port=port)
    users = load_users(settings.auth) if settings.auth else None  # a bad QA_BOT_AUTH fails fast
    runtime = open_runtime(settings)
    if ingest_if_empty:
        report = runtime.ingest_documents_if_empty()
        if report is not None:
            typer.echo(f"Indexed {runtime.settings.documents_dir}: {report.summary()}")
    url = f"http://{runtime.settings.host}:{runtime.settings.port}"
    typer.echo(f"Serving on {url} (API: {url}/v1, docs at {url}/v1/docs)")
    serve_app(runtime, users)


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    docs: Annotated[Path, typer.Option(help="Folder of documents to index.")],
    questions: Annotated[Path, typer.Option(help="Questions, JSON lines (see README).")],
    sample: Annotated[int | None, typer.Option(help="Ask a fixed random sample.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample and --holdout.")] = 0,
    out_of_corpus: Annotated[
        Path | None, typer.Option(help="Questions about documents not in --docs.")
    ] = None,
    holdout: Annotated[
        int, typer.Option(help="Leave N documents unindexed; their questions are out of corpus.")
    ] = 0,
    follow_ups: Annotated[
        int, typer.Option(help="Also score N pronoun follow-ups built from the questions.")
    ] = 0,
    calibrate: Annotated[
        bool, typer.Option(help="Fit the confidence model and threshold instead; needs --holdout.")
    ] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write figures here.")] = None,
) -> None:
    """Index --docs into a fresh temporary store, ask the questions through the chain, score."""
    from qa_bot import evaluation as ev
    from qa_bot.embeddings import make_embedder
    from qa_bot.loaders import iter_files

    settings = _settings(ctx)
    apply_environment(settings)
    files = list(iter_files([docs]))
    indexed, held = ev.split_holdout([f.name for f in files], holdout, seed)
    asked = ev.load_questions(questions)
    in_corpus = ev.sample([q for q in asked if q.doc not in held], sample, seed)
    declined = ev.sample([q for q in asked if q.doc in held], sample, seed)
    if out_of_corpus is not None:
        declined += ev.sample(ev.load_questions(out_of_corpus), sample, seed)
    files = [f for f in files if f.name in indexed]
    embedder = make_embedder(settings)
    if calibrate:
        if not declined:
            raise typer.BadParameter("--calibrate needs --holdout N or --out-of-corpus")
        result = ev.calibrate(settings, embedder, files, in_corpus, declined)
        typer.echo(result.describe())
        figures = result.figures
    else:
        pairs: list[ev.FollowUp] = []
        answerable = [q for q in asked if q.doc in indexed]
        if follow_ups:
            pairs = ev.sample(
                ev.make_follow_ups(answerable, *ev.read_articles(files)), follow_ups, seed
            )
        report = ev.run_eval(settings, embedder, files, in_corpus, declined, pairs, typer.echo)
        figures = report.figures
        typer.echo(ev.format_table({"qa_bot": figures}))
    if json_out is not None:
        json_out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


@app.command("hash-password")
def hash_password_command() -> None:
    """Print a password hash for the users file named by QA_BOT_AUTH (see docs/team.md)."""
    from qa_bot.auth import hash_password

    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    typer.echo(hash_password(password))


def render_answer(answer: Answer, *, with_text: bool = True) -> str:
    lines = [answer.text] if with_text else []
    if answer.standalone_query != answer.question:
        lines.append(f"(searched for: {answer.standalone_query})")
    if answer.notice:
        lines.append(f"note: {answer.notice}")
    for flagged in answer.unsupported:
        lines.append(f"not found in the cited source: {flagged}")
    citations = answer.citations
    if citations:
        lines.append("")
        lines.append(f"Sources (confidence {answer.confidence:.0%}):")
        for source in citations:
            lines.append(f"  [{source.number}] {source.location}")
            if source.supporting_sentence:
                lines.append(f'      "{one_line(source.supporting_sentence)}"')
    elif answer.abstained:
        lines.append(f"(confidence {answer.confidence:.0%})")
    return "\n".join(lines)


def _require_documents(runtime) -> None:  # noqa: ANN001
    if not runtime.store.documents():
        raise EmptyStoreError(
            f"No documents indexed in {runtime.settings.persist_dir} - "
            "run `qa-bot ingest documents/`"
        )


def main() -> None:
    try:
        app()
    except QaBotError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
