"""Notices shown once per store: the missing-model explanation is printed by the first command, not by every one."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

NOTICES_FILE = "notices.json"
MAX_REMEMBERED = 50  # distinct notices kept per store; the oldest are forgotten first


def first_time(store: str | Path, text: str) -> bool:
    """True when `text` has not been shown for this store yet, and remember it as shown.

    A store that does not exist yet remembers nothing, so the notice is shown until the store is created.
    A changed notice (another model, another reason) counts as new.
    """
    store = Path(store)
    if not store.is_dir():
        return True
    path = store / NOTICES_FILE
    key = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    try:
        seen = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(seen, dict):
            seen = {}
    except (OSError, ValueError):
        seen = {}
    if key in seen:
        return False
    seen[key] = datetime.now().astimezone().isoformat(timespec="seconds")
    keep = dict(sorted(seen.items(), key=lambda kv: str(kv[1]))[-MAX_REMEMBERED:])
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(keep, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only store: the notice is simply shown again next time
    return True
