"""The `dms` command: user mistakes end as one clear line and a non-zero exit, never a traceback."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from tools.cli import COMMANDS, cli, main


def run_dms(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args], capture_output=True, text=True, input=stdin, timeout=120
    )


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

    @cli.command("_boom_missing", hidden=True)
    def boom_missing():
        raise ModuleNotFoundError("No module named 'sqlalchemy'", name="sqlalchemy")  # an extra not installed

    @cli.command("_boom_ours", hidden=True)
    def boom_ours():
        raise ModuleNotFoundError("No module named 'edge.gone'", name="edge.gone")  # our own: a bug

    monkeypatch.setitem(COMMANDS, "_boom_user", (lambda: boom_user, ""))
    try:
        monkeypatch.setattr(type(cli), "get_command", click.Group.get_command)
        assert main(["_boom_user"]) == 2
        err = capsys.readouterr().err
        assert err == "dms: error: config file not found: x.yaml\n"
        monkeypatch.delenv("DMS_DEBUG", raising=False)
        assert main(["_boom_bug"]) == 70
        err = capsys.readouterr().err
        assert "internal error" in err and "Traceback" not in err
        assert main(["_boom_missing"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "'sqlalchemy' is not installed" in err[0] and "[gateway]" in err[0]
        assert main(["_boom_ours"]) == 70 and "internal error" in capsys.readouterr().err
    finally:
        for name in ("_boom_user", "_boom_bug", "_boom_missing", "_boom_ours"):
            cli.commands.pop(name, None)


@pytest.mark.parametrize(
    "case",
    ["evaluate-out", "broker-url", "not-a-database", "deep-yaml", "eye-hysteresis", "blink-hysteresis"],
)
def test_hostile_operator_input_is_one_line_not_an_internal_error(tmp_path, case):
    """Issue 16, item 6: each of these once ended in "internal error ... this is a bug"."""
    (tmp_path / "file").write_text("a file, not a folder")
    (tmp_path / "junk.db").write_text("junk junk junk, not a database at all")
    (tmp_path / "deep.yaml").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "eyes.yaml").write_text(
        "vehicle_id: V1\nvision:\n  eyes:\n    closed_on: 0.3\n    closed_off: 0.5\n"
    )
    (tmp_path / "blinks.yaml").write_text(
        "vehicle_id: V1\nvision:\n  blinks:\n    onset_closure: 0.6\n    confirm_closure: 0.5\n"
    )
    args, message = {
        "evaluate-out": (
            ["evaluate", str(tmp_path), "--out", str(tmp_path / "file" / "out")],
            "cannot write the results to",
        ),
        "broker-url": (
            ["gateway", "run", "--mqtt", "mqtt://[::1", "--db", f"sqlite:///{tmp_path}/g.db"],
            "bad broker URL 'mqtt://[::1'",
        ),
        "not-a-database": (
            ["vehicles", "list", "--db", f"sqlite:///{tmp_path}/junk.db"],
            "file is not a database",
        ),
        "deep-yaml": (["config", "check", str(tmp_path / "deep.yaml"), "--board", "pi5"], "nest"),
        "eye-hysteresis": (
            ["config", "check", str(tmp_path / "eyes.yaml"), "--board", "pi5"],
            "closed_on (0.3) must not be below closed_off (0.5)",
        ),
        "blink-hysteresis": (
            ["config", "check", str(tmp_path / "blinks.yaml"), "--board", "pi5"],
            "onset_closure (0.6) must not be above confirm_closure (0.5)",
        ),
    }[case]
    out = run_dms(*args)
    output = out.stdout + out.stderr
    assert out.returncode not in (0, 70), output
    assert message in output and "internal error" not in output and "Traceback" not in output
    assert all(line.count("dms: error") <= 1 for line in output.splitlines())
    assert len(output.strip().splitlines()) <= 3  # config check lists each problem, then one summary line
