"""shopkeep: the open-source AI shopkeeper."""

__version__ = "0.1.0"
