"""The model layer's refusals: each a type with a stable code and a message to act on."""

from __future__ import annotations

from typing import ClassVar


class ModelError(Exception):
    """Base of every error `shopkeep.llm` raises on purpose."""

    code: ClassVar[str] = "model_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelConfigInvalid(ModelError):
    """The settings cannot work: a missing URL, an unknown model or price entry."""

    code = "model_config_invalid"


class UnknownModel(ModelConfigInvalid):
    code = "unknown_model"


class ModelNotInstalled(ModelError):
    code = "model_not_installed"


class ModelChunksMissing(ModelError):
    """The pip extra holding the model's chunks is not installed."""

    code = "model_chunks_missing"


class ModelChunkCorrupt(ModelError):
    """A chunk's size or checksum differs from the manifest; nothing was installed."""

    code = "model_chunk_corrupt"


class PromptTooLong(ModelError):
    code = "prompt_too_long"


class ModelEndpointError(ModelError):
    """The OpenAI-compatible endpoint could not be reached or refused the request."""

    code = "model_endpoint_error"


class ModelEndpointUnreachable(ModelEndpointError):
    code = "model_endpoint_unreachable"


class ModelEndpointRejected(ModelEndpointError):
    """The endpoint answered, but refused: bad key, unknown model, invalid request."""

    code = "model_endpoint_rejected"


class ModelEndpointBusy(ModelEndpointError):
    """429 or 5xx after every retry."""

    code = "model_endpoint_busy"


class ScriptExhausted(ModelError):
    """A scripted backend was asked for more replies than its script holds."""

    code = "script_exhausted"
