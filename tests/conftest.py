"""Shared test fixtures: an isolated, offline Hugging Face environment and a random-weight bge-small-zh skeleton."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
BGE_SMALL_FIXTURE = FIXTURES / "bge-small-zh-v1.5"
BGE_TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")


@pytest.fixture(autouse=True)
def offline_hf(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the network or the user's Hugging Face cache."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    return home


@pytest.fixture(scope="session")
def bge_skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bge-small-zh-v1.5's exact architecture and vocabulary with random (seeded) weights.

    The folder is named like the real model so name-based model detection treats it as one.
    """
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("models") / "bge-small-zh-v1.5"
    config = BertConfig.from_pretrained(str(BGE_SMALL_FIXTURE))
    torch.manual_seed(0)
    model = BertModel(config).eval()
    model.save_pretrained(str(folder))
    for name in BGE_TOKENIZER_FILES:
        shutil.copy(BGE_SMALL_FIXTURE / name, folder / name)
    return folder
