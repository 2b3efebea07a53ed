"""Lookup on real statutes: does each form of reference bring back the article it names, first?

Every law of the corpus is ingested into one store (once; later runs reuse it), then random references of each
form are drawn from the source files and looked up with `Assistant.lookup`, as the 条款查找 tab, the /lookup API
and `python -m assistant lookup` do. Ground truth comes from the source, not from the parser: an article is a
line `^第X条[ \\u3000]` and the lines after it (the corpus README's rule), the title is the `# ` line, and the
current version of a law is the file with the latest date in its name (`名称(YYYY-MM-DD).md`; a file without
one is older than one with one). A hit is a first result whose text is the article's (whitespace aside).

Forms: 《title》第X条 · a short title (the title without its place or 中华人民共和国) 第X条 — when it fits several
laws, a hit is the list of candidates naming the law · 《title》第X条第Y款 and 第X条第Z项 (the 款/项 shown must be
that one) · a 文号 with and without a clause path · a stated version of a law held in two versions (the
citation's own tag, 2020年版, 修订前) · a clause that does not exist (one line, no results) · ranked search for
《title》第X条 plus words of the article (the named article first) · and the formal citation the product prints
for random clauses, looked up again (round trip). Prints figures; asserts nothing.

Examples:
  python bench/bench_lookup.py --corpus /work/shared/laws              # ~3 min the first time (ingest), then ~1 min
  python bench/bench_lookup.py --corpus /work/shared/laws --n 100 --seed 3 --store /tmp/laws-store
"""
from __future__ import annotations

import argparse
import logging
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_laws import read_truth, squash  # noqa: E402
from index.markers import int_to_cn  # noqa: E402
from index.references import ITEM_LINE, paragraph_lines  # noqa: E402

_FILE_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
NATIONAL = "中华人民共和国"
SHOW_MISSES = 8


@dataclass(frozen=True)
class Law:
    path: Path
    title: str
    date: str  # from the file name; "" when it has none
    articles: dict[str, str]  # label → raw text (lines joined with \n)
    current: bool = True


def load_laws(corpus: Path) -> list[Law]:
    laws = []
    for p in sorted(corpus.rglob("*.md")):
        if p.name == "README.md":
            continue
        raw = p.read_text(encoding="utf-8")
        truth = read_truth(raw)
        if not truth.title:
            continue
        lines = raw.splitlines()
        arts: dict[str, list[str]] = {}
        cur = None
        for line in lines:
            if line.startswith("#"):
                cur = None
                continue
            # the README's rule, and 第十七条之一 as its own article (the README's rule runs it into 第十七条)
            m = re.match(r"^第([一二三四五六七八九十百千零〇]+)条(之[一二三四五六七八九十]+)?[ \u3000]", line)
            if m:
                cur = f"第{m.group(1)}条{m.group(2) or ''}"
                arts.setdefault(cur, [])
                if arts[cur]:  # a label the source repeats: keep the first
                    cur = None
                    continue
            if cur is not None and line.strip() and not line.startswith("<!--"):
                arts[cur].append(line.strip())
        m = _FILE_DATE.search(p.stem)
        laws.append(Law(p, truth.title, m.group(1) if m else "", {k: "\n".join(v) for k, v in arts.items() if v}))
    # the current version of a title: the latest file date (parts of one law, undated alike, are all current)
    latest: dict[str, str] = defaultdict(str)
    for law in laws:
        latest[law.title] = max(latest[law.title], law.date)
    return [Law(x.path, x.title, x.date, x.articles, x.date == latest[x.title]) for x in laws]


_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,10}?(?:自治区|自治州|省|市)")


def short_title(title: str) -> str | None:
    """The title without 中华人民共和国 or the place it opens with (up to its first 省/市/自治区/自治州)."""
    if title.startswith(NATIONAL) and len(title) > len(NATIONAL) + 1:
        return title[len(NATIONAL):]
    m = _PLACE.match(title)
    return title[m.end():] if m and len(title) - m.end() >= 4 else None


def same_text(got: str, want: str) -> bool:
    g, w = squash(got), squash(want)
    return g == w or (w.startswith(g) and w[len(g):].startswith("附件"))  # an annex after the last article is its own clause


class Tally:
    def __init__(self, name: str) -> None:
        self.name, self.n, self.hits, self.misses = name, 0, 0, []

    def add(self, ok: bool, query: str, got: str) -> None:
        self.n += 1
        self.hits += ok
        if not ok:
            self.misses.append((query, got))

    def line(self) -> str:
        return f"{self.name:<44} {self.hits / self.n if self.n else float('nan'):.4f}  ({self.hits}/{self.n})"


def first(found) -> str:
    if found.rows:
        return found.rows[0].clause.citation + " | " + found.rows[0].clause.text[:40].replace("\n", " ")
    return f"[{found.message}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--store", type=Path, default=ROOT / "bench" / "out" / "lookup-store")
    ap.add_argument("--n", type=int, default=500, help="references of each form (default 500)")
    ap.add_argument("--cites", type=int, default=200, help="printed citations looked up again (default 200)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from assistant.service import Assistant

    laws = load_laws(args.corpus)
    assistant = Assistant(store=str(args.store), retrieval="lexical")
    if len(assistant.documents()) < len({x.path for x in laws}) * 0.95:
        t0 = time.perf_counter()
        report = assistant.ingest([args.corpus])
        print(f"ingested {report.documents} documents, {report.clauses} clauses in {time.perf_counter() - t0:.0f} s")
    idx = assistant.index
    print(f"store: {len(assistant.documents())} documents, {idx.n_clauses()} clauses; corpus: {len(laws)} files")
    rng = random.Random(args.seed)
    current = [x for x in laws if x.current and x.articles]
    titles_per_short: dict[str, set[str]] = defaultdict(set)
    for x in laws:
        s = short_title(x.title)
        if s:
            titles_per_short[s].add(x.title)
    # the current text of each (title, article), over the parts of a law (民法典's 编 are files of one title)
    current_text: dict[tuple[str, str], str] = {}
    for x in current:
        for lab, text in x.articles.items():
            current_text.setdefault((x.title, lab), text)

    def pick(pool, n):
        return [rng.choice(pool) for _ in range(n)]

    def article_of(law: Law) -> tuple[str, str]:
        lab = rng.choice(sorted(law.articles))
        return lab, current_text.get((law.title, lab), law.articles[lab])

    tallies = []
    t0 = time.perf_counter()
    n_lookups = 0

    # 《title》第X条
    t = Tally("《title》第X条")
    for law in pick(current, args.n):
        lab, text = article_of(law)
        q = f"《{law.title}》{lab}"
        found = assistant.lookup(q)
        n_lookups += 1
        t.add(bool(found.rows) and same_text(found.rows[0].clause.text, text), q, first(found))
    tallies.append(t)

    # short title 第X条
    t_unique, t_many = Tally("short title 第X条 (fits one law)"), Tally("short title 第X条 (fits several: listed)")
    with_short = [x for x in current if short_title(x.title)]
    all_titles = {x.title for x in laws}
    for law in pick(with_short, args.n):
        lab, text = article_of(law)
        short = short_title(law.title)
        q = f"{short} {lab}"
        # the short name is a law's whole title (优化营商环境条例), or a national law's without 中华人民共和国 (水文条例,
        # 价格管理条例): it names that law, not the local ones that share it
        whole = next((t for t in (short, NATIONAL + short) if t in all_titles), None)
        if whole:
            if (whole, lab) not in current_text:
                continue
            text = current_text[(whole, lab)]
        found = assistant.lookup(q)
        n_lookups += 1
        if len(titles_per_short[short]) == 1 or whole:
            t_unique.add(bool(found.rows) and same_text(found.rows[0].clause.text, text), q, first(found))
        else:
            listed = bool(found.message) and f"《{law.title}》" in found.message
            t_many.add(listed and any(same_text(r.clause.text, text) for r in found.rows), q, str(found.message)[:120])
    tallies += [t_unique, t_many]

    # 第X条第Y款 and 第X条第Z项
    t_par, t_item = Tally("《title》第X条第Y款"), Tally("《title》第X条第Z项")
    multi = [(x, lab) for x in current for lab, text in x.articles.items()
             if (x.title, lab) in current_text and current_text[(x.title, lab)] == text]
    # (an article whose lines the source wraps inside a sentence has no 款 to count by lines)
    whole_lines = [(x, lab) for x, lab in multi if all(re.search(r"[。：:；;？！”）]$", ln) for ln in x.articles[lab].split("\n"))]
    with_pars = [(x, lab) for x, lab in whole_lines if len(paragraph_lines(x.articles[lab])) >= 2]
    with_items = [(x, lab) for x, lab in whole_lines if any(ITEM_LINE.match(line) for line in x.articles[lab].split("\n")[1:])]
    for law, lab in pick(with_pars, args.n):
        pars = paragraph_lines(law.articles[lab])
        y = rng.randrange(len(pars))
        q = f"《{law.title}》{lab}第{int_to_cn(y + 1)}款"
        found = assistant.lookup(q)
        n_lookups += 1
        ok = bool(found.rows) and same_text(found.rows[0].clause.text, law.articles[lab]) and \
            squash(found.rows[0].focus or "") == squash("".join(pars[y]))
        t_par.add(ok, q, first(found))
    for law, lab in pick(with_items, args.n):
        items = [line for p in paragraph_lines(law.articles[lab]) for line in p if ITEM_LINE.match(line)]
        z = rng.randrange(len(items))
        q = f"《{law.title}》{lab}第{int_to_cn(z + 1)}项"
        found = assistant.lookup(q)
        n_lookups += 1
        ok = bool(found.rows) and same_text(found.rows[0].clause.text, law.articles[lab]) and \
            squash(found.rows[0].focus or "") == squash(items[z])
        t_item.add(ok, q, first(found))
    tallies += [t_par, t_item]

    # 文号, with and without a clause path
    t_num, t_num_path = Tally("文号"), Tally("文号 第X条")
    numbered = [m for m, _ in assistant.documents() if m.doc_number and idx.validity(m.doc_id).current]
    by_title = {x.title: x for x in current}
    for m in pick(numbered, args.n) if numbered else []:
        found = assistant.lookup(m.doc_number)
        n_lookups += 1
        # (a 文号 is the document's identity; the corpus holds a few interpretations twice, under two spellings)
        t_num.add(bool(found.rows) and found.rows[0].clause.doc_number == m.doc_number, m.doc_number, first(found))
        law = by_title.get(squash(m.title))
        if law and law.articles:
            lab, text = article_of(law)
            q = f"{m.doc_number} {lab}"
            found = assistant.lookup(q)
            n_lookups += 1
            t_num_path.add(bool(found.rows) and same_text(found.rows[0].clause.text, text), q, first(found))
    tallies += [t_num, t_num_path]

    # a stated version of a law held in two versions
    t_tag, t_year, t_prev = Tally("older version: its citation's tag"), Tally("older version: 2020年版"), Tally("older version: 修订前")
    # (each older file's document: a file whose version another file of the same version replaced has none)
    doc_of_path = {m.path: m for m, _ in assistant.documents()}
    older = [x for x in laws if not x.current and x.articles and str(x.path) in doc_of_path
             and idx.validity(doc_of_path[str(x.path)].doc_id).status == "已被修订"]
    for old in pick(older, args.n) if older else []:
        m = doc_of_path[str(old.path)]
        v = idx.validity(m.doc_id)
        lab = rng.choice(sorted(old.articles))
        text = old.articles[lab]
        year = (m.edition or "")[:4]  # the year the version is known by, as its citation prints it
        newer_years = {(x.edition or "")[:4] for x in idx.versions(m.doc_id) if x.doc_id != m.doc_id}
        for tally, q in ((t_tag, f"《{old.title}》（{v.tag}）{lab}"), (t_year, f"{old.title} {year}年版 {lab}"),
                         (t_prev, f"{old.title} 修订前 {lab}")):
            if tally is t_year and (not year or year in newer_years):
                continue  # undated (its tag is 旧版), or two versions in one year: the year names the newer
            if tally is t_prev and len(v.versions) > 2 and v.newer != v.versions[-1]:
                continue  # 修订前 names the version just before the current one
            found = assistant.lookup(q)
            n_lookups += 1
            tally.add(bool(found.rows) and same_text(found.rows[0].clause.text, text), q, first(found))
    tallies += [t_tag, t_year, t_prev]

    # a clause that does not exist: one line, no results
    t_missing = Tally("《title》第(last+k)条 → one line, no results")
    labels_of: dict[str, set[str]] = defaultdict(set)  # over the parts of a law
    for x in current:
        labels_of[x.title] |= set(x.articles)
    for law in pick(current, args.n):
        n = len(labels_of[law.title]) + rng.randint(5, 300)
        while f"第{int_to_cn(n)}条" in labels_of[law.title]:
            n += 1
        q = f"《{law.title}》第{int_to_cn(n)}条"
        found = assistant.lookup(q)
        n_lookups += 1
        ok = not found.rows and bool(found.message) and "\n" not in found.message and f"没有第{int_to_cn(n)}条" in found.message
        t_missing.add(ok, q, first(found))
    tallies.append(t_missing)

    # ranked search: title, article and words of it; the named article first
    t_rank = Tally("ranked: 《title》第X条 + words → that article")
    for law in pick(current, args.n):
        lab, text = article_of(law)
        body = re.sub(r"^第[一二三四五六七八九十百千零〇]+条\s*", "", text.split("\n")[0])
        words = re.sub(r"第[一二三四五六七八九十百千零〇]*$|\d+$", "", re.sub(r"[，。；、：\s]", "", body)[:8])
        q = f"{law.title}{lab} {words}"
        found = assistant.lookup(q)
        n_lookups += 1
        t_rank.add(bool(found.rows) and same_text(found.rows[0].clause.text, text), q, first(found))
    tallies.append(t_rank)

    # round trip: every citation the product prints resolves back to its clause
    t_cite = Tally("printed citation → its clause (round trip)")
    clauses = []
    docs = [m for m, _ in assistant.documents()]
    for m in pick(docs, args.cites):
        cs = idx.clauses(m.doc_id)
        if cs:
            clauses.append(rng.choice(cs))
    dup = 0
    for c in clauses:
        found = assistant.lookup(c.citation)
        n_lookups += 1
        same_cite = [x for x in idx.clauses(c.doc_id) if x.citation == c.citation]
        dup += len(same_cite) > 1
        t_cite.add(bool(found.rows) and found.rows[0].clause.clause_id == c.clause_id, c.citation, first(found))
    tallies.append(t_cite)
    seconds = time.perf_counter() - t0

    print(f"\nseed {args.seed}; {args.n} references per form, {args.cites} citations; "
          f"{n_lookups} lookups in {seconds:.1f} s ({1000 * seconds / max(n_lookups, 1):.1f} ms each)")
    print(f"{'form':<44} hit@1")
    for t in tallies:
        print(t.line())
    print(f"(citations printed for two clauses of one document, which no lookup can tell apart: {dup} of {len(clauses)})")
    for t in tallies:
        for q, got in t.misses[:SHOW_MISSES]:
            print(f"  miss [{t.name}] {q}  →  {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
