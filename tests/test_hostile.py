"""Hostile files: each one ingests correctly or is refused with a clear reason, within bounds."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from qa_bot.config import Settings
from qa_bot.errors import CorruptDocumentError, DocumentError
from qa_bot.ingest import ingest_paths
from qa_bot.loaders import load_document
from qa_bot.runtime import Runtime
from qa_bot.sandbox import ParseLimits, SandboxWorkers, extract_sandboxed
from qa_bot.uploads import safe_name, save_uploads
from tests import hostile_files as hostile
from tests.factories import make_pdf

# Every hostile file must be decided within this many seconds.
TIME_BOUND_S = 30.0


def _truncated_pdf(folder: Path) -> bytes:
    good = make_pdf(folder / "whole.pdf", ["Truncated PDFs lose their cross-reference table."] * 3)
    data = good.read_bytes()
    good.unlink()
    return data[: int(len(data) * 0.6)]


def _encrypted_pdf(folder: Path) -> bytes:
    path = make_pdf(folder / "locked.pdf", ["Only with the password."], password="hunter2")
    data = path.read_bytes()
    path.unlink()
    return data


# name -> (bytes factory, expected status, words expected in the reason or text)
CASES = {
    "zip-bomb.docx": (lambda _: hostile.docx_zip_bomb(512), "failed", "zip bomb"),
    "decompression-bomb.pdf": (
        lambda _: hostile.pdf_decompression_bomb(256),
        "failed",
        "decompression bomb",
    ),
    "reference-loop.pdf": (lambda _: hostile.pdf_reference_loop(), "failed", "cyclic"),
    "truncated.pdf": (_truncated_pdf, "failed", "damaged PDF"),
    "encrypted.pdf": (_encrypted_pdf, "failed", "encrypted PDF"),
    "binary.txt": (lambda _: hostile.binary_bytes(), "failed", "binary data, not text"),
    "latin1.txt": (
        lambda _: "Le café crème coûte très cher à Zürich, même en été.".encode("latin-1"),
        "added",
        "café crème coûte très cher à Zürich",
    ),
    "deep-nesting.html": (lambda _: hostile.deep_html(), "added", "deep text"),
    "deep-lists.html": (lambda _: hostile.deep_lists_html(), "added", "1. deep item"),
    "good.txt": (lambda _: b"An ordinary file still ingests beside the hostile ones.", "added", ""),
}


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, (factory, _, _) in CASES.items():
        (folder / name).write_bytes(factory(tmp_path))
    return folder


def test_hostile_files_ingest_or_are_refused_within_bounds(
    runtime: Runtime, hostile_folder: Path
) -> None:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    outcomes = {}
    for path in sorted(hostile_folder.iterdir()):
        started = time.monotonic()
        report = ingest_paths([path], runtime.store, show_progress=False)
        elapsed = time.monotonic() - started
        (outcome,) = report.outcomes
        outcomes[path.name] = outcome
        print(f"{path.name}: {outcome.line()} in {elapsed:.2f}s")
        assert elapsed < TIME_BOUND_S, f"{path.name} took {elapsed:.1f}s"
    for name, (_, status, words) in CASES.items():
        outcome = outcomes[name]
        assert outcome.status == status, (name, outcome)
        if status == "failed":
            assert words in outcome.message, (name, outcome.message)
            assert "Traceback" not in outcome.message
    # Every good file is searchable; none of the refused ones left anything behind.
    stored = {info.file_name for info in runtime.store.documents()}
    assert stored == {name for name, (_, status, _) in CASES.items() if status == "added"}
    latin = runtime.store.keyword_search("café crème Zürich", 3)
    assert latin, "the Latin-1 file is not searchable"
    (doc, _), *_ = runtime.store.get([latin[0][0]])
    assert "café crème coûte très cher à Zürich" in doc.page_content
    # Memory: parser children run under the sandbox's address-space limit (tested below), and
    # the app process itself did not balloon.
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - rss_before
    assert rss_growth < 300, f"the app grew by {rss_growth} MB parsing hostile files"


def _kept_worker(path: Path, limits: ParseLimits) -> object:
    with SandboxWorkers(limits) as workers:
        workers.extract(make_pdf(path.parent / "warm-up.pdf", ["A worker that parsed a file."]))
        return workers.extract(path)


# A one-off child per file, and a kept worker that has already parsed another file.
EXTRACTORS = pytest.mark.parametrize(
    "extract", [extract_sandboxed, _kept_worker], ids=["one-off", "kept-worker"]
)


@EXTRACTORS
def test_a_parser_that_runs_too_long_is_killed(tmp_path: Path, extract) -> None:  # noqa: ANN001
    path = tmp_path / "never-ends.html"  # a named pipe nobody writes: reading it never ends
    os.mkfifo(path)
    started = time.monotonic()
    with pytest.raises(CorruptDocumentError, match="parsing took longer than 5 s"):
        extract(path, ParseLimits(timeout_s=5))
    assert time.monotonic() - started < 20


@EXTRACTORS
def test_a_parser_that_needs_too_much_memory_is_stopped(tmp_path: Path, extract) -> None:  # noqa: ANN001
    path = tmp_path / "bomb.pdf"
    path.write_bytes(hostile.pdf_decompression_bomb(64))
    with pytest.raises(CorruptDocumentError, match="exceeded its limits|more than 100 MB"):
        extract(path, ParseLimits(timeout_s=30, memory_mb=100))


def test_a_kept_worker_parses_in_a_process_holding_over_a_thousand_files(tmp_path: Path) -> None:
    # A long-running server holds many files and sockets; select.select() refused the worker's
    # pipe once its descriptor passed 1023: "cannot parse (ValueError: filedescriptor out of
    # range in select())" for a good PDF, in a full test run.
    pdf = make_pdf(tmp_path / "fine.pdf", ["Narwhals have one long tooth."])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with SandboxWorkers() as workers:
            text, _, _ = workers.extract(pdf)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert "Narwhals have one long tooth." in text


def test_kept_workers_refuse_each_hostile_file_and_carry_on(hostile_folder: Path) -> None:
    """One pool for the whole folder, as ingest uses it: a bad file never spoils the next."""
    good_html = hostile_folder / "after.html"
    good_html.write_text("<title>After</title><p>Parsed after every hostile file.</p>")
    with SandboxWorkers(ParseLimits(timeout_s=20)) as workers:
        for name, (_, status, words) in CASES.items():
            path = hostile_folder / name
            if status == "added":
                assert words in load_document(path, workers=workers).text
            else:
                with pytest.raises(DocumentError, match=words):
                    load_document(path, workers=workers)
            assert "Parsed after" in load_document(good_html, workers=workers).text


@pytest.mark.parametrize(
    "sent",
    [
        "../../../../etc/passwd.txt",
        "/etc/cron.d/evil.md",
        "..\\..\\windows\\system32\\evil.txt",
        "C:\\Users\\x\\evil.txt",
        "..",
        "./.hidden.txt",
        "nul\x00byte.txt",
        "<script>alert(1)</script>.html",
        "name with spaces & ünïcødé.md",
        "x" * 400 + ".txt",
    ],
)
def test_upload_names_cannot_escape_the_upload_folder(tmp_path: Path, sent: str) -> None:
    name = safe_name(sent)
    folder = (tmp_path / "uploads").resolve()
    assert (folder / name).resolve().parent == folder
    assert "/" not in name and "\\" not in name and name not in ("", ".", "..")
    assert not name.startswith(".")
    assert len(name) <= 150
    assert "<" not in name and ">" not in name


def test_uploads_refuse_unsupported_types_and_oversized_files(tmp_path: Path) -> None:
    settings = Settings(persist_dir=tmp_path / "store", max_upload_mb=0.01)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    ok = incoming / "notes.md"
    ok.write_text("# Notes\n\nSmall enough.")
    big = incoming / "big.txt"
    big.write_bytes(b"word " * 5000)
    exe = incoming / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    svg = incoming / "picture.svg"
    svg.write_text("<svg onload=alert(1)></svg>")
    result = save_uploads([str(ok), str(big), str(exe), str(svg)], settings)
    assert [p.name for p in result.saved] == ["notes.md"]
    assert result.saved[0].parent == settings.upload_dir.resolve()
    assert result.refused == [
        "big.txt: larger than the 0.01 MB upload limit, skipped",
        f"tool.exe: unsupported file type '.exe' (supported: {_supported()}), skipped",
        f"picture.svg: unsupported file type '.svg' (supported: {_supported()}), skipped",
    ]
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == ["notes.md"]


def _supported() -> str:
    from qa_bot.loaders import supported_suffixes

    return ", ".join(supported_suffixes())
