"""Parser accuracy on real statutes: every article, its verbatim text, its 章/节 path, and the real title.

Each law is read and parsed exactly as ingest does (index.loaders.load_document → index.parser.parse_document)
and compared with the ground truth the corpus README defines: every line matching
`^第[一二三四五六七八九十百千零〇]+条[ \\u3000]` starts an article, whose text runs to the next such line or
Markdown heading; the article's path is the chain of headings (## / ### / ####) above it, ranked 编 > 分编 > 章 > 节; the title
is the `# ` line. Texts and paths are compared with whitespace, zero-width characters and HTML comments removed (the normaliser drops
both). An annex after the last article (附件：…) is its own clause in the product, while the README's rule runs
the article on into it: "verbatim text" accepts the article followed by the annex clauses after it (no text
lost or moved), and "README-strict" counts those laws as failures. Prints figures; asserts nothing.

Examples:
  python bench/bench_laws.py --corpus /work/shared/laws                  # all laws (~3,400; a few minutes)
  python bench/bench_laws.py --corpus /work/shared/laws --sample 300 --seed 7
  python bench/bench_laws.py --corpus /work/shared/laws --only 护照法 --verbose   # one law, every mismatch
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.loaders import load_document  # noqa: E402
from index.markers import cn_to_int, int_to_cn  # noqa: E402
from index.models import KIND_ARTICLE  # noqa: E402
from index.parser import parse_document  # noqa: E402

_ARTICLE = re.compile(r"^第([一二三四五六七八九十百千零〇]+)条[ \u3000]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# A numbered heading's rank comes from its kind, not its Markdown depth (the corpus writes 第一节 under
# 第三章 both as ## and as ###); an unnumbered heading (## 序言, ## 一、一般规定) ranks by its depth.
_NUMBERED_HEADING = re.compile(r"^第[一二三四五六七八九十百千零〇]+(编|分编|章|节)")
_KIND_RANK = {"编": 0, "分编": 1, "章": 2, "节": 3}
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SPACE = re.compile(r"[\s\u00ad\u200b-\u200d\u2060\ufeff]+")  # whitespace and characters that print nothing
_FILE_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
_NOTE_DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日")
INFO_END = "<!-- INFO END -->"
SHOW_FAILURES = 20
ANNEX = "附件"  # label prefix of the parser's annex clauses
# version_date is "near" the file name's date (the version's publication date) within this many days:
# adoption, approval and publication of one version fall within weeks of each other.
VERSION_NEAR_DAYS = 92


@dataclass(frozen=True)
class Article:
    label: str  # canonical 第X条
    text: str  # whitespace removed
    path: tuple[str, ...]  # heading texts, whitespace removed
    annex: str = ""  # the text of the annex clauses that follow the article in the product, whitespace removed


@dataclass(frozen=True)
class Truth:
    title: str | None
    articles: tuple[Article, ...]
    dated_note: bool  # the 题注 (between the title and <!-- INFO END -->) states a date


@dataclass(frozen=True)
class Result:
    path: Path
    labels_ok: bool
    text_ok: bool  # verbatim, an annex after the article aside
    strict_ok: bool  # verbatim by the README's rule
    path_ok: bool
    title_ok: bool
    n_truth: int
    dated_note: bool
    version_date: str | None
    file_date: str | None
    seconds: float
    detail: str  # the first mismatch, one line ("" when all is right)

    @property
    def articles_ok(self) -> bool:
        return self.labels_ok and self.text_ok and self.path_ok


def squash(s: str) -> str:
    return _SPACE.sub("", s)


def read_truth(raw: str) -> Truth:
    """The README's ground truth from the raw Markdown."""
    dated_note = _NOTE_DATE.search(raw.split(INFO_END, 1)[0]) is not None if INFO_END in raw else False
    raw = _COMMENT.sub("", raw)
    title = None
    heads: list[tuple[int, str]] = []  # open headings: (rank, text)
    articles: list[tuple[str, list[str], tuple[str, ...]]] = []
    current: list[str] | None = None
    for line in raw.splitlines():
        h = _HEADING.match(line)
        if h:
            level, text = len(h.group(1)), squash(h.group(2))
            current = None
            if level == 1:
                title = title or text
                continue
            k = _NUMBERED_HEADING.match(text)
            rank = _KIND_RANK[k.group(1)] if k else level
            while heads and heads[-1][0] >= rank:
                heads.pop()
            heads.append((rank, text))
            continue
        a = _ARTICLE.match(line)
        if a:
            n = cn_to_int(a.group(1)) or 0
            current = [line]
            articles.append((f"第{int_to_cn(n)}条", current, tuple(t for _, t in heads)))
        elif current is not None:
            current.append(line)
    return Truth(title, tuple(Article(lab, squash("".join(lines)), path) for lab, lines, path in articles), dated_note)


def check(path: Path) -> Result:
    truth = read_truth(path.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    lt = load_document(path)
    doc = parse_document(lt.text, fmt=lt.fmt, path=str(path), content_hash=lt.content_hash)
    seconds = time.perf_counter() - t0
    got = _articles(doc.clauses, doc.text)
    want = list(truth.articles)
    labels_ok = [a.label for a in got] == [a.label for a in want]
    strict_ok = labels_ok and all(g.text == w.text for g, w in zip(got, want))
    text_ok = labels_ok and all(_same_text(g, w) for g, w in zip(got, want))
    path_ok = labels_ok and all(g.path == w.path for g, w in zip(got, want))
    title_ok = truth.title is not None and squash(doc.meta.title) == truth.title
    m = _FILE_DATE.search(path.stem)
    return Result(path, labels_ok, text_ok, strict_ok, path_ok, title_ok, len(want), truth.dated_note, doc.meta.version_date,
                  m.group(1) if m else None, seconds, _first_mismatch(got, want, doc.meta.title, truth.title))


def _articles(clauses, text: str) -> list[Article]:
    """The product's articles; an article followed by annex clauses carries the text up to their end."""
    out: list[Article] = []
    end = 0
    for c in clauses:
        if c.kind == KIND_ARTICLE:
            out.append(Article(c.label, squash(c.text), tuple(squash(p) for p in c.path[:-1])))
            end = c.span[1]
        elif out and c.label.startswith(ANNEX):
            last = out[-1]
            out[-1] = Article(last.label, last.text, last.path, squash(text[end:c.span[1]]))
    return out


def _same_text(g: Article, w: Article) -> bool:
    """Verbatim; or the README's article runs on into annex clauses that follow the product's article
    (up to the next heading, which may lie inside the annex)."""
    return w.text == g.text or (w.text.startswith(g.text) and (g.text + g.annex).startswith(w.text))


def _first_mismatch(got: list[Article], want: list[Article], title: str, want_title: str | None) -> str:
    out = []
    if squash(title) != want_title:
        out.append(f"title {title!r} ≠ {want_title!r}")
    labels = ([g.label for g in got], [w.label for w in want])
    if labels[0] != labels[1]:  # the article set first: a merged article shows as a text mismatch too
        k = next((i for i, (g, w) in enumerate(zip(*labels)) if g != w), min(map(len, labels)))
        g, w = (lab[k] if k < len(lab) else "end" for lab in labels)
        out.append(f"article {k + 1}: {g} ≠ {w} (got {len(got)}, want {len(want)})")
        return "; ".join(out)
    for g, w in zip(got, want):
        if not _same_text(g, w):
            at = next((i for i, (x, y) in enumerate(zip(g.text, w.text)) if x != y), min(len(g.text), len(w.text)))
            out.append(f"{w.label} text differs at {at}: got …{g.text[max(0, at - 15):at + 25]!r} "
                       f"want …{w.text[max(0, at - 15):at + 25]!r}")
            break
        if g.path != w.path:
            out.append(f"{w.label} path {'/'.join(g.path)!r} ≠ {'/'.join(w.path)!r}")
            break
    return "; ".join(out)


def _near(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days) <= VERSION_NEAR_DAYS


def laws(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if p.name != "README.md")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="folder of laws as Markdown (e.g. /work/shared/laws)")
    ap.add_argument("--sample", type=int, default=0, help="parse a random sample of N laws (default: all)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the random sample (default 7)")
    ap.add_argument("--only", default="", help="only laws whose file path contains this text")
    ap.add_argument("--verbose", action="store_true", help="print every failure, not the first 20")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        ap.error(f"{args.corpus} is not a folder; pass the laws folder, e.g. --corpus /work/shared/laws")
    files = [p for p in laws(args.corpus) if args.only in str(p)]
    if args.sample and args.sample < len(files):
        files = sorted(random.Random(args.seed).sample(files, args.sample))
    if not files:
        ap.error(f"no .md laws under {args.corpus}" + (f" matching {args.only!r}" if args.only else ""))

    t0 = time.perf_counter()
    results = [check(p) for p in files]
    wall = time.perf_counter() - t0
    n = len(results)
    with_articles = [r for r in results if r.n_truth]

    def share(pred, rs=results) -> str:
        k = sum(1 for r in rs if pred(r))
        return f"{k / len(rs):.4f} ({k}/{len(rs)})" if rs else "n/a"

    print(f"laws: {n}" + (f" (sample of {args.sample}, seed {args.seed})" if args.sample else "") +
          f"; {sum(r.n_truth for r in results)} articles in the ground truth; {len(with_articles)} laws have articles")
    print(f"exact article set (labels)          {share(lambda r: r.labels_ok)}")
    print(f"  … and verbatim text               {share(lambda r: r.labels_ok and r.text_ok)}")
    print(f"  … and 章/节 path                  {share(lambda r: r.articles_ok)}")
    print(f"  README-strict (annex in the article)  {share(lambda r: r.articles_ok and r.strict_ok)}")
    print(f"title equals the '# ' line          {share(lambda r: r.title_ok)}")
    noted = [r for r in results if r.dated_note]
    print(f"version_date stated, of laws whose 题注 has a date  {share(lambda r: r.version_date is not None, noted)}")
    dated = [r for r in results if r.file_date]
    print(f"version_date within {VERSION_NEAR_DAYS} days of the file name's date  {share(lambda r: _near(r.version_date, r.file_date), dated)}")
    slow = max(results, key=lambda r: r.seconds)
    print(f"time: {wall:.1f} s wall, {sum(r.seconds for r in results) / n * 1000:.1f} ms per law (load + parse), "
          f"slowest {slow.seconds * 1000:.0f} ms ({slow.path.name})")
    failures = [r for r in results if not (r.articles_ok and r.title_ok)]
    shown = failures if args.verbose else failures[:SHOW_FAILURES]
    if failures:
        print(f"failures: {len(failures)}" + ("" if len(shown) == len(failures) else f" (first {len(shown)})"))
    for r in shown:
        print(f"  {r.path.relative_to(args.corpus)}: {r.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
