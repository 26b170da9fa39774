"""Model fixtures: the real 0.5B model in process (the OpenAI-compatible server on loopback,
`llama_server`, is in tests/conftest.py: the evals use it too)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from shopkeep.llm.backends.local import LocalBackend


@pytest.fixture(scope="session")
def local_backend(model_path: Path) -> LocalBackend:
    return LocalBackend(model_path, model_name="qwen2.5-coder-0.5b-instruct-q4_k_m")


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
