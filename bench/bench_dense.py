"""Dense-encoding cost for bench/bench_index.py: a random-weight bge-small-zh-v1.5 skeleton on this machine's CPU.

The skeleton has bge-small-zh-v1.5's exact architecture and vocabulary with seeded random weights (the recipe of
tests/conftest.py's bge_skeleton fixture): the cost is real, the relevance is not.
"""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

from bench_common import (BGE_FIXTURE, BGE_TOKENIZER_FILES, SOURCE, contention, fmt_load, latency, log, peak_rss_mb,
                          table, timed, timed_cpu)

RANDOM_WEIGHTS_NOTE = "dense vectors come from a random-weight bge-small-zh-v1.5 skeleton: the cost is real, the relevance is not"
QUERY_ENCODE_SAMPLE = 50


def build_skeleton(folder: Path) -> Path:
    """The recipe of tests/conftest.py's bge_skeleton fixture: real config and vocab, seeded random weights."""
    import torch
    from transformers import BertConfig, BertModel

    folder = folder / "bge-small-zh-v1.5"  # named like the real model so the embedder picks the bge-zh settings
    config = BertConfig.from_pretrained(str(BGE_FIXTURE))
    torch.manual_seed(0)
    BertModel(config).eval().save_pretrained(str(folder))
    for name in BGE_TOKENIZER_FILES:
        shutil.copy(BGE_FIXTURE / name, folder / name)
    return folder


def _bare_encode(tokenizer, model, texts: list[str], batch: int, max_length: int):
    """Tokenizer + BertModel forward + CLS + L2 norm, length-sorted batches: the floor any wrapper adds to."""
    import numpy as np
    import torch

    enc = tokenizer(texts, truncation=True, max_length=max_length)
    order = sorted(range(len(texts)), key=lambda i: -len(enc["input_ids"][i]))
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, len(order), batch):
            rows = order[s: s + batch]
            padded = tokenizer.pad({key: [enc[key][i] for i in rows] for key in enc.keys()}, return_tensors="pt")
            cls = model(**padded, return_dict=True).last_hidden_state[:, 0]
            out[rows] = torch.nn.functional.normalize(cls, dim=-1).numpy()
    return out


def dense_worker(workdir: str, questions: list[str], sample_n: int, batch: int, max_length: int, repeats: int,
                 k: int) -> dict:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[var] = "1"
    import numpy as np
    import torch

    from index.store.chroma_store import ChromaStore
    from index.store.clause_index import ClauseIndex
    from index.store.dense import EMBED_SLICE as INGEST_BATCH
    from index.store.embedder import load_embedder
    from index.loaders import iter_document_paths, load_document
    from index.parser import parse_document, split_clause

    work = Path(workdir)
    log("dense: building the random-weight skeleton")
    model_dir = build_skeleton(work / "models")
    emb, load_s = timed(lambda: load_embedder(str(model_dir), batch_size=batch, max_length=max_length))
    flag = emb._model  # FlagEmbedding's FlagModel: what the Embedder wraps

    files, _ = iter_document_paths([SOURCE])
    texts = []
    for f in files:
        lt = load_document(f)
        for c in parse_document(lt.text, fmt=lt.fmt, path=str(f), content_hash=lt.content_hash).clauses:
            texts.extend(ch.index_text for ch in split_clause(c))
    corpus_chunks = len(texts)
    texts = random.Random(0).sample(texts, min(sample_n, len(texts)))
    tokens = [len(x) for x in flag.tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]

    variants = {
        "embedder_one_call": lambda: emb.encode_corpus(texts),
        "embedder_ingest_slices": lambda: np.concatenate(
            [emb.encode_corpus(texts[i: i + INGEST_BATCH]) for i in range(0, len(texts), INGEST_BATCH)]),
        "flagmodel_encode_corpus": lambda: flag.encode_corpus(texts, batch_size=batch, max_length=max_length,
                                                              convert_to_numpy=True),
        "bare_forward": lambda: _bare_encode(flag.tokenizer, flag.model, texts, batch, max_length),
    }
    variants["embedder_one_call"]()  # warm-up: first forward pass allocates
    forwards = [0]
    flag.model.register_forward_hook(lambda *_: forwards.__setitem__(0, forwards[0] + 1))
    times: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
    vecs = {}
    load_start = contention()
    for r in range(repeats):
        for name, fn in variants.items():
            log(f"dense: {name} on {len(texts)} texts (round {r + 1}/{repeats})")
            before = forwards[0]
            vecs[name], w, c = timed_cpu(fn)
            times[name].append((w, c, forwards[0] - before))
    agree = float(np.abs(vecs["bare_forward"] - vecs["embedder_one_call"]).max())
    encode = {}
    for name, runs in times.items():
        w, c, n_fwd = min(runs)
        encode[name] = {"wall_s": [x[0] for x in runs], "cpu_s": [x[1] for x in runs], "best_s": w, "best_cpu_s": c,
                        "texts_per_s": len(texts) / w, "forward_passes": n_fwd}

    log("dense: single-query encoding")
    qs = questions[:QUERY_ENCODE_SAMPLE]
    q_ours, q_bare = [], []
    before = forwards[0]
    for q in qs:
        q_ours.append(timed_cpu(lambda: emb.encode_queries([q]))[1:])
    query_forwards = (forwards[0] - before) / len(qs)
    for q in qs:
        q_bare.append(timed_cpu(lambda: _bare_encode(flag.tokenizer, flag.model, [emb.query_instruction + q], 1,
                                                      max_length))[1:])

    log("dense: hybrid ingest and search on the 1× corpus")
    store = work / "store-hybrid"
    index = ClauseIndex(store, embed_model=str(model_dir))
    mode, model_s = timed(index.mode)
    report, ingest_s, ingest_cpu = timed_cpu(lambda: index.ingest([SOURCE]))
    log(f"dense: hybrid search, {len(questions)} questions")
    index.search(questions[0], k)
    hybrid = [timed_cpu(lambda: index.search(q, k))[1:] for q in questions]
    lexical_index = ClauseIndex(store, lexical_only=True)
    lexical = [timed_cpu(lambda: lexical_index.search(q, k))[1:] for q in questions]
    chroma = ChromaStore(store / "chroma", str(model_dir))
    qvecs = [emb.encode_queries([q])[0] for q in qs]
    chroma_lat = [timed_cpu(lambda: chroma.query(v, index.candidates * 2))[1:] for v in qvecs]

    def lat(pairs):
        return {"wall": latency([w for w, _ in pairs]), "cpu": latency([c for _, c in pairs])}

    return {
        "note": RANDOM_WEIGHTS_NOTE, "torch_threads": torch.get_num_threads(), "mode": mode.to_json(),
        "batch_size": batch, "max_length": max_length, "sample": len(texts), "repeats": repeats,
        "sample_tokens_mean": float(np.mean(tokens)), "sample_tokens_max": int(max(tokens)),
        "embedder_load_s": load_s, "encode": encode, "bare_vs_embedder_max_abs_diff": agree,
        "query_encode_embedder": lat(q_ours), "query_encode_bare": lat(q_bare),
        "forward_passes_per_query_encode": query_forwards,
        "hybrid_model_load_s": model_s, "hybrid_ingest_s": ingest_s, "hybrid_ingest_cpu_s": ingest_cpu,
        "hybrid_ingest_chunks": corpus_chunks, "hybrid_ingest_clauses": report.clauses,
        "search_hybrid": lat(hybrid), "search_lexical_same_store": lat(lexical),
        "chroma_query": lat(chroma_lat), "peak_rss_mb": peak_rss_mb(),
        "contention_start": load_start, "contention_end": contention(),
    }


def render_dense(d: dict) -> list[str]:
    from index.store.dense import EMBED_SLICE as INGEST_BATCH

    out: list[str] = []
    out += ["", f"Dense, CPU, batch {d['batch_size']}, max_length {d['max_length']}, {d['sample']} texts from the "
            f"1× corpus (mean {d['sample_tokens_mean']:.0f} tokens), best of {d['repeats']}, load {fmt_load(d['contention_start'])}",
            f"NOTE: {d['note']}"]
    names = {"embedder_one_call": "Embedder.encode_corpus, one call",
             "embedder_ingest_slices": f"Embedder.encode_corpus, slices of {INGEST_BATCH} (as ingest)",
             "flagmodel_encode_corpus": "FlagModel.encode_corpus (raw FlagEmbedding)",
             "bare_forward": "bare tokenizer + BertModel forward"}
    out.append(table([[names[n], f"{e['best_s']:.1f}", f"{e['best_cpu_s']:.1f}", f"{e['texts_per_s']:.1f}",
                        e["forward_passes"]] for n, e in d["encode"].items()],
                      ["encoder", "wall s", "cpu s", "texts/s", "forward passes"]))
    rows = [["query encode, Embedder.encode_queries([q])", d["query_encode_embedder"]],
            ["query encode, bare forward", d["query_encode_bare"]],
            ["Chroma query (k=100)", d["chroma_query"]],
            ["search, lexical only (same store)", d["search_lexical_same_store"]],
            ["search, hybrid (encode + Chroma + BM25 + RRF)", d["search_hybrid"]]]
    out.append("")
    out.append(table([[n, f"{x['wall']['p50_ms']:.1f}", f"{x['wall']['p95_ms']:.1f}", f"{x['cpu']['p50_ms']:.1f}"]
                       for n, x in rows], ["1× corpus", "p50 ms", "p95 ms", "p50 cpu ms"]))
    out.append(f"forward passes per single-query encode: {d['forward_passes_per_query_encode']:.1f}")
    out.append(f"hybrid ingest of the 1× corpus ({d['hybrid_ingest_chunks']} chunks): {d['hybrid_ingest_s']:.1f} s wall, "
               f"{d['hybrid_ingest_cpu_s']:.1f} s cpu (+ {d['hybrid_model_load_s']:.1f} s model load); "
               f"peak RSS {d['peak_rss_mb']:.0f} MB")
    per_10k = 10000 / d["encode"]["embedder_ingest_slices"]["texts_per_s"] / 60
    out.append(f"CPU time per 10,000 chunks as ingest encodes them: {per_10k:.0f} min")
    return out
