"""Password file ($7$ hashes) and ACL editing, and the shipped ACL matching what provisioning ensures."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from dms.errors import UserError
from firmware_config import mosquitto_files as mf
from tests.support.deploy import SHIPPED_ACL


def test_hash_format_matches_mosquitto_passwd(tmp_path):
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed (package mosquitto)")
    pwfile = tmp_path / "passwd"
    pwfile.touch(mode=0o600)
    # Password on stdin (not in argv): the way an operator would run it.
    subprocess.run(
        ["mosquitto_passwd", str(pwfile), "veh"],
        input="s3cret\ns3cret\n",
        text=True,
        check=True,
        capture_output=True,
    )
    theirs = pwfile.read_text().strip().split(":", 1)[1]
    assert theirs.startswith("$7$101$")
    assert mf.verify_password("s3cret", theirs)
    assert not mf.verify_password("s3creT", theirs)
    _, _, iterations, salt, _ = theirs.split("$")
    ours = mf.hash_password("s3cret", salt=base64.b64decode(salt), iterations=int(iterations))
    assert ours == theirs


def test_password_file_add_refuse_rotate(tmp_path):
    pwfile = tmp_path / "passwd"
    assert mf.set_password(pwfile, "A", "one") is False
    assert mf.set_password(pwfile, "B", "two") is False
    assert pwfile.stat().st_mode & 0o777 == 0o600
    with pytest.raises(UserError, match="already has a credential"):
        mf.set_password(pwfile, "A", "three")
    pwfile.chmod(0o640)  # the operator's choice (e.g. group mosquitto) survives a rewrite
    assert mf.set_password(pwfile, "A", "three", replace=True) is True
    assert pwfile.stat().st_mode & 0o777 == 0o640
    lines = dict(line.split(":", 1) for line in pwfile.read_text().splitlines())
    assert list(lines) == ["A", "B"]
    assert mf.verify_password("three", lines["A"]) and mf.verify_password("two", lines["B"])
    assert "three" not in pwfile.read_text()
    assert mf.password_users(pwfile) == {"A", "B"}
    with pytest.raises(UserError):
        mf.set_password(tmp_path / "no-such-dir" / "passwd", "A", "x")
    mf.remove_user(pwfile, "A")
    assert mf.password_users(pwfile) == {"B"}
    with pytest.raises(UserError, match="has no credential"):
        mf.remove_user(pwfile, "A")


def test_acl_is_created_then_left_alone(tmp_path):
    acl = tmp_path / "acl"
    assert mf.ensure_acl(acl) is True
    assert mf.ensure_acl(acl) is False
    assert mf.ensure_acl(acl, service_user="_gateway") is True
    before = acl.read_text()
    assert mf.ensure_acl(acl, service_user="_gateway") is False
    assert acl.read_text() == before
    patterns, users = mf.acl_rules(before.splitlines())
    assert patterns == set(mf.VEHICLE_RULES)
    assert users == {"_gateway": set(mf.SERVICE_RULES["gateway"])}


def test_acl_with_a_different_hand_written_block_is_not_guessed_at(tmp_path):
    acl = tmp_path / "acl"
    acl.write_text("user _gateway\ntopic read dms/v1/+/+\n")
    with pytest.raises(UserError, match="lacks topic write dms/v1/\\+/cmd"):
        mf.ensure_acl(acl, service_user="_gateway")
    assert acl.read_text() == "user _gateway\ntopic read dms/v1/+/+\n"


def test_shipped_acl_grants_exactly_what_provisioning_ensures():
    patterns, users = mf.acl_rules(SHIPPED_ACL.read_text().splitlines())
    assert patterns == set(mf.VEHICLE_RULES)
    assert users == {"_gateway": set(mf.SERVICE_RULES["gateway"])}
