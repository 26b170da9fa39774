"""What tokens cost: a price table per 1M input, cached-input and output tokens, in integers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from shopkeep.llm.chat import TokenCounts
from shopkeep.llm.errors import ModelConfigInvalid
from shopkeep.llm.settings import LLMSettings

_MICRO = 10**6
_PICO = 10**12


def _micro_usd(usd: Decimal | str) -> int:
    value = Decimal(usd) * _MICRO
    if value != value.to_integral_value():
        raise ModelConfigInvalid(f"a price has at most 6 decimal places in USD, not {usd}")
    return int(value)


@dataclass(frozen=True)
class Price:
    """Micro-dollars per 1M tokens, so that tokens × price is an exact number of pico-dollars."""

    input_micro_usd: int
    cached_input_micro_usd: int
    output_micro_usd: int

    @classmethod
    def usd_per_million(
        cls,
        input: Decimal | str,
        output: Decimal | str,
        cached_input: Decimal | str | None = None,
    ) -> Price:
        return cls(
            input_micro_usd=_micro_usd(input),
            cached_input_micro_usd=_micro_usd(cached_input if cached_input is not None else input),
            output_micro_usd=_micro_usd(output),
        )

    def cost_pico_usd(self, tokens: TokenCounts) -> int:
        return (
            tokens.evaluated_prompt * self.input_micro_usd
            + tokens.cached * self.cached_input_micro_usd
            + tokens.completion * self.output_micro_usd
        )

    def per_million_usd(self) -> tuple[Decimal, Decimal, Decimal]:
        """(input, cached input, output) in USD per 1M tokens, for display."""
        return (
            Decimal(self.input_micro_usd) / _MICRO,
            Decimal(self.cached_input_micro_usd) / _MICRO,
            Decimal(self.output_micro_usd) / _MICRO,
        )


# Cached-input prices are the providers' own: DeepSeek bills cache hits at $0.028/1M
# (api-docs.deepseek.com/quick_start/pricing), OpenAI bills GPT-5.2 cached input at $0.175/1M and
# gives GPT-5.2 Pro no caching discount. The DeepSeek output price is the one in SPEC.md.
DEFAULT_PRICES: Mapping[str, Price] = {
    "local": Price.usd_per_million("0", "0"),
    "deepseek-v3.2": Price.usd_per_million("0.28", "0.80", cached_input="0.028"),
    "gpt-5.2": Price.usd_per_million("1.75", "14", cached_input="0.175"),
    "gpt-5.2-pro": Price.usd_per_million("21", "168"),
}


class PriceTable(Mapping[str, Price]):
    """The defaults, plus the operator's entries (SHOPKEEP_LLM__PRICES), which may replace them."""

    def __init__(self, entries: Mapping[str, Price]) -> None:
        self._entries = dict(entries)

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> PriceTable:
        entries = dict(DEFAULT_PRICES)
        for name, price in settings.prices.items():
            entries[name] = Price.usd_per_million(price.input, price.output, price.cached_input)
        return cls(entries)

    def __getitem__(self, name: str) -> Price:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries))
            raise ModelConfigInvalid(
                f"no price table entry named {name!r} (known: {known}); add one with "
                "SHOPKEEP_LLM__PRICES__<NAME>__INPUT / __CACHED_INPUT / __OUTPUT "
                "(USD per 1M tokens)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def entry_for(settings: LLMSettings, table: PriceTable) -> str:
    """The entry the configured model is billed at."""
    if settings.price_entry is not None:
        name = settings.price_entry
    elif settings.backend in ("local", "scripted"):
        name = "local"
    elif settings.model is not None and settings.model in table:
        name = settings.model
    else:
        raise ModelConfigInvalid(
            f"no price for the model {settings.model!r}: set SHOPKEEP_LLM__PRICE_ENTRY to one of "
            f"{', '.join(sorted(table))}, or add an entry under SHOPKEEP_LLM__PRICES"
        )
    table[name]  # raises a clear error for an unknown name now, not at the first call
    return name


def usd(pico_usd: int) -> Decimal:
    return Decimal(pico_usd) / _PICO


def format_usd(pico_usd: int) -> str:
    """Six decimals: a single small-model call costs fractions of a cent."""
    return f"${usd(pico_usd):,.6f}"
