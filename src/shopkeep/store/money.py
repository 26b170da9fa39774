"""Money as integer minor units with a currency; never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents of the currencies a shop is likely to use; 2 otherwise.
_EXPONENTS = {"KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3}
_SYMBOLS = {"USD": "$", "CNY": "¥", "KRW": "₩", "EUR": "€", "GBP": "£", "JPY": "¥"}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, order=True)
class Money:
    amount: int
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be integer minor units, got {self.amount!r}")

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str | float, currency: str = "USD") -> Money:
        """Parse a major-unit amount ('54.04' or 54.04) exactly, refusing sub-minor precision."""
        d = Decimal(str(value))
        scaled = d.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more precision than {currency} allows")
        return cls(int(scaled), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def to_float(self) -> float:
        """The major-unit float a JSON interchange format like τ²-bench expects."""
        divisor: int = 10 ** exponent(self.currency)
        return self.amount / divisor

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def percent(self, percent: int) -> Money:
        """`percent`% of this amount, rounded half up to the minor unit."""
        return Money(percent_of(self.amount, percent), self.currency)

    def display(self) -> str:
        exp = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        number = f"{abs(self.to_decimal()):,.{exp}f}"
        symbol = _SYMBOLS.get(self.currency.upper())
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.display()


def percent_of(amount: int, percent: int) -> int:
    return int((Decimal(amount) * Decimal(percent) / 100).quantize(Decimal(1), ROUND_HALF_UP))
