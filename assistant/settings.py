"""User settings: environment variables (ASSISTANT_*), an optional .env file, then CLI flags."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from pydantic import ValidationError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_ROOT / "data" / "policies"
DEFAULT_STORE = PROJECT_ROOT / "storage"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    store: Path = Field(DEFAULT_STORE, description="索引存储目录（Chroma + BM25 + 条款库）")
    corpus: Path = Field(DEFAULT_CORPUS, description="首次启动时导入的默认文件目录")

    embed_model: str = Field("BAAI/bge-small-zh-v1.5", description="bge 嵌入模型：hub id 或本地文件夹")
    rerank_model: str | None = Field(None, description="可选的 bge 重排序模型（bge-reranker-base / bge-reranker-v2-m3）")
    retrieval: Literal["auto", "lexical"] = Field(
        "auto", description="auto：能加载嵌入模型时混合检索，否则仅关键词；lexical：始终仅关键词检索"
    )
    top_k: int = Field(5, ge=1, le=50, description="返回的条款数")
    rrf_k: int = Field(60, ge=1, le=1000, description="倒数排名融合常数")
    candidates: int = Field(50, ge=5, le=500, description="每路检索取回的候选数（融合/重排序之前）")
    rerank_top_n: int = Field(20, ge=1, le=200, description="交给重排序模型的融合结果数")
    chroma_url: str | None = Field(None, description="Chroma 服务器地址（如 http://127.0.0.1:8000，由 `chroma run` 启动）；"
                                   "不设则用存储目录下的本地 Chroma")
    embed_device: str = Field("cpu", description="嵌入与重排模型的设备：cpu、cuda、cuda:0 …")
    embed_batch_size: int = Field(32, ge=1, le=1024, description="计算向量的批大小（GPU 上可设 128–256）")
    disabled: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="关闭的回答机制（消融实验用），见 assistant/mechanisms.py；如 expansion,evidence_refusal"
    )
    refusal_threshold: float | None = Field(
        None, ge=0, le=1, description="拒答阈值：最佳条款对问题内容的覆盖度低于此值时拒答（默认为在 blind dev 上校准的值）"
    )
    answer_budget_s: float = Field(
        10.0, gt=0, le=600, description="每个问题的处理时限（秒，不含大模型生成）：超时返回已找到的相关条款并注明“处理超时”"
    )
    max_chunk_chars: int = Field(420, ge=100, le=4000, description="超过嵌入窗口的条款按句切分的长度上限（字）")

    backend: Literal["extractive", "openai", "transformers"] = Field("extractive", description="回答后端")
    llm_base_url: str | None = Field(None, description="OpenAI 兼容接口地址，如 https://api.deepseek.com/v1")
    llm_api_key: SecretStr | None = Field(None, description="OpenAI 兼容接口密钥")
    llm_model: str | None = Field(None, description="OpenAI 兼容接口的模型名，如 deepseek-chat / qwen-plus")
    llm_timeout: float = Field(
        60.0, gt=0, le=600, description="大模型回答的总时限（秒）：连接、流式输出和重试都在其内，超时即改用摘录式回答"
    )
    llm_max_retries: int = Field(1, ge=0, le=5, description="连接失败或 HTTP 5xx（尚未输出文字时）的重试次数，在总时限之内")
    local_model: str | None = Field(None, description="transformers 本地对话模型：路径或 hub id（如 Qwen/Qwen2.5-7B-Instruct）")
    max_new_tokens: int = Field(512, ge=16, le=4096, description="LLM 生成的最大 token 数")

    host: str = Field("127.0.0.1", description="app 监听地址")
    port: int = Field(7860, ge=1, le=65535, description="app 端口")
    auth_user: str | None = Field(None, description="app 登录用户名（与 auth_password 同时设置时启用登录）")
    auth_password: SecretStr | None = Field(None, description="app 登录密码")
    auth_users: SecretStr | None = Field(
        None, description="更多登录账号：用户名:密码，多个以逗号分隔（与 AUTH_USER/AUTH_PASSWORD 一起启用登录）"
    )
    admin_users: str = Field(
        "", description="管理员用户名，逗号分隔（默认为 AUTH_USER）：登录后只有管理员能上传、删除、重新索引文件和下载审计日志"
    )
    open_uploads: bool = Field(False, description="登录后所有用户都可以上传文件（删除和重新索引仍只限管理员）")
    max_upload_mb: int = Field(20, ge=1, le=200, description="上传文件大小上限（MB）")

    @field_validator("disabled", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """ASSISTANT_DISABLED=expansion,evidence_refusal (commas, as the description says; a JSON list works too)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(json.loads(text))
            return tuple(n.strip() for n in text.replace("，", ",").split(",") if n.strip())
        return value

    @field_validator("disabled")
    @classmethod
    def _known_mechanisms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from assistant.mechanisms import MECHANISMS, unknown_mechanisms

        bad = unknown_mechanisms(value)
        if bad:
            raise ValueError(f"未知的回答机制：{'、'.join(bad)}；可选：{'、'.join(MECHANISMS)}")
        return value


def settings_error(e: "ValidationError") -> str:
    """One line naming the setting (its environment variable) and what is wrong: 设置 ASSISTANT_TOP_K 无效：…"""
    first = e.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or "?"
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    return f"设置 ASSISTANT_{field.upper()} 无效：{message}（改正环境变量或 .env 中的值，或相应的命令行参数）"


def load_settings(**overrides: object) -> Settings:
    """Settings from env/.env with explicit (non-None) overrides, e.g. from CLI flags."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
