"""Accepting uploaded files: type allow-list, size limit, safe names inside the store's upload folder."""
from __future__ import annotations

import filecmp
import re
import shutil
import unicodedata
from pathlib import Path

from index.loaders import SUPPORTED_SUFFIXES

_UNSAFE = re.compile(r"[^\w\u4e00-\u9fff.\-（）()〔〕]+")


class UploadRejected(ValueError):
    """One Chinese line naming the file and the reason."""


def safe_name(name: str) -> str:
    """A file name that can't leave its folder: no path parts, no control or shell characters."""
    base = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip("._") or "upload"
    return stem[:80] + suffix


def store_upload(src: str | Path, original_name: str, uploads_dir: Path, max_mb: int) -> Path:
    """Copy an uploaded file into `uploads_dir` under a safe name; raise UploadRejected with the reason."""
    name = safe_name(original_name)
    suffix = Path(name).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadRejected(f"{original_name}: 不支持的文件类型 {suffix or '（无扩展名）'}，支持 .txt .md .docx .pdf")
    size = Path(src).stat().st_size
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(f"{original_name}: 文件过大（{size / 1024 / 1024:.1f} MB），上限 {max_mb} MB")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    dest = _free_name(uploads_dir, name, Path(src))
    if dest.parent != uploads_dir.resolve():
        raise UploadRejected(f"{original_name}: 文件名不安全，请改名后再上传")
    if not dest.exists():
        shutil.copyfile(src, dest)
    return dest


def _free_name(folder: Path, name: str, src: Path) -> Path:
    """`name` in `folder`, or name-2, name-3 … when another file already holds that name.

    An upload never overwrites a different file: that file's document is indexed and would be lost.
    A byte-identical file keeps its name (ingest then skips it as unchanged).
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 1000):
        candidate = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
        if candidate.is_symlink():
            raise UploadRejected(f"{name}: 文件名不安全，请改名后再上传")  # planted link: never write through it
        dest = candidate.resolve()
        if not dest.exists() or filecmp.cmp(dest, src, shallow=False):
            return dest
    raise UploadRejected(f"{name}: 同名文件过多，请改名后再上传")


def quarantine(path: Path, uploads_dir: Path, folder: Path) -> Path | None:
    """Move an upload that failed to import out of `uploads_dir` (重新索引 reads that folder) into `folder`;
    returns where it went, or None when `path` is not an upload."""
    try:
        if path.resolve().parent != uploads_dir.resolve() or not path.exists():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / path.name
        n = 1
        while dest.exists():
            n += 1
            dest = folder / f"{path.stem}-{n}{path.suffix}"
        shutil.move(str(path), dest)
        return dest
    except OSError:
        return None
