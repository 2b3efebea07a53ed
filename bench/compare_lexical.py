"""Which lexical index: the same tokens (index/store/tokens.py) in four indexes, measured the same way.

  bm25s     in memory, saved as files: the previous store; no incremental update, so every change rebuilds it
  fts5      SQLite FTS5 over the tokens (bm25() ranks with its fixed k1=1.2, b=0.75)
  tantivy   tantivy-py, on disk, whitespace tokenizer (BM25 with k1=1.2, b=0.75)
  postings  index/store/lexical.py: segmented postings in SQLite, Lucene BM25 with the product's k1=0.9, b=0.4

Per index, in a fresh process: build time, add-one-document time, open time (until the first search returns),
search p50/p95, peak RSS; on the shipped corpus also hit@1/hit@5 of the shipped questions (an evidence snippet
in the top 1/5 distinct clauses, synonym-expanded queries as the product sends). Prints a table; asserts nothing.

  python bench/compare_lexical.py --corpus ../shared/laws        # shipped quality + large-corpus cost

tantivy is not a product dependency: `pip install tantivy` first, or leave it out with --backends bm25s,fts5,postings.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]
from bench_common import QUESTIONS, SOURCE, contention, fmt_load, latency, log, peak_rss_mb, table, timed  # noqa: E402

BACKENDS = ("bm25s", "fts5", "tantivy", "postings")
K = 5
CANDIDATES = 100  # what the clause index asks of the lexical index per search


# ---- tokens, once, to a file that every backend reads --------------------------------------------
def write_tokens(paths: list[str], out: Path) -> dict:
    """One line per chunk: clause key, then its tokens; returns counts and the clause texts of small corpora."""
    from index.loaders import iter_document_paths, load_document
    from index.parser import parse_document, split_clause
    from index.store.tokens import tokenize

    files, _ = iter_document_paths(paths)
    n_chunks = 0
    texts: dict[str, str] = {}
    with out.open("w", encoding="utf-8") as f:
        for p in files:
            lt = load_document(p)
            for c in parse_document(lt.text, fmt=lt.fmt, path=str(p), content_hash=lt.content_hash).clauses:
                if len(texts) < 5000:
                    texts[c.clause_id] = c.text
                for ch in split_clause(c):
                    f.write(c.clause_id + "\t" + " ".join(t.replace(" ", "") for t in tokenize(ch.index_text)) + "\n")
                    n_chunks += 1
    return {"chunks": n_chunks, "texts": texts}


def read_tokens(path: Path):
    with path.open(encoding="utf-8") as f:
        for line in f:
            key, _, toks = line.rstrip("\n").partition("\t")
            yield key, [t for t in toks.split(" ") if t]


# ---- the four indexes ------------------------------------------------------------------------------
class Bm25s:
    def build(self, chunks, folder: Path):
        import bm25s

        from index.store.bm25 import BM25_B, BM25_K1, BM25_METHOD

        self.keys, docs = [], []
        for key, toks in chunks:
            self.keys.append(key)
            docs.append(toks)
        self.r = bm25s.BM25(k1=BM25_K1, b=BM25_B, method=BM25_METHOD)
        self.r.index(docs, show_progress=False)
        self.r.save(str(folder), show_progress=False)
        (folder / "keys.json").write_text(json.dumps(self.keys), encoding="utf-8")
        self._docs = docs

    def add(self, chunks, folder: Path):  # no incremental update: the whole index again
        for key, toks in chunks:
            self.keys.append(key)
            self._docs.append(toks)
        import bm25s

        from index.store.bm25 import BM25_B, BM25_K1, BM25_METHOD

        self.r = bm25s.BM25(k1=BM25_K1, b=BM25_B, method=BM25_METHOD)
        self.r.index(self._docs, show_progress=False)
        self.r.save(str(folder), show_progress=False)
        (folder / "keys.json").write_text(json.dumps(self.keys), encoding="utf-8")

    def open(self, folder: Path):
        import bm25s

        self.r = bm25s.BM25.load(str(folder), show_progress=False)
        self.keys = json.loads((folder / "keys.json").read_text(encoding="utf-8"))

    def search(self, toks, k):
        import numpy as np

        toks = [t for t in dict.fromkeys(toks) if t in self.r.vocab_dict]
        if not toks:
            return []
        s = np.asarray(self.r.get_scores(toks))
        rows = np.flatnonzero(s > 0)
        return [self.keys[i] for i in rows[np.argsort(-s[rows], kind="stable")][:k]]


class Fts5:
    def build(self, chunks, folder: Path):
        import sqlite3

        self.c = sqlite3.connect(folder / "fts.sqlite", isolation_level=None)
        self.c.execute("CREATE VIRTUAL TABLE t USING fts5(key UNINDEXED, body, "
                       "tokenize = \"unicode61 remove_diacritics 0 tokenchars '#.%-_+'\")")
        self.add(chunks, folder)

    def add(self, chunks, folder: Path):
        self.c.execute("BEGIN")
        self.c.executemany("INSERT INTO t(key, body) VALUES (?, ?)", ((k, " ".join(t)) for k, t in chunks))
        self.c.execute("COMMIT")

    def open(self, folder: Path):
        import sqlite3

        self.c = sqlite3.connect(folder / "fts.sqlite", isolation_level=None)

    def search(self, toks, k):
        q = " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(toks))
        if not q:
            return []
        return [key for (key,) in self.c.execute("SELECT key FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT ?", (q, k))]


class Tantivy:
    def _schema(self):
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("body", stored=False, tokenizer_name="whitespace")
        sb.add_text_field("key", stored=True, tokenizer_name="raw")
        return sb.build()

    def build(self, chunks, folder: Path):
        import tantivy

        self.schema = self._schema()
        self.index = tantivy.Index(self.schema, path=str(folder))
        self.add(chunks, folder)

    def add(self, chunks, folder: Path):
        import tantivy

        w = self.index.writer(heap_size=128_000_000, num_threads=1)
        for key, toks in chunks:
            d = tantivy.Document()
            d.add_text("body", " ".join(toks))
            d.add_text("key", key)
            w.add_document(d)
        w.commit()
        w.wait_merging_threads()
        self.index.reload()

    def open(self, folder: Path):
        import tantivy

        self.schema = self._schema()
        self.index = tantivy.Index.open(str(folder))

    def search(self, toks, k):
        import tantivy

        terms = [tantivy.Query.term_query(self.schema, "body", t) for t in dict.fromkeys(toks)]
        if not terms:
            return []
        s = self.index.searcher()
        q = tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms])
        return [s.doc(a)["key"][0] for _, a in s.search(q, k).hits]


class Postings:
    """index/store/lexical.py's segments, one segment per build or add (as one ingest commit writes)."""

    def build(self, chunks, folder: Path):
        from index.store.db import Database
        from index.store.lexical import SEGMENTS

        from index.store.ingest import COMMIT_CLAUSES

        self.db = Database(folder / "index.sqlite")
        self.db.create(SEGMENTS.schema())
        self.keys: list[str] = []
        batch = []
        for item in chunks:  # one segment per commit-sized batch, as an ingest writes them
            batch.append(item)
            if len(batch) >= COMMIT_CLAUSES:
                self.add(batch, folder, seq=1)
                batch = []
        self.add(batch, folder, seq=1)

    def add(self, chunks, folder: Path, seq: int = 2):
        from collections import Counter

        import numpy as np

        from index.store.lexical import SEGMENTS
        from index.store.prepare import LocalPostings

        bags, lens = [], []
        base = len(self.keys)
        for key, toks in chunks:
            self.keys.append(key)
            bags.append(Counter(toks))
            lens.append(len(toks))
        rows = np.arange(base + 1, len(self.keys) + 1, dtype=np.int32)
        with self.db.write() as tx:
            SEGMENTS.add(tx.conn, [(LocalPostings.build(bags, lens, True), rows, seq, rows)])
        (folder / "keys.json").write_text(json.dumps(self.keys), encoding="utf-8")

    def open(self, folder: Path):
        import numpy as np

        from index.store.db import Database
        from index.store.lexical import LexicalView

        self.db = Database(folder / "index.sqlite")
        self.keys = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
        with self.db.read() as conn:
            self.view = LexicalView.load(conn, np.asarray([1, 2], dtype=np.int32))

    def search(self, toks, k):
        with self.db.read() as conn:
            return [self.keys[r - 1] for r, _ in self.view.search_terms(conn, list(dict.fromkeys(toks)), k)]


def run_backend(name: str, tokens: str, extra: str, queries: list[list[str]], workdir: str) -> dict:
    folder = Path(workdir) / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    backend = {"bm25s": Bm25s, "fts5": Fts5, "tantivy": Tantivy, "postings": Postings}[name]()
    _, build_s = timed(lambda: backend.build(read_tokens(Path(tokens)), folder))
    _, add_s = timed(lambda: backend.add(list(read_tokens(Path(extra))), folder))
    del backend
    fresh = {"bm25s": Bm25s, "fts5": Fts5, "tantivy": Tantivy, "postings": Postings}[name]()
    _, open_s = timed(lambda: (fresh.open(folder), fresh.search(queries[0], CANDIDATES)))
    search = [timed(lambda: fresh.search(q, CANDIDATES))[1] for q in queries]
    top = [fresh.search(q, 20) for q in queries]
    return {"build_s": build_s, "add_one_s": add_s, "open_s": open_s, "search": latency(search), "top": top,
            "peak_rss_mb": peak_rss_mb(), "disk_mb": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20}


def _fresh(fn, *args):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def hits(top: list[list[str]], items, texts: dict[str, str]) -> tuple[float, float]:
    from eval.dataset import squash

    h1 = h5 = 0
    for keys, item in zip(top, items):
        clauses = list(dict.fromkeys(keys))[:K]
        found = [i for i, c in enumerate(clauses) if any(squash(e) in squash(texts.get(c, "")) for e in item.evidence)]
        h1 += bool(found) and found[0] == 0
        h5 += bool(found)
    return h1 / len(items), h5 / len(items)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="a folder added to the shipped corpus for the cost figures (e.g. ../shared/laws)")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    args = ap.parse_args()
    from eval.dataset import load_dataset
    from index.store.tokens import tokenize
    from index.synonyms import expand
    from synth import build_pool, extra_document

    items = [i for i in load_dataset(QUESTIONS)[0] if i.category != "out_of_scope" and not i.history]
    queries = [tokenize(expand(i.question)) for i in items]  # as ClauseIndex.search sends them
    work = Path(tempfile.mkdtemp(prefix="compare-lexical-"))
    results = {"load_start": contention()}
    try:
        extra_doc = extra_document(work / "extra", build_pool(SOURCE))
        extra = work / "extra.tokens"
        write_tokens([str(extra_doc)], extra)
        corpora = [("shipped", [str(SOURCE)])] + ([("large", [str(SOURCE), args.corpus])] if args.corpus else [])
        for name, paths in corpora:
            log(f"tokens of {name}")
            tok = work / f"{name}.tokens"
            meta = write_tokens(paths, tok)
            for b in args.backends.split(","):
                log(f"  {b}")
                r = _fresh(run_backend, b, str(tok), str(extra), queries, str(work))
                if name == "shipped":
                    r["hit@1"], r["hit@5"] = hits(r["top"], items, meta["texts"])
                r.pop("top")
                results[f"{name}/{b}"] = dict(r, chunks=meta["chunks"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_end"] = contention()
    rows = []
    for key, r in results.items():
        if "/" not in key:
            continue
        rows.append([key, f"{r['chunks']:,}", f"{r['build_s']:.1f}", f"{r['add_one_s']:.2f}", f"{r['open_s']:.2f}",
                     f"{r['search']['p50_ms']:.1f} / {r['search']['p95_ms']:.1f}", f"{r['peak_rss_mb']:.0f}",
                     f"{r['disk_mb']:.0f}", f"{r['hit@1']:.3f} / {r['hit@5']:.3f}" if "hit@1" in r else ""])
    print(f"questions: {len(items)} (out-of-scope and follow-ups left out), top {CANDIDATES} per search; load "
          f"{fmt_load(results['load_start'])} → {fmt_load(results['load_end'])}")
    print(table(rows, ["corpus/index", "chunks", "build s", "+1 doc s", "open s", "search p50/p95 ms", "RSS MB",
                       "disk MB", "hit@1 / hit@5"]))
    Path("bench/out").mkdir(parents=True, exist_ok=True)
    Path("bench/out/compare_lexical.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
