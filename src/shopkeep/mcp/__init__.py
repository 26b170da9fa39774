"""The store's tools for other agents: an MCP server bound to one customer per token."""

from shopkeep.mcp.server import StoreForAgents, build_server, http_app
from shopkeep.mcp.tokens import CustomerToken, TokenRefused, issue_token, read_token

__all__ = [
    "CustomerToken",
    "StoreForAgents",
    "TokenRefused",
    "build_server",
    "http_app",
    "issue_token",
    "read_token",
]
