"""Settings of the agent checkout API (`SHOPKEEP_ACP__*`), kept with every other setting."""

from __future__ import annotations

from shopkeep.settings import AcpSettings, Settings

__all__ = ["AcpSettings", "load_acp_settings"]


def load_acp_settings() -> AcpSettings:
    """The agent checkout settings from the environment (`SHOPKEEP_ACP__*`) or settings file."""
    return Settings().acp
