"""Hybrid retrieval: dense (Chroma) and keyword (BM25) candidates fused by reciprocal rank,
then reranked by their best sentence (see sentences.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa_bot.overview import find_overview
from qa_bot.references import find_reference
from qa_bot.sentences import best_per_doc, score_all
from qa_bot.store import DocumentInfo, DocumentStore, chunk_id_for, next_chunk_id

# How much a chunk's best sentence counts next to its fused rank (RRF scores are ~1/60).
SENTENCE_WEIGHT = 0.06
# A chunk holding the numbered part the question names ("clause 3.2") comes before any chunk
# that only resembles the question; among such chunks, the usual scores decide.
REFERENCE_BOOST = 1.0
# Between the chunk a part opens in and the next one, which it may run on into.
_NEXT_GAP = 1e-6
# How many chunks holding that part to look at: a corpus of recipes has many a "3.".
REFERENCE_LIMIT = 200
# A document's gist ("Summarize the handbook") is read from up to this many of its first
# chunks: a section each, they hold its headings.
OVERVIEW_CHUNKS = 24


class HybridRetriever(BaseRetriever):
    """Top-k chunks by reciprocal rank fusion; each carries its dense, BM25 and fused scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: DocumentStore
    k: int = 4
    fetch_k: int = 20
    rrf_k: int = 60
    sentence_weight: float = SENTENCE_WEIGHT

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if not query.strip():
            return []
        overview = find_overview(query)
        if overview is not None and (meant := overview.documents(self.store.documents())):
            return self._openings(meant)
        query_vector = self.store.embedder.query_vector(query)
        dense = self.store.dense_search(query_vector, self.fetch_k)
        keyword = self.store.keyword_search(query, self.fetch_k)

        fused: dict[str, float] = {}
        signals: dict[str, dict[str, Any]] = {}
        docs: dict[str, Document] = {}
        for rank, (doc, similarity) in enumerate(dense):
            chunk_id = str(doc.id)
            docs[chunk_id] = doc
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
            signals.setdefault(chunk_id, {})["score_dense"] = similarity
        for rank, (chunk_id, score) in enumerate(keyword):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
            signals.setdefault(chunk_id, {})["score_bm25"] = score
        named = self._named_parts(query, fused)
        # A part may run on past its chunk ("3. Payment" ... "3.2." in the next one).
        following = {next_chunk_id(c) for c in named} - named
        for chunk_id in named | following:
            fused.setdefault(chunk_id, 0.0)
            signals.setdefault(chunk_id, {})

        missing = [chunk_id for chunk_id in fused if chunk_id not in docs]
        for doc, embedding in self.store.get(missing, with_embeddings=True):
            docs[str(doc.id)] = doc
            similarity = float(np.dot(query_vector, np.asarray(embedding, dtype=np.float32)))
            signals[str(doc.id)]["score_dense"] = similarity
        candidates = [chunk_id for chunk_id in fused if chunk_id in docs]  # others were removed
        best = best_per_doc(
            score_all(query, query_vector, [docs[c] for c in candidates]), len(candidates)
        )
        final = {}
        for chunk_id, sentence in zip(candidates, best, strict=True):
            signals[chunk_id]["score_sentence"] = sentence
            final[chunk_id] = fused[chunk_id] + self.sentence_weight * sentence
        # A contents list's entry, where its document has the part itself, is no part: the
        # part goes first. (A list of steps or of short clauses lists parts too.)
        reference = find_reference(query)
        listed = {c for c in named if c in docs and reference.only_listed_in(docs[c].page_content)}
        parted = {c.rsplit("-", 1)[0] for c in named - listed}
        _put_named_first(final, named - {c for c in listed if c.rsplit("-", 1)[0] in parted})
        top = sorted(final, key=final.__getitem__, reverse=True)[: self.k]

        results = []
        for chunk_id in top:
            doc = docs[chunk_id]
            metadata = {
                "score_dense": 0.0,
                "score_bm25": 0.0,
                **doc.metadata,
                **signals[chunk_id],
                "score_rrf": fused[chunk_id],
                "top_dense": dense[0][1] if dense else 0.0,
                "top_bm25": keyword[0][1] if keyword else 0.0,
            }
            results.append(Document(id=chunk_id, page_content=doc.page_content, metadata=metadata))
        return results

    def _openings(self, documents: list[DocumentInfo]) -> list[Document]:
        """For a question about a document as a whole: its first chunks (OVERVIEW_CHUNKS), or
        of several documents, the first chunk of each (of the first k). Each says how many
        documents were meant."""
        if len(documents) == 1:
            info = documents[0]
            count = min(max(self.k, OVERVIEW_CHUNKS), info.chunks)
            ids = [chunk_id_for(info.doc_id, info.version_key, i) for i in range(count)]
        else:
            ids = [chunk_id_for(i.doc_id, i.version_key, 0) for i in documents[: self.k]]
        return [
            Document(
                id=doc.id,
                page_content=doc.page_content,
                metadata={**doc.metadata, "overview_of": len(documents)},
            )
            for doc, _ in self.store.get(ids)
        ]

    def _named_parts(self, query: str, found: dict[str, float]) -> set[str]:
        """Chunks with a line opening with the number the question names, if it names one:
        those the search found and the others of their documents (a contents list names 5.3
        as its section does, and may be all the search finds), else the store's first few."""
        reference = find_reference(query)
        if reference is None:
            return set()
        named = self.store.matching(reference.pattern, REFERENCE_LIMIT)
        documents = {c.rsplit("-", 1)[0] for c in named if c in found}
        return {c for c in named if c.rsplit("-", 1)[0] in documents} or set(named[: self.k])


def _put_named_first(final: dict[str, float], named: set[str]) -> None:
    """Rank each chunk a named part opens in, followed by the next chunk of its document,
    before every other chunk; one part before another by the better score of its two."""
    base = dict(final)
    for chunk_id in named & base.keys():
        after = next_chunk_id(chunk_id)
        unit = REFERENCE_BOOST + max(base[chunk_id], base.get(after, base[chunk_id]))
        final[chunk_id] = max(final[chunk_id], unit + _NEXT_GAP)
        if after in final:
            final[after] = max(final[after], unit)
