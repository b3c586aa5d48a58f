"""Mosquitto's password file and ACL file, edited safely from Python.

Password lines use Mosquitto 2's `$7$` format (PBKDF2-HMAC-SHA512): `user:$7$<iterations>$<b64 salt>$<b64 hash>`,
the same as `mosquitto_passwd` writes (a test checks one against the other and against the real broker).
Hashing here instead of calling `mosquitto_passwd -b USER PASSWORD` keeps the secret out of any process
argument list (`ps` shows those to every local user) and needs no broker package on the provisioning host.

Both files are rewritten whole under an exclusive lock (two provisioning runs cannot lose each other's
line) and replaced atomically (the broker, reloading on SIGHUP, never reads half a file).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from dms.contract.codec import SUBSCRIPTION, TOPIC_ROOT
from dms.errors import UserError
from firmware_config.locking import exclusive_lock

# Mosquitto's default. The secrets dms generates are 256-bit random tokens, so more iterations would
# add nothing against guessing and would cost broker CPU when a whole fleet reconnects at once.
ITERATIONS = 101
_SALT_BYTES = 12
_HASH_BYTES = 64

# Every vehicle, by pattern: the user name is the vehicle id (see deploy/mosquitto/acl, kept equal by a test).
VEHICLE_RULES = (f"pattern write {TOPIC_ROOT}/%u/+", f"pattern read {TOPIC_ROOT}/%u/cmd")
# Back-office service accounts: what each role may read and write.
SERVICE_RULES = {
    "gateway": (f"topic read {SUBSCRIPTION}", f"topic write {TOPIC_ROOT}/+/cmd"),
}


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, _HASH_BYTES)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        _, kind, iterations, salt, digest = encoded.split("$")
        if kind != "7":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac(
            "sha512", password.encode(), base64.b64decode(salt), int(iterations), len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


def _locked(path: Path):
    return exclusive_lock(path.with_name(f".{path.name}.lock"))


def _replace(path: Path, text: str, *, new_mode: int) -> None:
    """Write `text` to `path` atomically, keeping the mode and owner of the file it replaces."""
    try:
        st = path.stat()
        mode, owner = st.st_mode & 0o7777, (st.st_uid, st.st_gid)
    except FileNotFoundError:
        mode, owner = new_mode, None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if owner is not None and os.geteuid() == 0:
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None


def _require_dir(path: Path) -> None:
    if not path.parent.is_dir():
        raise UserError(f"directory {path.parent} does not exist (for {path.name})")


def password_users(path: Path) -> set[str]:
    """User names in a Mosquitto password file."""
    return {line.split(":", 1)[0] for line in _read_lines(path) if ":" in line and not line.startswith("#")}


def set_password(path: Path, user: str, password: str, *, replace: bool = False) -> bool:
    """Add (or with `replace`, change) `user`'s line. Returns True when an existing line was replaced."""
    if ":" in user or not user:
        raise UserError(f"invalid broker user name {user!r}")
    _require_dir(path)
    with _locked(path):
        lines = _read_lines(path)
        existing = [i for i, line in enumerate(lines) if line.split(":", 1)[0] == user]
        if existing and not replace:
            raise UserError(f"{user!r} already has a credential in {path} (pass --rotate to replace it)")
        entry = f"{user}:{hash_password(password)}"
        if existing:
            lines[existing[0]] = entry
            lines = [line for i, line in enumerate(lines) if i not in existing[1:]]
        else:
            lines.append(entry)
        # The broker reads this file: 0600 is right when it runs as root or owns the file; an existing
        # file keeps the mode and owner the operator gave it.
        _replace(path, "\n".join(lines) + "\n", new_mode=0o600)
    return bool(existing)


def remove_user(path: Path, user: str) -> None:
    """Delete `user`'s line (revocation: effective at the broker's next reload)."""
    with _locked(path):
        lines = _read_lines(path)
        kept = [line for line in lines if line.split(":", 1)[0] != user]
        if len(kept) == len(lines):
            raise UserError(f"{user!r} has no credential in {path}")
        _replace(path, "".join(f"{line}\n" for line in kept), new_mode=0o600)


def acl_rules(lines: list[str]) -> tuple[set[str], dict[str, set[str]]]:
    """(pattern rules, {user: topic rules}) of an ACL file, whitespace normalised, comments dropped."""
    patterns: set[str] = set()
    users: dict[str, set[str]] = {}
    current: str | None = None
    for raw in lines:
        line = " ".join(raw.split())
        if not line or line.startswith("#"):
            continue
        keyword = line.split(" ", 1)[0]
        if keyword == "user":
            current = line.split(" ", 1)[1] if " " in line else ""
            users.setdefault(current, set())
        elif keyword == "pattern":
            patterns.add(line)
        elif keyword == "topic" and current is not None:
            users[current].add(line)
    return patterns, users


def ensure_acl(path: Path, *, service_user: str | None = None, role: str = "gateway") -> bool:
    """Make sure the ACL grants the vehicle patterns (and `service_user` its role). True when changed.

    Missing lines are appended; a hand-written block of `service_user` that grants something else is
    left for the operator to fix (rewriting someone's ACL by guess is how access gets lost).
    """
    _require_dir(path)
    with _locked(path):
        lines = _read_lines(path)
        patterns, users = acl_rules(lines)
        added: list[str] = []
        missing = [rule for rule in VEHICLE_RULES if rule not in patterns]
        if missing:
            added += ["# vehicles (user name = vehicle id), added by dms provision", *missing]
        if service_user is not None:
            wanted = set(SERVICE_RULES[role])
            have = users.get(service_user)
            if have is None:
                added += [
                    f"# {role} service account, added by dms provision",
                    f"user {service_user}",
                    *SERVICE_RULES[role],
                ]
            elif not wanted <= have:
                raise UserError(
                    f"{path}: the block 'user {service_user}' lacks "
                    f"{'; '.join(sorted(wanted - have))}; fix it by hand"
                )
        if not added:
            return False
        text = "\n".join([*lines, *([""] if lines else []), *added]) + "\n"
        _replace(path, text, new_mode=0o644)
    return True
