"""Load test: concurrent chat sessions against the running app while an ingest runs.

Each session is a browser-like client of Gradio's queue (its own session hash, its own server-side
state): it asks about "its" lighthouse, asks a follow-up that only that session's history can
resolve, checks that nothing of another session shows up, starts a new conversation, repeats.
Meanwhile another client uploads batches of new files, so the store is written under the load.

    python -m benchmarks.loadtest                   # starts its own app on 127.0.0.1
    python -m benchmarks.loadtest --url http://127.0.0.1:7860 --sessions 20 --duration 120

Loopback only, bounded in time (--duration) and count (--max-turns, --ingest-files). Prints p50/p95
time-to-first-token and exits 1 on any error or cross-session leak.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from gradio_client.utils import apply_diff

ROOT = Path(__file__).resolve().parents[1]
NAMES = (
    "Arvandel Brisolm Cadwyn Dornmere Elstrow Faldane Gorsk Hethel Iskarn Jorvale Kelmarsh "
    "Lunmoor Marrick Norsby Ollerton Pentrow Quarnby Rosshaw Selcombe Tarrow Ulverby Vexley "
    "Wendrow Yarnick"
).split()
BUILDERS = (
    "Abney Bolton Carver Dunstan Ellery Fenwick Garrod Holloway Ingram Jessop Kettle Lanyon "
    "Mortimer Nettle Osgood Pryor Quayle Rendell Stannard Trevitt Upshaw Varley Whitlock Yeates"
).split()
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_LOCK = threading.Lock()  # guards Results, shared by the session threads


def lighthouse_text(i: int) -> str:
    name, builder = NAMES[i], BUILDERS[i]
    return (
        f"The {name} Lighthouse opens to visitors at {5 + i % 7} o'clock every morning. "
        f"It was built by the engineer {builder} in {1850 + i}. "
        f"Its lamp can be seen from {10 + i} miles out at sea.\n"
    )


def write_lighthouses(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"lighthouse-{NAMES[i].lower()}.txt").write_text(lighthouse_text(i))


@dataclass
class Results:
    sessions: int = 0
    duration_s: float = 0.0
    turns: int = 0
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    wrong_answers: list[str] = field(default_factory=list)
    ttft_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    ingest_batches: int = 0
    ingest_files: int = 0
    ingest_errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        def pct(values: list[float], q: int) -> float | None:
            if not values:
                return None
            return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 3)

        return {
            "sessions": self.sessions,
            "duration_s": round(self.duration_s, 1),
            "turns": self.turns,
            "errors": len(self.errors),
            "leaks": len(self.leaks),
            "wrong_answers": len(self.wrong_answers),
            "ttft_p50_s": pct(self.ttft_s, 50),
            "ttft_p95_s": pct(self.ttft_s, 95),
            "total_p50_s": pct(self.total_s, 50),
            "total_p95_s": pct(self.total_s, 95),
            "ingest_batches": self.ingest_batches,
            "ingest_files": self.ingest_files,
            "ingest_errors": len(self.ingest_errors),
        }


class GradioSession:
    """One browser tab's worth of Gradio: a session hash, the chat value, queue events."""

    def __init__(self, url: str, config: dict, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.api = self.url + config.get("api_prefix", "/gradio_api")
        self.hash = uuid.uuid4().hex[:12]
        self.http = httpx.Client(timeout=timeout)
        self.chat: list = []
        components = {c["id"]: c for c in config["components"]}
        self._deps = config["dependencies"]
        self._components = components

    def close(self) -> None:
        self.http.close()

    def _dependency(self, elem_id: str, event: str) -> tuple[int, dict]:
        for index, dep in enumerate(self._deps):
            for target, name in dep["targets"]:
                if name == event and self._components[target]["props"].get("elem_id") == elem_id:
                    return index, dep
        raise LookupError(f"no {event} event on #{elem_id}")

    def _inputs(self, dep: dict, given: dict[str, object]) -> list:
        data = []
        for component_id in dep["inputs"]:
            component = self._components[component_id]
            elem_id = component["props"].get("elem_id")
            if elem_id in given:
                data.append(given[elem_id])
            elif component["type"] == "state":
                data.append(None)  # held by the server for this session
            else:
                data.append(component["props"].get("value"))
        return data

    def run(self, elem_id: str, event: str, given: dict[str, object]) -> tuple[list, float | None]:
        """Trigger an event; return the final outputs and the time to the first partial output."""
        index, dep = self._dependency(elem_id, event)
        target = next(t for t, name in dep["targets"] if name == event)
        started = time.perf_counter()
        joined = self.http.post(
            f"{self.api}/queue/join",
            json={
                "data": self._inputs(dep, given),
                "event_data": None,
                "fn_index": index,
                "trigger_id": target,
                "session_hash": self.hash,
            },
        )
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        first: float | None = None
        current: list | None = None
        params = {"session_hash": self.hash}
        with self.http.stream("GET", f"{self.api}/queue/data", params=params) as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") not in (event_id, None):
                    continue
                kind = message.get("msg")
                if kind == "process_generating":
                    data = message["output"]["data"]
                    # The first update carries whole values, the later ones diffs against them.
                    current = (
                        data
                        if current is None
                        else [
                            apply_diff(old, diff) for old, diff in zip(current, data, strict=True)
                        ]
                    )
                    if first is None and _has_answer_text(current):
                        first = time.perf_counter() - started
                if kind == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(f"event failed: {json.dumps(message)[:500]}")
                    return message["output"]["data"], first
                if kind in ("queue_full", "unexpected_error"):
                    raise RuntimeError(f"{kind}: {json.dumps(message)[:500]}")
        raise RuntimeError("the event stream ended before the event completed")


def _has_answer_text(outputs: list) -> bool:
    """True once the chat's last message is an assistant message with real text in it."""
    chat = outputs[0] if outputs and isinstance(outputs[0], list) else []
    last = chat[-1] if chat else {}
    return isinstance(last, dict) and last.get("role") == "assistant" and _text(last) != "…"


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def chat_session(
    number: int, url: str, config: dict, deadline: float, max_turns: int, results: Results
) -> None:
    lock = _LOCK
    mine, others = NAMES[number], set(NAMES[: results.sessions]) - {NAMES[number]}
    session = GradioSession(url, config, timeout=120)
    conversation = 0
    try:
        while time.monotonic() < deadline:
            conversation += 1
            asked: list[str] = []
            for question, expect in (
                (f"When does the {mine} Lighthouse open to visitors?", "o'clock"),
                # Resolving "it" needs this session's history, kept by the server.
                ("Who built it?", f"searched for: “Who built {mine} Lighthouse?”"),
            ):
                if time.monotonic() >= deadline or results.turns >= max_turns:
                    return
                asked.append(question)
                started = time.perf_counter()
                try:
                    outputs, first = session.run(
                        "qa-question", "submit", {"qa-question": question, "qa-chat": session.chat}
                    )
                except Exception as exc:  # every failure is a finding, never a crash
                    with lock:
                        results.errors.append(f"session {number}: {type(exc).__name__}: {exc}")
                    return
                total = time.perf_counter() - started
                chat = outputs[0]
                session.chat = chat
                users = [_text(m) for m in chat if m.get("role") == "user"]
                answer = _text(chat[-1]).replace("\\", "") if chat else ""
                # Sources may show other lighthouses (the documents are shared); the answer and
                # the query rewritten from this session's history must not.
                leaked = sorted(name for name in others if name in answer)
                with lock:
                    results.turns += 1
                    results.total_s.append(total)
                    if first is not None:
                        results.ttft_s.append(first)
                    if users != asked:
                        results.leaks.append(f"session {number}: chat holds {users}, not {asked}")
                    if leaked:
                        results.leaks.append(f"session {number}: {question} -> {answer[:300]}")
                    if expect not in answer or mine not in answer:
                        results.wrong_answers.append(f"session {number}: {question} -> {answer}")
            # "New conversation": the server-side history must be cleared for this session only.
            try:
                outputs, _ = session.run("qa-new-conversation", "click", {})
            except Exception as exc:
                with lock:
                    results.errors.append(f"session {number} reset: {type(exc).__name__}: {exc}")
                return
            session.chat = outputs[0]
    finally:
        session.close()


def ingest_while_loading(
    url: str, folder: Path, deadline: float, max_files: int, results: Results
) -> None:
    """Upload batches of new files through the app's upload endpoint until time or count is up."""
    from gradio_client import Client, handle_file

    folder.mkdir(parents=True, exist_ok=True)
    client = Client(url, verbose=False)
    batch = 0
    try:
        while time.monotonic() < deadline and results.ingest_files < max_files:
            batch += 1
            paths = []
            for i in range(10):
                path = folder / f"ledger-{batch:03d}-{i}.txt"
                path.write_text(
                    f"Harbour ledger {batch}-{i}: the tug Merrow{batch}x{i} logged "
                    f"{batch * 10 + i} tonnes of salt on a grey morning.\n"
                )
                paths.append(path)
            try:
                status, *_ = client.predict(
                    [handle_file(str(p)) for p in paths], api_name="/upload"
                )
            except Exception as exc:
                with _LOCK:
                    results.ingest_errors.append(f"batch {batch}: {type(exc).__name__}: {exc}")
                return
            added = status.count(": added")
            with _LOCK:
                if added != len(paths):
                    results.ingest_errors.append(f"batch {batch}: {status}")
                results.ingest_batches += 1
                results.ingest_files += added
    finally:
        client.close()


def run_load(
    url: str, *, sessions: int, duration: float, max_turns: int, ingest_files: int
) -> Results:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host!r}: the load test only targets loopback")
    if not 1 <= sessions <= len(NAMES):
        raise SystemExit(f"--sessions must be 1..{len(NAMES)}")
    config = httpx.get(url.rstrip("/") + "/config", timeout=30).json()
    results = Results(sessions=sessions)
    started = time.monotonic()
    deadline = started + duration
    threads = [
        threading.Thread(
            target=chat_session, args=(n, url, config, deadline, max_turns, results), daemon=True
        )
        for n in range(sessions)
    ]
    with tempfile.TemporaryDirectory() as scratch:
        ingest = threading.Thread(
            target=ingest_while_loading,
            args=(url, Path(scratch), deadline, ingest_files, results),
            daemon=True,
        )
        ingest.start()
        for thread in threads:
            thread.start()
        for thread in [*threads, ingest]:
            thread.join(timeout=duration + 300)
    results.duration_s = time.monotonic() - started
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running app on loopback; default: start one")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--max-turns", type=int, default=5000, help="stop after this many")
    parser.add_argument("--ingest-files", type=int, default=400, help="files uploaded at most")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.url
        if url is None:
            from tests.live_app import serve

            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qa-load-")))
            write_lighthouses(folder / "documents", len(NAMES))
            app = stack.enter_context(serve(folder, documents=folder / "documents"))
            url = app.url
        results = run_load(
            url,
            sessions=args.sessions,
            duration=args.duration,
            max_turns=args.max_turns,
            ingest_files=args.ingest_files,
        )
    summary = results.summary()
    for problem in [*results.errors, *results.leaks, *results.wrong_answers][:20]:
        print("  !", problem)
    for problem in results.ingest_errors[:5]:
        print("  ! ingest", problem)
    print(
        f"{summary['sessions']} sessions, {summary['turns']} turns in {summary['duration_s']} s; "
        f"errors {summary['errors']}, leaks {summary['leaks']}, "
        f"wrong answers {summary['wrong_answers']}; "
        f"time to first token p50 {summary['ttft_p50_s']} s, p95 {summary['ttft_p95_s']} s; "
        f"whole answer p50 {summary['total_p50_s']} s, p95 {summary['total_p95_s']} s; "
        f"ingested {summary['ingest_files']} files in {summary['ingest_batches']} uploads "
        f"({summary['ingest_errors']} upload errors)"
    )
    target = args.json or ROOT / "benchmarks" / "results" / f"loadtest-{int(time.time())}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({**summary, "raw": asdict(results)}, indent=2))
    print(f"figures written to {target}")
    bad = results.errors or results.leaks or results.wrong_answers or results.ingest_errors
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
