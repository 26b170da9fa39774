"""The HTTP surface: one FastAPI app (`create_app`) whose routers are the shop's APIs."""

from shopkeep.api.app import create_app

__all__ = ["create_app"]
