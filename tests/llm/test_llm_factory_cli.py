"""Backend selection and the ``models`` / ``llm`` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import typer
from typer.testing import CliRunner

from medbridge.cli.llm import register
from medbridge.llm import ChatMessage, LLMError, NoLLM, get_llm
from medbridge.llm.models import ModelFileError
from medbridge.settings import load_settings

QUESTION = [ChatMessage("user", "What is 2+2?")]


def test_backend_none_explains_itself_when_used(tmp_path: Path) -> None:
    llm = get_llm(load_settings(home=tmp_path, llm={"backend": "none"}))

    assert isinstance(llm, NoLLM)
    with pytest.raises(LLMError, match="^no LLM configured: set llm.backend"):
        llm.complete(QUESTION)
    with pytest.raises(LLMError, match="^no LLM configured"):
        llm.stream(QUESTION)


def test_local_backend_with_a_missing_file_fails_at_selection(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, llm={"backend": "local", "model_path": str(tmp_path / "absent.gguf")})

    with pytest.raises(ModelFileError, match="absent.gguf: no such file"):
        get_llm(settings)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, llm_home: Path) -> Iterator[tuple[CliRunner, typer.Typer]]:
    monkeypatch.setenv("MEDBRIDGE_HOME", str(llm_home))
    app = typer.Typer()
    app.callback()(lambda: None)  # keep sub-commands as sub-commands
    register(app)
    yield CliRunner(), app


def test_models_install_and_status(cli) -> None:
    runner, app = cli

    installed = runner.invoke(app, ["models", "install", "qwen2.5-coder-0.5b"])
    status = runner.invoke(app, ["models", "status"])

    assert installed.exit_code == 0, installed.output
    assert installed.output.startswith("verified ") and "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" in installed.output
    assert status.exit_code == 0, status.output
    small_row = next(line for line in status.output.splitlines() if "qwen2.5-coder-0.5b" in line)
    assert "6/6" in small_row and "verified" in small_row


def test_models_install_rejects_an_unknown_name(cli) -> None:
    runner, app = cli

    result = runner.invoke(app, ["models", "install", "gpt-5"])

    assert isinstance(result.exception, ModelFileError)
    assert "unknown model 'gpt-5'" in str(result.exception)


@pytest.mark.slow
def test_llm_command_streams_an_answer(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, app = cli
    monkeypatch.setenv("MEDBRIDGE_LLM__MODEL_PATH", "qwen2.5-coder-0.5b")
    monkeypatch.setenv("MEDBRIDGE_LLM__TEMPERATURE", "0")
    monkeypatch.setenv("MEDBRIDGE_LLM__N_CTX", "2048")  # same as the other tests: reuses the loaded model

    result = runner.invoke(app, ["llm", "What is 2+2? Answer with the number only.", "--max-tokens", "8"])

    assert result.exit_code == 0, result.output
    assert "4" in result.output


def test_llm_command_with_no_backend_fails_clearly(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, app = cli
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "none")

    result = runner.invoke(app, ["llm", "hello"])

    assert isinstance(result.exception, LLMError)


def test_module_entry_point_installs_for_setup_scripts(llm_home: Path) -> None:
    env = {**os.environ, "MEDBRIDGE_HOME": str(llm_home)}
    command = [sys.executable, "-m", "medbridge.llm.models"]

    ok = subprocess.run([*command, "qwen2.5-coder-0.5b"], env=env, capture_output=True, text=True, timeout=120)
    unknown = subprocess.run([*command, "llama-70b"], env=env, capture_output=True, text=True, timeout=120)

    assert ok.returncode == 0 and ok.stdout.strip() == str(llm_home / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: unknown model 'llama-70b'")
