"""The question-answering chain, wired in one place: condense -> retrieve -> answer."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from qa_bot.answering import ExtractiveAnswerer
from qa_bot.answers import Answer
from qa_bot.citations import CitationChecker
from qa_bot.condense import make_condenser
from qa_bot.config import Settings
from qa_bot.generative import GenerativeAnswerer, make_llm_condenser
from qa_bot.llm import ChatBackend, describe_backend
from qa_bot.prompts import Prompts
from qa_bot.reranking import SentenceReranker
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
    reranker: SentenceReranker | None = None,
) -> Runnable[dict, Answer]:
    """{"question": str, "history": list[Turn]} -> Answer (streamed as snapshots by .stream)."""
    retriever = build_retriever(settings, store)
    answerer = answerer or ExtractiveAnswerer(
        store.embedder, settings.abstain_threshold, reranker=reranker
    )
    return (
        assign("standalone", condenser or make_condenser())
        | assign("docs", itemgetter("standalone") | retriever)
        | answerer
    ).with_config(run_name="qa_bot")


def assign(key: str, step: Runnable[dict, Any]) -> Runnable[dict, dict]:
    """RunnablePassthrough.assign for one step, run in the caller's thread.

    RunnablePassthrough.assign starts a thread pool on every call, even for a single step;
    that cost about 5 ms of a question's 70 on 2 cores.
    """

    def add(inputs: dict, config: RunnableConfig) -> dict:
        return {**inputs, key: step.invoke(inputs, config)}

    return RunnableLambda(add, name=f"assign_{key}")


def build_generative_chain(
    settings: Settings,
    store: DocumentStore,
    model: BaseChatModel,
    prompts: Prompts,
    reranker: SentenceReranker | None = None,
) -> Runnable[dict, Answer]:
    """The same chain with the chat model condensing follow-ups and writing checked answers."""
    backend = ChatBackend(model, settings.llm_timeout, describe_backend(settings))
    extractive = ExtractiveAnswerer(store.embedder, settings.abstain_threshold, reranker=reranker)
    answerer = GenerativeAnswerer(backend, prompts, extractive, CitationChecker(store.embedder))
    return build_chain(settings, store, answerer, make_llm_condenser(backend, prompts))
