"""文号 / 发文机关 / 印发日期 questions: answered from the notice that issued the document and its metadata."""
from __future__ import annotations

import re

from assistant.compose import BACKEND, cite
from assistant.plan import Plan
from assistant.retrieve import Candidates
from assistant.text import split_sentences
from assistant.types import Draft
from index.models import DocumentMeta

_ASKS_ISSUER = re.compile(r"发文机关|发文单位|印发单位|发布机关|发布单位|制定机关|(?:哪个|哪些|什么|哪家)(?:部门|单位|机关|机构)(?:印发|发布|制定|发文|出台)|谁(?:印发|发布|制定|出台)")
_ASKS_DATE = re.compile(r"什么时候(?:印发|发布|出台)|何时(?:印发|发布|出台)|印发日期|发布日期|成文日期|哪天(?:印发|发布)|哪一?年(?:印发|发布|出台)")
_ASKS_NUMBER = re.compile(r"文号|发文字号|字号")
_META = re.compile(r"文号|发文字号|字号|发文机关|印发单位|发文单位|哪个部门印发|什么时候印发|印发日期|发布日期|哪天印发")


def meta_answer(plan: Plan, cands: Candidates, metas: dict[str, DocumentMeta]) -> Draft | None:
    q = plan.question
    asks = [k for k, rx in (("number", _ASKS_NUMBER), ("issuer", _ASKS_ISSUER), ("date", _ASKS_DATE)) if rx.search(q)]
    if not asks and not _META.search(q):
        return None
    asks = asks or ["number"]
    for n, c in cands.clauses.items():
        if c.kind != "preamble" or (plan.docs and c.doc_id not in plan.docs):
            continue
        meta = metas.get(c.doc_id)
        lines = []
        if "number" in asks and c.doc_number and c.doc_number in c.text:
            lines.append(cite(f"《{c.doc_title}》的文号为{c.doc_number}", n))
        if "issuer" in asks and meta and meta.issuer and all(o in c.text for o in meta.issuer.split("、")):
            lines.append(cite(f"《{c.doc_title}》由{meta.issuer}印发", n))
        if "date" in asks and meta and meta.date:
            y, m, d = meta.date.split("-")
            day = f"{int(y)}年{int(m)}月{int(d)}日"
            where = next((k for k, x in cands.clauses.items()  # the notice, or the closing's …年…月…日印发
                          if x.doc_id == c.doc_id and x.kind in ("preamble", "closing") and day in x.text), None)
            if where is not None:
                lines.append(cite(f"《{c.doc_title}》于{day}印发", where))
        if not lines:
            continue
        for sent in split_sentences(c.text):
            if "拟定" in sent or "起草" in sent or "制定" in sent:
                lines.append(cite(sent.strip(), n))
                break
        return Draft("".join(lines), BACKEND)
    return None
