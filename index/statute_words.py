"""How many statutes use a word: the register of Chinese law, counted over a folder of statutes.

A question word that general Chinese uses often but statutes almost never (客人, 楼上, 饭馆, 砍掉) is an everyday
word for something the documents word otherwise; its absence from the documents says nothing about whether they
answer. A word statutes do use (登记费, 狂犬病, 物业费) that the documents lack is what a question they don't
answer is about. The table holds, for each word jieba's default mode cuts from the statutes, the number of statutes
using it (two or more).

Build it (the shipped table was built from the 3,418 statutes of ../shared/laws, leaving out every statute an
evaluation set is asked over, so no blind question's document is counted):

    python -m index.statute_words /path/to/laws --exclude eval/datasets --exclude data/policies
"""
from __future__ import annotations

import argparse
import gzip
import re
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "data" / "lexicon" / "statute_words.tsv.gz"
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


def _title(path: Path) -> str:
    """护照法(2006-04-29).md → 护照法: the statute, whichever version."""
    return re.sub(r"[(（].*$", "", path.stem)


def _words(path: str) -> set[str]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return {w for w in jieba.lcut(text) if _WORD.fullmatch(w)}


def build(laws: Path, exclude: list[Path], out: Path) -> tuple[int, int]:
    """Count the statutes under `laws` using each word, leaving out statutes whose title is a file under any of
    `exclude`; write the table to `out`. Returns (statutes counted, words written)."""
    from multiprocessing import Pool

    left_out = {_title(p) for d in exclude for p in d.rglob("*.md")}
    files = sorted(str(p) for p in laws.rglob("*.md") if p.name != "README.md" and _title(p) not in left_out)
    df: Counter[str] = Counter()
    with Pool() as pool:
        for words in pool.imap_unordered(_words, files, chunksize=20):
            df.update(words)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [(w, c) for w, c in df.most_common() if c >= 2]
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(f"#statutes\t{len(files)}\n")
        f.writelines(f"{w}\t{c}\n" for w, c in rows)
    return len(files), len(rows)


@lru_cache(maxsize=1)
def _table() -> dict[str, int]:
    if not TABLE.exists():
        return {}
    with gzip.open(TABLE, "rt", encoding="utf-8") as f:
        return {w: int(c) for w, _, c in (line.rstrip("\n").partition("\t") for line in f) if not w.startswith("#")}


def statute_frequency(word: str) -> int:
    """How many statutes of the shipped table use the word (0 for fewer than two)."""
    return _table().get(word, 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index.statute_words", description=__doc__.split("\n\n")[0])
    ap.add_argument("laws", type=Path, help="folder of statutes as Markdown (../shared/laws)")
    ap.add_argument("--exclude", type=Path, action="append", default=[],
                    help="folder whose statutes are left out (an evaluation set's documents); may repeat")
    ap.add_argument("--out", type=Path, default=TABLE)
    args = ap.parse_args(argv)
    if not args.laws.is_dir():
        print(f"找不到法规文件夹 {args.laws}：请给出存放法规 Markdown 文件的文件夹路径。", file=sys.stderr)
        return 2
    n, rows = build(args.laws, args.exclude, args.out)
    print(f"已统计 {n} 部法规，写出 {rows} 个词到 {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
