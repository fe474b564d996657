"""The question-answering chain, wired in one place: condense -> retrieve -> answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from operator import itemgetter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from qa_bot.answering import ExtractiveAnswerer
from qa_bot.answers import Answer
from qa_bot.citations import CitationChecker
from qa_bot.condense import in_context, make_condenser, topic_of
from qa_bot.config import Settings
from qa_bot.generative import GenerativeAnswerer, make_llm_condenser
from qa_bot.keyword import question_terms, terms
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
    answer_for: Runnable[dict, Answer] = assign("docs", itemgetter("standalone") | retriever)
    answer_for = answer_for | answerer
    if condenser is None:  # a chat model condensing sees the conversation itself
        answer_for = FollowUpInContext(answer_for)
    condenser = condenser or make_condenser(store.embedder)
    return (assign("standalone", condenser) | answer_for).with_config(run_name="qa_bot")


class FollowUpInContext(Runnable[dict, Answer]):
    """A follow-up that names nothing earlier is searched as asked, as it may be a new
    question; when the documents do not answer it so, it is searched again with the
    conversation's subject (condense.in_context), and that answer stands if they answer it.
    A question of what the documents say on a topic ("What did both sides say about
    terrorism?") that they do not answer as asked is searched again as its topic.
    """

    name = "follow_up_in_context"

    def __init__(self, answer_for: Runnable[dict, Answer]) -> None:
        self.answer_for = answer_for

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        return list(self.stream(input, config))[-1]

    def stream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Answer]:
        # Kept back until it is known whether the answer stands: an extractive answer exists
        # at once, and its stream only spells it out.
        snapshots = list(self.answer_for.stream(input, config))
        searched = in_context(input["question"], list(input.get("history") or []))
        if snapshots[-1].abstained and searched and searched != input["standalone"]:
            retried = list(self.answer_for.stream({**input, "standalone": searched}, config))
            if not retried[-1].abstained and _holds_a_word_of(input["question"], retried[-1]):
                snapshots = retried
        topic = topic_of(input["standalone"])
        if snapshots[-1].abstained and topic:
            # Asked as the topic alone, so the answerer weighs the topic's words only.
            retried = list(
                self.answer_for.stream({**input, "question": topic, "standalone": topic}, config)
            )
            if not retried[-1].abstained:
                snapshots = [replace(answer, question=input["question"]) for answer in retried]
        yield from snapshots


def _holds_a_word_of(question: str, answer: Answer) -> bool:
    """The answer's cited passages hold a word the question itself asks of: one the subject
    alone found is about the subject ("What is the population of Lahore?" after questions on
    the dialogue was answered with who co-chaired it)."""
    asked = question_terms(question)
    wanted = asked.all - asked.hints
    cited = terms([f"{source.title}\n{source.text}" for source in answer.citations])
    return not wanted or bool(wanted & frozenset().union(*cited))


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
