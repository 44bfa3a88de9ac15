"""``medbridge users …``, ``medbridge tokens …`` and ``medbridge audit``: the administrator's commands for
accounts (auth.mode = local or proxy). They act on the store directly; every change is in the audit log."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Optional

import typer

from medbridge.cli.common import console, err_console, print_json, state

users_app = typer.Typer(help="Users of the web app and API (auth.mode = local or proxy).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the JSON API (Authorization: Bearer …).", no_args_is_help=True)


def _actor() -> str:
    """Who ran the command, as the audit log names them."""
    return f"cli:{getpass.getuser()}"


def _password(name: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True, err=True)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin (scripts).")]


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    admin: Annotated[bool, typer.Option("--admin", help="May see every user's work.")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="No password: for proxy sign-in or API tokens only.")] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user (asks for the password twice)."""
    st = state(ctx)
    password = None if no_password else _password(name, password_stdin)
    user = st.services.accounts.add_user(name, password, admin=admin, actor=_actor())
    err_console.print(f"added {user.name}" + (" (admin)" if user.is_admin else ""), highlight=False)


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Users, whether they are administrators, and when they were added."""
    users = state(ctx).services.accounts.list_users()
    if as_json:
        print_json([{"name": u.name, "admin": u.is_admin, "password": u.password_hash is not None, "created_at": u.created_at}
                    for u in users])
        return
    for user in users:
        console.print(f"{user.name}\t{'admin' if user.is_admin else 'user'}\t{user.created_at}", highlight=False, markup=False)


@users_app.command("remove")
def users_remove(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Remove a user and revoke their tokens (their jobs and conversations stay, visible to administrators)."""
    state(ctx).services.accounts.remove_user(name, actor=_actor())
    err_console.print(f"removed {name}", highlight=False)


@users_app.command("set-password")
def users_set_password(ctx: typer.Context, name: Annotated[str, typer.Argument()], password_stdin: PasswordStdin = False) -> None:
    """Set a user's password."""
    state(ctx).services.accounts.set_password(name, _password(name, password_stdin), actor=_actor())
    err_console.print(f"password of {name} changed", highlight=False)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
) -> None:
    """Create an API token; it is printed once (only its hash is kept)."""
    token, secret = state(ctx).services.accounts.create_token(user, label=label, actor=_actor())
    err_console.print(f"token {token.id} for {user}; keep it now, it is not shown again:", highlight=False)
    console.print(secret, highlight=False, markup=False)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, user: Annotated[Optional[str], typer.Option("--user")] = None) -> None:
    """Tokens by id, user, label and creation time (never the secrets)."""
    for token in state(ctx).services.accounts.list_tokens(user):
        console.print(f"{token.id}\t{token.user}\t{token.label}\t{token.created_at}", highlight=False, markup=False)


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: Annotated[str, typer.Argument(help="The token's id (from tokens list).")]) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    state(ctx).services.accounts.revoke_token(token_id, actor=_actor())
    err_console.print(f"revoked token {token_id}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")

    @app.command("audit")
    def audit(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Newest entries shown.")] = 50,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """The audit log of admin actions (users and tokens added, changed, removed), newest first."""
        entries = state(ctx).store.audit_log(limit)
        if as_json:
            print_json([{"at": e.at, "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail} for e in entries])
            return
        for e in entries:
            console.print(f"{e.at}\t{e.actor}\t{e.action}\t{e.target}\t{e.detail}".rstrip(), highlight=False, markup=False, soft_wrap=True)
