"""The `dms` command: user mistakes end as one clear line and a non-zero exit, never a traceback."""
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dms.cli import COMMANDS, cli, main


def run_dms(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "dms.cli", *args], capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_help_lists_every_command():
    out = run_dms("--help")
    assert out.returncode == 0
    for name in COMMANDS:
        assert name in out.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_explains_itself(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_unknown_command_is_one_line():
    out = run_dms("frobnicate")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.splitlines()[0] == "dms: error: No such command 'frobnicate'."


def test_unknown_option_is_one_line():
    out = run_dms("--no-such-flag")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "no such option" in out.stderr.lower()


def test_user_error_and_bug_are_reported_differently(monkeypatch, capsys):
    import click
    from dms.errors import UserError

    @cli.command("_boom_user", hidden=True)
    def boom_user():
        raise UserError("config file not found: x.yaml")

    @cli.command("_boom_bug", hidden=True)
    def boom_bug():
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(COMMANDS, "_boom_user", ("tests.cli.test_cli_errors", "_unused", ""))
    try:
        monkeypatch.setattr(type(cli), "get_command", click.Group.get_command)
        assert main(["_boom_user"]) == 2
        err = capsys.readouterr().err
        assert err == "dms: error: config file not found: x.yaml\n"
        monkeypatch.delenv("DMS_DEBUG", raising=False)
        assert main(["_boom_bug"]) == 70
        err = capsys.readouterr().err
        assert "internal error" in err and "Traceback" not in err
    finally:
        cli.commands.pop("_boom_user", None)
        cli.commands.pop("_boom_bug", None)
