"""What every CLI command module shares: consoles, the app state, one-line errors."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from typer.core import TyperGroup

from medbridge.errors import MedbridgeError

if TYPE_CHECKING:  # each command imports what it uses, so `medbridge --help` loads none of it
    from rich.progress import Progress

    from medbridge.services import Services
    from medbridge.settings import MedbridgeSettings
    from medbridge.store import Store

RayOption = Annotated[Optional[str], typer.Option(
    "--ray", metavar="ADDRESS", help="Run on this Ray cluster (overrides ray.address; `ray start --head` prints it).")]

console = Console()                  # results
err_console = Console(stderr=True)   # messages, progress


@dataclass
class CLIState:
    """The Typer context object: global options and the invocation's ``Services`` (built on first use, so
    ``--help`` and bad options never read the settings)."""

    debug: bool = False
    quiet: bool = False
    _services: Services | None = field(default=None, repr=False)

    @property
    def services(self) -> Services:
        if self._services is None:
            from medbridge.services import Services

            self._services = Services.from_settings()
        return self._services

    @property
    def settings(self) -> MedbridgeSettings:
        return self.services.settings

    def use_ray(self, address: str | None) -> None:
        """Run this invocation's batch work on the Ray cluster at ``address`` (``--ray``) instead of ``ray.address``."""
        if address:
            from medbridge.services import Services

            settings = self.settings
            self._services = Services(settings.model_copy(update={"ray": settings.ray.model_copy(update={"address": address})}))

    @property
    def store(self) -> Store:
        return self.services.store


class MedbridgeGroup(TyperGroup):
    """Turns user errors into one line on stderr and exit code 1; ``--debug`` shows the traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MedbridgeError as exc:
            state = ctx.obj if isinstance(ctx.obj, CLIState) else None
            if state is not None and state.debug:
                raise
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)  # one line, even in a pipe
            ctx.exit(1)


def state(ctx: typer.Context) -> CLIState:
    return ctx.ensure_object(CLIState)


def progress_bar(quiet: bool, *, transient: bool = False) -> Progress:
    """The progress display of every long command, on stderr; ``quiet`` hides it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    return Progress(*columns, console=err_console, disable=quiet, transient=transient)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
