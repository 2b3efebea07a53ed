"""Dense embedding and reranking models (BGE via FlagEmbedding), loaded strictly offline-first.

A model is loaded from a local folder or the Hugging Face cache; the network is used only when
HF_ENDPOINT names a mirror. Anything that stops a model loading becomes one ModelUnavailable whose
message (one Chinese line) says which model, why, and how to provide it.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is cheap, but keep the type-only imports out of the runtime path
    import numpy as np

DEFAULT_EMBED_MODEL = "BAAI/bge-small-zh-v1.5"
# The retrieval instruction BGE zh (v1 and v1.5) were trained with; applied to queries only.
BGE_ZH_QUERY_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："

EMBED_MODEL_ENV = "ASSISTANT_EMBED_MODEL"
EMBED_MODEL_FLAG = "--embed-model"
RERANK_MODEL_ENV = "ASSISTANT_RERANK_MODEL"
RERANK_MODEL_FLAG = None  # the CLI has no reranker flag (yet); settings read ASSISTANT_RERANK_MODEL
HF_MIRROR_EXAMPLE = "https://hf-mirror.com"

# What a mirror download fetches: configs, vocab, weights. Not onnx/, not duplicated .bin when
# safetensors exist (bge-m3's .bin alone is 2.2 GB).
_DOWNLOAD_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors", "*.pt"]
_DOWNLOAD_FALLBACK_PATTERNS = ["*.bin"]
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
# Folder names ModelScope writes replace "." with "___" (bge-small-zh-v1___5).
_BGE_ZH_NAME = re.compile(r"bge-(small|base|large)-zh", re.IGNORECASE)
_BGE_M3_NAME = re.compile(r"bge-m3", re.IGNORECASE)
_CHINESE_BERT_VOCAB = 21128  # vocab size of bert-base-chinese, which every bge-*-zh shares


class ModelUnavailable(RuntimeError):
    """A model can't be loaded; str(e) is one Chinese line naming the model, the reason and the fix."""

    def __init__(self, message: str, *, model: str = "") -> None:
        super().__init__(message)
        self.model = model


def _unavailable(
    model: str, reason: str, *, role: str = "嵌入模型", env: str = EMBED_MODEL_ENV, flag: str | None = EMBED_MODEL_FLAG
) -> ModelUnavailable:
    where = f"环境变量 {env} 或参数 {flag} " if flag else f"环境变量 {env} "
    fix = (
        f"请把模型下载到本地文件夹后用{where}指定该路径"
        f"（例如 modelscope download --model {model} --local_dir ./models/{model.rstrip('/').split('/')[-1]}），"
        f"或设置 HF_ENDPOINT 指向镜像（如 {HF_MIRROR_EXAMPLE}）后重试。"
    )
    if "/" not in model.strip("/") or os.path.isabs(model) or model.startswith((".", "~")):
        # A path was given: the ModelScope example needs a hub id, so keep the fix generic.
        fix = (
            f"请确认该文件夹是完整的 Hugging Face 模型目录（含 config.json、词表和权重），"
            f"或用{where}指定其他本地路径，或设置 HF_ENDPOINT 指向镜像（如 {HF_MIRROR_EXAMPLE}）。"
        )
    line = f"{role} {model} 无法加载：{reason}。{fix}"
    return ModelUnavailable(" ".join(line.split()), model=model)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text[:300]}" if text else type(e).__name__


def _hub_cache_dir() -> str:
    """The HF hub cache as the environment says *now* (huggingface_hub reads it once at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.path.expanduser(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface"
    )
    return os.path.join(os.path.expanduser(home), "hub")


def _looks_like_path(name: str) -> bool:
    return (
        os.path.isabs(name)
        or name.startswith((".", "~"))
        or "\\" in name
        or name.count("/") != 1
        or os.path.exists(name)
    )


def _has_weights(folder: Path) -> bool:
    return any(p.suffix in _WEIGHT_SUFFIXES for p in folder.iterdir() if p.is_file())


def _resolve_model_dir(name_or_path: str, *, role: str, env: str, flag: str | None) -> Path:
    """A local folder holding the model, or ModelUnavailable. Never blocks on the network unless HF_ENDPOINT is set."""
    name = str(name_or_path).strip()
    if not name:
        raise _unavailable(name, "模型名称为空", role=role, env=env, flag=flag)
    if _looks_like_path(name):
        folder = Path(name).expanduser()
        if not folder.exists() and "/" not in name and "\\" not in name:
            raise _unavailable(
                name, "它既不是已存在的本地文件夹，也不是“组织/模型名”形式的模型 id", role=role, env=env, flag=flag
            )
        if not folder.is_dir():
            raise _unavailable(name, f"本地文件夹 {folder} 不存在", role=role, env=env, flag=flag)
        if not (folder / "config.json").is_file():
            raise _unavailable(name, f"文件夹 {folder} 中没有 config.json，不是 Hugging Face 模型目录", role=role, env=env, flag=flag)
        return folder

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    cache_dir = _hub_cache_dir()
    try:
        cached = Path(snapshot_download(name, cache_dir=cache_dir, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        cached = None
    if cached is not None and (cached / "config.json").is_file() and _has_weights(cached):
        return cached

    endpoint = (os.environ.get("HF_ENDPOINT") or "").strip().rstrip("/")
    if not endpoint:
        raise _unavailable(
            name, f"本机 Hugging Face 缓存（{cache_dir}）中没有该模型，且未设置 HF_ENDPOINT，不会联网下载", role=role, env=env, flag=flag
        )
    try:
        folder = Path(
            snapshot_download(name, cache_dir=cache_dir, endpoint=endpoint, allow_patterns=_DOWNLOAD_PATTERNS)
        )
        if not _has_weights(folder):
            folder = Path(
                snapshot_download(
                    name, cache_dir=cache_dir, endpoint=endpoint, allow_patterns=_DOWNLOAD_PATTERNS + _DOWNLOAD_FALLBACK_PATTERNS
                )
            )
    except Exception as e:  # any download failure is the same user-facing problem
        raise _unavailable(name, f"从 {endpoint} 下载失败（{_one_line(e)}）", role=role, env=env, flag=flag) from e
    if not (folder / "config.json").is_file() or not _has_weights(folder):
        raise _unavailable(name, f"从 {endpoint} 下载的文件不完整（缺少 config.json 或权重）", role=role, env=env, flag=flag)
    return folder


def _read_config(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _model_family(name_or_path: str, config: dict[str, Any]) -> str:
    """'m3', 'bge-zh' or 'other', from the name first (hub id or folder name), then the config."""
    base = name_or_path.replace("___", ".")
    if _BGE_M3_NAME.search(base):
        return "m3"
    if _BGE_ZH_NAME.search(base):
        return "bge-zh"
    # A renamed folder: a BERT with the Chinese BERT vocabulary is a bge-*-zh for our purposes.
    if config.get("model_type") == "bert" and config.get("vocab_size") == _CHINESE_BERT_VOCAB:
        return "bge-zh"
    return "other"


QUERY_DIRECT_MAX = 8  # up to this many queries skip FlagEmbedding's batch-size trial pass (see encode_queries)


class Embedder:
    """A loaded dense embedding model. Vectors are float32, L2-normalised, shape (n, dim)."""

    def __init__(self, model: Any, *, name: str, dim: int, max_length: int, batch_size: int, dense_key: str | None) -> None:
        self._model = model
        self.name = name
        self.dim = dim
        self.max_length = max_length
        self.batch_size = batch_size
        self._dense_key = dense_key  # BGEM3FlagModel returns a dict; FlagModel an array

    @property
    def query_instruction(self) -> str | None:
        return getattr(self._model, "query_instruction_for_retrieval", None)

    def __repr__(self) -> str:
        return f"Embedder(name={self.name!r}, dim={self.dim}, max_length={self.max_length})"

    def encode_corpus(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._model.encode_corpus)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if self._dense_key is None and hasattr(self._model, "pooling") and len(texts) <= QUERY_DIRECT_MAX:
            return self._encode(texts, self._forward_queries)
        return self._encode(texts, self._model.encode_queries)

    def _forward_queries(self, texts: list[str], *, batch_size: int, max_length: int, convert_to_numpy: bool) -> Any:
        """FlagModel.encode_queries for a handful of queries, in one forward pass.

        FlagEmbedding's encode first runs a trial forward pass to size its batches, which doubles
        the cost of every single search query. The instruction, tokenizer, model and pooling used
        here are FlagModel's own; tests check the vectors match encode_queries.
        """
        import torch

        m = self._model
        if m.query_instruction_for_retrieval:
            texts = [m.get_detailed_instruct(m.query_instruction_format, m.query_instruction_for_retrieval, t) for t in texts]
        model = m.model
        model.eval()
        device = next(model.parameters()).device
        batch = m.tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
        with torch.inference_mode():
            hidden = model(**batch, return_dict=True).last_hidden_state
            return m.pooling(hidden, batch["attention_mask"]).float().cpu().numpy()

    def _encode(self, texts: list[str], fn: Any) -> np.ndarray:
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode_* takes a list of strings, not a string")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = fn(texts, batch_size=self.batch_size, max_length=self.max_length, convert_to_numpy=True)
        if self._dense_key is not None:
            out = out[self._dense_key]
        vecs = np.asarray(out, dtype=np.float32)
        if vecs.ndim == 1:
            vecs = vecs[None, :]
        if vecs.shape != (len(texts), self.dim):
            raise ValueError(f"{self.name} returned shape {vecs.shape}, expected {(len(texts), self.dim)}")
        if not np.all(np.isfinite(vecs)):
            raise ValueError(f"{self.name} returned non-finite vectors")
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ValueError(f"{self.name} returned a zero vector")
        return vecs / norms


def load_embedder(
    name_or_path: str = DEFAULT_EMBED_MODEL,
    *,
    batch_size: int = 32,
    max_length: int = 512,
    device: str = "cpu",
) -> Embedder:
    """Load a BGE embedder (bge-*-zh[-v1.5] with the zh query instruction, bge-m3 dense without one)."""
    folder = _resolve_model_dir(name_or_path, role="嵌入模型", env=EMBED_MODEL_ENV, flag=EMBED_MODEL_FLAG)
    config = _read_config(folder)
    family = _model_family(name_or_path, config)
    use_fp16 = device.startswith("cuda")
    try:
        from index.store.flag_compat import flag_embedding

        common = dict(use_fp16=use_fp16, devices=device, batch_size=batch_size, query_max_length=max_length,
                      passage_max_length=max_length)
        if family == "m3":
            model = flag_embedding().BGEM3FlagModel(
                str(folder), return_dense=True, return_sparse=False, return_colbert_vecs=False, **common)
            dense_key: str | None = "dense_vecs"
        else:
            model = flag_embedding().FlagModel(
                str(folder),
                query_instruction_for_retrieval=BGE_ZH_QUERY_INSTRUCTION if family == "bge-zh" else None,
                query_instruction_format="{}{}",
                pooling_method="cls",
                normalize_embeddings=True,
                **common,
            )
            dense_key = None
    except Exception as e:  # transformers/torch raise many types; all mean "this folder can't be loaded"
        raise _unavailable(name_or_path, f"加载 {folder} 失败（{_one_line(e)}）") from e
    dim = int(config.get("hidden_size") or 0)
    if dim <= 0:
        raise _unavailable(name_or_path, f"{folder}/config.json 中没有 hidden_size")
    return Embedder(model, name=name_or_path, dim=dim, max_length=max_length, batch_size=batch_size, dense_key=dense_key)


class Reranker:
    """A cross-encoder reranker; score() returns relevance in [0, 1] (sigmoid of the logit), higher is better."""

    def __init__(self, model: Any, *, name: str, batch_size: int, max_length: int) -> None:
        self._model = model
        self.name = name
        self.batch_size = batch_size
        self.max_length = max_length

    def __repr__(self) -> str:
        return f"Reranker(name={self.name!r})"

    def score(self, query: str, passages: list[str]) -> list[float]:
        passages = list(passages)
        if not passages:
            return []
        scores = self._model.compute_score(
            [(query, p) for p in passages], batch_size=self.batch_size, max_length=self.max_length, normalize=True
        )
        if isinstance(scores, (int, float)):
            scores = [scores]
        scores = [float(s) for s in scores]
        if len(scores) != len(passages):
            raise ValueError(f"{self.name} returned {len(scores)} scores for {len(passages)} passages")
        return scores


def load_reranker(name_or_path: str, *, device: str = "cpu", batch_size: int = 16, max_length: int = 512) -> Reranker:
    """Load a FlagEmbedding cross-encoder (bge-reranker-base / -large / -v2-m3)."""
    kw = dict(role="重排模型", env=RERANK_MODEL_ENV, flag=RERANK_MODEL_FLAG)
    folder = _resolve_model_dir(name_or_path, **kw)
    try:
        from index.store.flag_compat import flag_embedding

        FlagReranker = flag_embedding().FlagReranker

        model = FlagReranker(
            str(folder), use_fp16=device.startswith("cuda"), devices=device, batch_size=batch_size, max_length=max_length
        )
    except Exception as e:  # see load_embedder
        raise _unavailable(name_or_path, f"加载 {folder} 失败（{_one_line(e)}）", **kw) from e
    return Reranker(model, name=name_or_path, batch_size=batch_size, max_length=max_length)
