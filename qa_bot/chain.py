"""The question-answering chain, wired in one place: condense -> retrieve -> answer."""

from __future__ import annotations

from operator import itemgetter

from langchain_core.runnables import Runnable, RunnablePassthrough

from qa_bot.answering import ExtractiveAnswerer
from qa_bot.answers import Answer
from qa_bot.condense import make_condenser
from qa_bot.config import Settings
from qa_bot.retrieval import HybridRetriever
from qa_bot.store import DocumentStore


def build_retriever(settings: Settings, store: DocumentStore) -> HybridRetriever:
    return HybridRetriever(
        store=store, k=settings.k, fetch_k=settings.fetch_k, rrf_k=settings.rrf_k
    )


def build_chain(
    settings: Settings,
    store: DocumentStore,
    answerer: Runnable[dict, Answer] | None = None,
    condenser: Runnable[dict, str] | None = None,
) -> Runnable[dict, Answer]:
    """{"question": str, "history": list[Turn]} -> Answer (streamed as snapshots by .stream)."""
    retriever = build_retriever(settings, store)
    answerer = answerer or ExtractiveAnswerer(store.embedder, settings.abstain_threshold)
    return (
        RunnablePassthrough.assign(standalone=condenser or make_condenser())
        | RunnablePassthrough.assign(docs=itemgetter("standalone") | retriever)
        | answerer
    ).with_config(run_name="qa_bot")
