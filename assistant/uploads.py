"""Accepting uploaded files: type allow-list, size limit, safe names inside the store's upload folder."""
from __future__ import annotations

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
    dest = (uploads_dir / name).resolve()
    if dest.parent != uploads_dir.resolve():
        raise UploadRejected(f"{original_name}: 文件名不安全，请改名后再上传")
    shutil.copyfile(src, dest)
    return dest
