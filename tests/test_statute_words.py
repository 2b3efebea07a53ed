"""The statute-word table behind `everyday_words`: how it is built, and what the shipped one says."""
from __future__ import annotations

from pathlib import Path

from index import statute_words


def _law(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_build_counts_statutes_using_a_word_and_leaves_out_evaluated_ones(tmp_path: Path) -> None:
    laws, evaluated = tmp_path / "laws", tmp_path / "eval_docs"
    _law(laws, "甲市养犬管理条例(2020-01-01).md", "# 甲市养犬管理条例\n\n第一条 养犬人应当办理养犬登记。\n")
    _law(laws, "乙市养犬管理条例(2021-01-01).md", "# 乙市养犬管理条例\n\n第一条 养犬人应当办理养犬登记。\n")
    _law(laws, "丙市供热条例(2019-01-01).md", "# 丙市供热条例\n\n第一条 供热企业应当办理养犬登记。\n")
    _law(evaluated, "丙市供热条例(2019-01-01).md", "# 丙市供热条例\n")  # asked over by an eval set: left out
    out = tmp_path / "table.tsv.gz"
    n, _ = statute_words.build(laws, [evaluated], out)
    assert n == 2
    import gzip

    rows = dict(line.rstrip("\n").split("\t") for line in gzip.open(out, "rt", encoding="utf-8"))
    assert rows["#statutes"] == "2" and rows["养犬"] == "2" and "供热" not in rows  # one statute: not written


def test_the_shipped_table_separates_everyday_words_from_statutes_words() -> None:
    assert statute_words.TABLE.exists(), "data/lexicon/statute_words.tsv.gz is shipped with the code"
    f = statute_words.statute_frequency
    assert f("客人") == 0 and f("楼上") == 0 and f("饭馆") == 0
    assert f("登记费") >= 10 and f("物业费") >= 10 and f("罚款") > 1000


def test_a_missing_laws_folder_is_one_clear_line(tmp_path: Path, capsys) -> None:
    assert statute_words.main([str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "文件夹" in err and len(err.strip().splitlines()) == 1
