"""Files arriving from the browser: checked for type and size, copied into the upload folder.

Browsers and scripts can send any file name; only its last component survives, reduced to
letters, digits and `._- `, so nothing can be written outside `settings.upload_dir`.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from qa_bot.config import Settings
from qa_bot.loaders import supported_suffixes

_UNSAFE = re.compile(r"[^\w.\- ]")
_MAX_NAME = 150


@dataclass
class SavedUploads:
    saved: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def safe_name(name: str) -> str:
    """A file name that stays inside the upload folder whatever the browser sent."""
    base = name.replace("\\", "/").replace("\x00", "").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if dot and len(base) > _MAX_NAME:  # keep the extension when shortening
        base = stem[: _MAX_NAME - len(suffix) - 1] + "." + suffix
    return base[:_MAX_NAME]


def save_uploads(files: list[str], settings: Settings) -> SavedUploads:
    """Copy acceptable uploads into the upload folder; the rest get a one-line reason."""
    result = SavedUploads()
    folder = settings.upload_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    limit = settings.max_upload_mb * 1024 * 1024
    suffixes = supported_suffixes()
    for temp in files:
        temp_path = Path(temp)
        name = safe_name(temp_path.name)
        suffix = Path(name).suffix.lower()
        if suffix not in suffixes:
            result.refused.append(
                f"{name}: unsupported file type '{suffix or '(none)'}' "
                f"(supported: {', '.join(suffixes)}), skipped"
            )
            continue
        if not temp_path.is_file():  # e.g. the same file, sent twice at once, already taken
            result.refused.append(f"{name}: the upload is gone, send it again")
            continue
        if temp_path.stat().st_size > limit:
            result.refused.append(
                f"{name}: larger than the {settings.max_upload_mb:g} MB upload limit, skipped"
            )
            continue
        target = (folder / name).resolve()
        if target.parent != folder:  # cannot happen after safe_name; refuse rather than trust it
            result.refused.append(f"{name}: unsafe file name, skipped")
            continue
        shutil.copyfile(temp_path, target)
        result.saved.append(target)
    return result


def discard(files: list[str]) -> None:
    """Delete the web server's temporary copies of uploads once they were saved (or refused), so
    its file route has nothing left to serve: the saved files are outside what it may serve."""
    for temp in files:
        path = Path(temp)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the per-upload folder, when now empty
            path.parent.rmdir()
