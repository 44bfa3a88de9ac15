"""``medbridge users``, ``tokens`` and ``audit`` through Typer's runner, on a fresh home."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medbridge.accounts import Accounts
from medbridge.cli.main import app
from medbridge.store import open_store

runner = CliRunner()


def test_users_tokens_and_the_audit_log(settings):
    added = runner.invoke(app, ["users", "add", "alice", "--admin"], input="first-password\nfirst-password\n")
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["users", "add", "bob", "--no-password"]).exit_code == 0
    duplicate = runner.invoke(app, ["users", "add", "bob", "--no-password"])
    assert duplicate.exit_code == 1 and duplicate.stderr.strip() == "error: user bob already exists"
    mismatch = runner.invoke(app, ["users", "add", "carol"], input="one-password\nother-password\none-password\none-password\n")
    assert mismatch.exit_code == 0  # asked again after a mismatch, as a password prompt should
    short = runner.invoke(app, ["users", "set-password", "carol", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr

    users = json.loads(runner.invoke(app, ["users", "list", "--json"]).stdout)
    assert [(u["name"], u["admin"], u["password"]) for u in users] == [("alice", True, True), ("bob", False, False), ("carol", False, True)]
    assert runner.invoke(app, ["users", "set-password", "alice", "--password-stdin"], input="second-password\n").exit_code == 0
    accounts = Accounts(open_store(settings))
    assert accounts.authenticate("alice", "second-password") and not accounts.authenticate("alice", "first-password")

    secret = runner.invoke(app, ["tokens", "create", "bob", "--label", "notebook"]).stdout.strip()
    assert accounts.token_user(secret).name == "bob"
    listed = runner.invoke(app, ["tokens", "list"]).stdout
    assert "bob" in listed and "notebook" in listed and secret not in listed
    assert runner.invoke(app, ["tokens", "create", "nobody"]).exit_code == 1
    assert runner.invoke(app, ["users", "remove", "bob"]).exit_code == 0
    assert accounts.token_user(secret) is None
    assert runner.invoke(app, ["users", "remove", "bob"]).stderr.strip() == "error: no user bob"

    audit = json.loads(runner.invoke(app, ["audit", "--json"]).stdout)
    assert [(e["action"], e["target"]) for e in audit] == [
        ("user.remove", "bob"), ("token.create", "bob"), ("user.set-password", "alice"),
        ("user.add", "carol"), ("user.add", "bob"), ("user.add", "alice")]
    assert all(e["actor"].startswith("cli:") for e in audit)
