"""Import FlagEmbedding under transformers 5.

FlagEmbedding 1.4.2 imports every model class at package import, including the decoder-only
rerankers (MiniCPM, Gemma) that do `from transformers.modeling_attn_mask_utils import …`, a module
transformers 5 removed. We use only the encoder models (FlagModel, BGEM3FlagModel, FlagReranker),
which never touch it. Before the first import we register a stand-in module whose names raise a
clear error if the decoder-only rerankers are ever used, instead of breaking every import.
"""
from __future__ import annotations

import importlib
import sys
import types

_LEGACY = "transformers.modeling_attn_mask_utils"


class DecoderRerankerUnsupported(RuntimeError):
    """A decoder-only FlagEmbedding reranker needs transformers 4's attention-mask helpers."""


def _unsupported(name: str) -> type:
    def fail(*_a: object, **_k: object) -> None:
        raise DecoderRerankerUnsupported(
            f"{_LEGACY}.{name} 在 transformers 5 中已移除：仅支持编码器重排序模型（bge-reranker-base / -large / -v2-m3）"
        )

    return type(name, (), {"__init__": fail, "__call__": fail, "__new__": lambda cls, *a, **k: fail()})


def _install_shim() -> None:
    try:
        importlib.import_module(_LEGACY)
        return  # transformers 4: the real module exists
    except ModuleNotFoundError:
        pass
    shim = types.ModuleType(_LEGACY)
    shim.__doc__ = "Stand-in installed by index.store.flag_compat; see its docstring."

    def __getattr__(name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        return _unsupported(name)

    shim.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[_LEGACY] = shim


def flag_embedding() -> types.ModuleType:
    """The FlagEmbedding package, importable under transformers 4 and 5."""
    if "FlagEmbedding" not in sys.modules:
        _install_shim()
    return importlib.import_module("FlagEmbedding")
