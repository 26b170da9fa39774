"""The model layer: local llama.cpp, OpenAI-compatible and scripted backends behind one gateway."""

from shopkeep.llm.backends import ModelBackend
from shopkeep.llm.backends.scripted import ScriptedBackend
from shopkeep.llm.chat import (
    BackendReply,
    CallProgress,
    ChatRequest,
    Message,
    TextDelta,
    TokenCounts,
    ToolCall,
    ToolSpec,
)
from shopkeep.llm.errors import ModelError
from shopkeep.llm.gateway import Completion, ModelGateway, StreamEvent, build_backend, open_gateway
from shopkeep.llm.parsing import ParsedToolCalls, parse_json_output, parse_tool_calls
from shopkeep.llm.pricing import DEFAULT_PRICES, Price, PriceTable, format_usd
from shopkeep.llm.settings import LLMSettings, PriceSettings
from shopkeep.llm.usage import (
    JsonlUsageLog,
    UsageLedger,
    UsageRecord,
    UsageSink,
    UsageTotals,
    read_usage_log,
)

__all__ = [
    "DEFAULT_PRICES",
    "BackendReply",
    "CallProgress",
    "ChatRequest",
    "Completion",
    "JsonlUsageLog",
    "LLMSettings",
    "Message",
    "ModelBackend",
    "ModelError",
    "ModelGateway",
    "ParsedToolCalls",
    "Price",
    "PriceSettings",
    "PriceTable",
    "ScriptedBackend",
    "StreamEvent",
    "TextDelta",
    "TokenCounts",
    "ToolCall",
    "ToolSpec",
    "UsageLedger",
    "UsageRecord",
    "UsageSink",
    "UsageTotals",
    "build_backend",
    "format_usd",
    "open_gateway",
    "parse_json_output",
    "parse_tool_calls",
    "read_usage_log",
]
