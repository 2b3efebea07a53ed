"""Files that failed to import, remembered per store by content hash, so that 重新索引 never feeds the app a file
that failed before (a decompression bomb, a file that crashed the parser) unless someone asks for it by name."""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

FAILED_FILE = "failed.json"
QUARANTINE = "quarantine"  # failed uploads are moved here, out of uploads/
MAX_RECORDS = 10_000


@dataclass(frozen=True)
class FailedFile:
    name: str  # the file's name (never a server path: the app shows it)
    reason: str
    time: str


def file_hash(path: str | Path) -> str | None:
    """sha256 of the file's bytes (what the index records as content_hash), or None when it can't be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


class FailedFiles:
    """`<store>/failed.json`: content hash → FailedFile. Writers replace the file atomically."""

    def __init__(self, store: str | Path) -> None:
        self.path = Path(store) / FAILED_FILE

    def read(self) -> dict[str, FailedFile]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {h: FailedFile(**{k: str(v.get(k, "")) for k in ("name", "reason", "time")})
                for h, v in data.items() if isinstance(v, dict)}

    def get(self, content_hash: str | None) -> FailedFile | None:
        return self.read().get(content_hash) if content_hash else None

    def update(self, failed: dict[str, tuple[str, str]], succeeded: set[str] = frozenset()) -> None:
        """Record `failed` (hash → (name, reason)) and forget `succeeded` hashes."""
        if not failed and not succeeded:
            return
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock"):
            records = self.read()
            now = time.strftime("%Y-%m-%dT%H:%M:%S")
            for h, (name, reason) in failed.items():
                records[h] = FailedFile(name, reason, now)
            for h in succeeded:
                records.pop(h, None)
            kept = dict(list(records.items())[-MAX_RECORDS:])
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps({h: vars(r) for h, r in kept.items()}, ensure_ascii=False, indent=1),
                           encoding="utf-8")
            os.replace(tmp, self.path)
