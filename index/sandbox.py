"""Read and parse files in a worker process with a memory limit and a time limit, so that a file that blows up
(a decompression bomb the checks in index/limits.py did not foresee, a PDF that makes pdfminer spin, a crash in a
C extension) fails with one line while the app, the CLI and the rest of the batch carry on.

The worker is `python -m index.sandbox`: it caps its own address space (RLIMIT_AS) once started, then parses the
paths it is sent one by one and sends back each ParsedDocument or the reason it failed. The parent waits for each
file at most `timeout_s`; a worker that runs over, runs out of memory or dies is killed and replaced for the next
file. Parsing needs neither llama-index nor jieba, so a worker starts in about 0.2 s.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator

from index import limits

if TYPE_CHECKING:
    from index.parser import ParsedDocument

_HEADER = struct.Struct("<Q")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
REASON_NO_CLAUSES = "未能从文件中解析出任何条款文本，请检查文件内容"


@dataclass(frozen=True)
class ParseOutcome:
    """What became of one file: a parsed document, a failure (one Chinese line), or skipped as unchanged."""

    path: str
    doc: "ParsedDocument | None" = None
    failure: str | None = None
    skipped: bool = False  # byte-identical to a file already indexed


# ---- the parent ------------------------------------------------------------------------------------------


class _Worker:
    def __init__(self, known_hashes: frozenset[str], memory_bytes: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        # stderr is discarded: a worker's troubles come back as outcomes, never as tracebacks on the console
        self.proc = subprocess.Popen([sys.executable, "-m", "index.sandbox"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=str(PROJECT_ROOT))
        _send(self.proc.stdin, (known_hashes, memory_bytes))

    def parse(self, path: str, timeout_s: float) -> ParseOutcome | None:
        """The outcome, or None when the worker died or ran out of time (it is killed then)."""
        try:
            # the worker runs in the project folder: it reads the file by its absolute path, and names it as given
            _send(self.proc.stdin, (os.path.abspath(path), path))
            return _recv(self.proc.stdout, time.monotonic() + timeout_s)
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError):
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # the worker exits at end of input
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


def parse_files(paths: Iterable[str | Path], known_hashes: Iterable[str] = (), *,
                timeout_s: float = limits.PARSE_TIMEOUT_S,
                memory_bytes: int = limits.PARSE_MEMORY_BYTES) -> Iterator[ParseOutcome]:
    """Each file's outcome, in order. Files whose bytes hash to one of `known_hashes` are skipped unparsed."""
    known = frozenset(known_hashes)
    worker: _Worker | None = None
    try:
        for p in paths:
            path = str(p)
            if worker is None:
                worker = _Worker(known, memory_bytes)
            t0 = time.monotonic()
            outcome = worker.parse(path, timeout_s)
            if outcome is None:
                code = worker.proc.returncode
                worker = None
                if time.monotonic() - t0 >= timeout_s:
                    outcome = ParseOutcome(path, failure=limits.parse_timeout(timeout_s))
                elif code == -signal.SIGKILL:  # the kernel's OOM killer
                    outcome = ParseOutcome(path, failure=limits.parse_out_of_memory(memory_bytes))
                else:
                    outcome = ParseOutcome(path, failure=limits.PARSE_CRASHED)
            elif outcome.failure == _OUT_OF_MEMORY:
                worker.kill()  # a MemoryError can leave the worker in a bad state: start afresh
                worker = None
                outcome = ParseOutcome(path, failure=limits.parse_out_of_memory(memory_bytes))
            yield outcome
    finally:
        if worker is not None:
            worker.close()


def _send(stream: BinaryIO, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _recv(stream: BinaryIO, deadline: float) -> ParseOutcome:
    size = _HEADER.unpack(_read_exact(stream, _HEADER.size, deadline))[0]
    return pickle.loads(_read_exact(stream, size, deadline))


def _read_exact(stream: BinaryIO, n: int, deadline: float) -> bytes:
    fd, buf = stream.fileno(), bytearray()
    while len(buf) < n:
        left = None if deadline == _NEVER else deadline - time.monotonic()
        if left is not None and (left <= 0 or not select.select([fd], [], [], left)[0]):
            raise TimeoutError
        piece = os.read(fd, min(n - len(buf), 1 << 20))
        if not piece:
            raise EOFError
        buf += piece
    return bytes(buf)


# ---- the worker ------------------------------------------------------------------------------------------

_OUT_OF_MEMORY = "\x00out-of-memory"
_NEVER = float("inf")


def _vm_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_memory(memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cap = _vm_size() + memory_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _parse_one(where: str, path: str, known: frozenset[str]) -> ParseOutcome:
    """Read the file at `where`; `path` is its name as the caller gave it (in messages and the document's meta)."""
    from index.loaders import DocumentError, load_document
    from index.parser import parse_document

    try:
        try:
            lt = load_document(where)
        except DocumentError as e:
            raise DocumentError(path, e.reason) from e
        if lt.content_hash in known:
            return ParseOutcome(path, skipped=True)
        doc = parse_document(lt.text, fmt=lt.fmt, path=path, content_hash=lt.content_hash)
    except DocumentError as e:
        return ParseOutcome(path, failure=e.reason)
    except MemoryError:
        return ParseOutcome(path, failure=_OUT_OF_MEMORY)
    except RecursionError:
        return ParseOutcome(path, failure=limits.too_many_elements())
    except Exception as e:  # a parser bug on odd input: this file fails, the batch goes on
        return ParseOutcome(path, failure=f"解析失败（{type(e).__name__}），文件格式可能不受支持；请另存为 .txt 后再导入")
    if not doc.clauses:
        return ParseOutcome(path, failure=REASON_NO_CLAUSES)
    return ParseOutcome(path, doc=doc)


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    import index.loaders  # noqa: F401  (imported before the cap: start-up is not the file's fault)
    import index.parser  # noqa: F401

    known, memory_bytes = pickle.loads(_read_exact(inp, _HEADER.unpack(_read_exact(inp, _HEADER.size, _NEVER))[0], _NEVER))
    _limit_memory(memory_bytes)
    while True:
        try:
            head = _read_exact(inp, _HEADER.size, _NEVER)
        except EOFError:
            return
        where, path = pickle.loads(_read_exact(inp, _HEADER.unpack(head)[0], _NEVER))
        outcome = _parse_one(where, path, known)
        try:
            _send(out, outcome)
        except MemoryError:  # pickling a huge document at the edge of the cap
            _send(out, ParseOutcome(path, failure=_OUT_OF_MEMORY))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the parent's to handle
    # The protocol gets its own copy of stdout; whatever a library prints goes to stderr (discarded) instead.
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, channel)


if __name__ == "__main__":
    from index import sandbox  # as index.sandbox, not __main__: what it sends must unpickle in the parent

    sandbox.main()
