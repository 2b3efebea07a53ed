"""Hostile inputs generated for the tests: .docx compression bombs, giant single-paragraph text, slow questions.

A bomb's word/document.xml is written as one raw deflate stream built from a block compressed once and repeated
(each block ends with a full flush, so its compressed bytes are the same every time): a gigabyte of XML costs a
megabyte on disk and a second to write, and the zip's sizes and CRC are the true ones.
"""
from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOC_HEAD = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W_NS}"><w:body>').encode()
DOC_TAIL = b"<w:sectPr/></w:body></w:document>"
BLOCK = 1024 * 1024


def _template_parts() -> dict[str, bytes]:
    """The parts of a minimal real .docx (python-docx's default template), word/document.xml to be replaced."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _deflate_repeated(head: bytes, unit: bytes, total: int, tail: bytes) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, inflated size) of head + unit repeated to about `total` bytes + tail."""
    block = unit * max(1, BLOCK // len(unit))
    n = max(1, total // len(block))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    one = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert one == again, "a full flush resets the compressor: the block compresses the same each time"
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return first + one * n + last, crc, len(head) + len(block) * n + len(tail)


def _write_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of (name, raw deflate data, crc32, inflated size) entries, written by hand (no zip64: < 4 GiB)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in entries:
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(fname), 0)
        out += fname + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(fname), 0, 0, 0, 0, 0, offset)
        central += fname
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    path.write_bytes(bytes(out))


def docx_bomb(path: Path, kind: str = "paragraphs", inflated: int = 1100 * 1024 * 1024,
              declared: int | None = None) -> Path:
    """A .docx whose word/document.xml inflates to `inflated` bytes: `paragraphs` (millions of short paragraphs)
    or `text` (one text node). `declared` sets a false uncompressed size in the zip headers."""
    if kind == "paragraphs":
        head, unit, tail = DOC_HEAD, "<w:p><w:r><w:t>嘉定区新增光伏装机</w:t></w:r></w:p>".encode(), DOC_TAIL
    elif kind == "text":
        head, unit, tail = DOC_HEAD + b"<w:p><w:r><w:t>", "光伏".encode() * 512, b"</w:t></w:r></w:p>" + DOC_TAIL
    else:
        raise ValueError(kind)
    entries = []
    for name, data in _template_parts().items():
        if name == "word/document.xml":
            raw, crc, size = _deflate_repeated(head, unit, inflated, tail)
            entries.append((name, raw, crc, size if declared is None else declared))
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            entries.append((name, c.compress(data) + c.flush(), zlib.crc32(data), len(data)))
    _write_zip(path, entries)
    return path


def giant_paragraph_txt(path: Path, megabytes: float = 19.0) -> Path:
    """A .txt of one paragraph (no line break, no numbering) of varied plan sentences, `megabytes` of UTF-8."""
    sentences = [
        "到2025年，本区新增光伏装机容量{n}万千瓦，公共机构光伏覆盖率达到{p}%。",
        "推进既有建筑节能改造{n}万平方米，新建建筑全面执行绿色建筑标准。",
        "新增公共充电桩{n}个，新能源汽车占新增车辆比例不低于{p}%。",
        "单位生产总值能源消耗较2020年下降{p}%，单位生产总值二氧化碳排放下降{p}%。",
        "完成{n}个重点企业清洁生产审核，工业固体废物综合利用率保持在{p}%以上。",
    ]
    target = int(megabytes * 1024 * 1024)
    parts, size, i = [], 0, 0
    while size < target:
        s = sentences[i % len(sentences)].format(n=i % 97 + 1, p=i % 31 + 5)
        parts.append(s)
        size += len(s.encode("utf-8"))
        i += 1
    path.write_text("".join(parts), encoding="utf-8")
    return path


class PeakRSS:
    """The peak memory of a process and its children (parse workers, a forked ingest pool), sampled every 20 ms as
    the sum of their proportional set sizes: pages a forked child shares with its parent are counted once.

    ru_maxrss can't be used for a child: Linux carries the parent's RSS at fork over the exec, so a child of a big
    test process reports the test process's size; nor can a plain RSS sum, which counts shared pages twice."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        import psutil

        total = 0
        try:
            family = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return 0
        for p in family:
            try:
                total += p.memory_full_info().pss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
