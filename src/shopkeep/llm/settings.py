"""The model layer's settings: which backend, which model, how to reach it and what it costs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr


class PriceSettings(BaseModel):
    """One price table entry, in USD per 1M tokens. Cached input defaults to the input price."""

    input: Decimal = Field(ge=0)
    cached_input: Decimal | None = Field(default=None, ge=0)
    output: Decimal = Field(ge=0)


class LLMSettings(BaseModel):
    """`SHOPKEEP_LLM__*` in the environment, or an `[llm]` table in the TOML settings file."""

    backend: Literal["local", "openai", "scripted"] = Field(
        default="local",
        description="local: llama.cpp in process (no network); openai: any OpenAI-compatible "
        "endpoint; scripted: replays `script`, for tests",
    )

    # local
    local_model: str = Field(
        default="0.5b",
        description="the installed model to load: 0.5b or 1.5b (shopkeep model list)",
    )
    model_path: Path | None = Field(
        default=None, description="a GGUF file to load instead of an installed model"
    )
    threads: int | None = Field(
        default=None, ge=1, description="decode threads; default: the CPUs this process may use"
    )
    batch_threads: int | None = Field(
        default=None, ge=1, description="prompt-processing threads; default: same as threads"
    )
    context_size: int = Field(default=4096, ge=256, description="context window in tokens")
    batch_size: int = Field(default=512, ge=1, description="prompt tokens evaluated per batch")

    # openai
    base_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:8000/v1 or https://api.deepseek.com"
    )
    api_key: SecretStr | None = None
    model: str | None = Field(default=None, description="the model name the endpoint serves")
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="sent with every request, e.g. Qwen3's "
        '{"chat_template_kwargs": {"enable_thinking": false}}',
    )
    native_tools: bool = Field(
        default=True, description="send tools in the request; false: describe them in the prompt"
    )
    structured_output: Literal["json_schema", "json_object_schema", "json_object", "prompt"] = (
        Field(
            default="json_schema",
            description="how a JSON schema is sent: json_schema (OpenAI, vLLM, SGLang, Ollama, "
            "llama.cpp server), json_object_schema (llama-cpp-python server), json_object "
            "(DeepSeek, DashScope: JSON mode, schema only in the prompt), prompt (nothing sent)",
        )
    )
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        default="max_tokens", description="OpenAI's reasoning models only accept the second"
    )
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(
        default=3, ge=0, description="retries with exponential backoff on 408/409/429/5xx"
    )

    # scripted
    script: list[str] = Field(
        default_factory=list, description="replies the scripted backend plays"
    )

    # cost
    price_entry: str | None = Field(
        default=None,
        description="the price table entry this model is billed at; default: local for the "
        "local and scripted backends, the model name for openai",
    )
    prices: dict[str, PriceSettings] = Field(
        default_factory=dict, description="entries added to or replacing the default price table"
    )
    usage_log: Path | None = Field(
        default=None, description="append every model call's usage here as JSON lines"
    )
