"""Over-the-air-safe model updates: verified copy into a versioned directory, atomic switch, rollback.

Layout under the models root (e.g. /var/lib/dms/models):

    releases/<version>/          one complete model set + its manifest.json (never modified once there)
    current -> releases/<v2>     what the runtime loads (point DMS_MODELS_DIR at it)
    previous -> releases/<v1>    the set before, kept for rollback

`install_models(src, root)` copies the set named by `src/manifest.json` (the format of
models/manifest.json: {"models": {file: {"sha256": ..., "bytes": ...}}}) into a staging directory,
verifies every file's size and sha256, fsyncs, renames it into `releases/`, then swaps the `current`
symlink by rename(2), which is atomic: a power cut leaves either the old or the new set, never a mix.
A health check (by default: every .onnx file loads in ONNX Runtime and every .tflite file in LiteRT,
where those engines are installed) then runs on the switched set;
if it fails, `current` goes back to the previous set. Sets other than current and previous are pruned.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dms.errors import UserError
from firmware_config.locking import exclusive_lock

MANIFEST = "manifest.json"
CURRENT, PREVIOUS, RELEASES, LOCK = "current", "previous", "releases", ".lock"


class ModelUpdateError(UserError):
    """An update that was refused or rolled back; the models in use are unchanged."""


@dataclass(frozen=True)
class UpdateResult:
    version: str
    current: Path
    previous: Path | None
    already_installed: bool = False


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(directory: Path) -> dict[str, dict]:
    """{file name: entry} of a model set's manifest; ModelUpdateError when absent or malformed."""
    path = directory / MANIFEST
    try:
        models = json.loads(path.read_text(encoding="utf-8"))["models"]
    except FileNotFoundError:
        raise ModelUpdateError(f"no {MANIFEST} in {directory}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelUpdateError(f"{path}: not a model manifest ({type(exc).__name__}: {exc})") from None
    if not isinstance(models, dict) or not models:
        raise ModelUpdateError(f"{path}: 'models' must name at least one file")
    for name, entry in models.items():
        if (
            Path(name).name != name
            or name in (MANIFEST, "")
            or not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise ModelUpdateError(f"{path}: bad entry {name!r} (a plain file name with a sha256)")
    return models


def verify_model_set(directory: Path) -> None:
    """Every file of the manifest is there with its size and sha256."""
    for name, entry in read_manifest(directory).items():
        path = directory / name
        if not path.is_file():
            raise ModelUpdateError(f"{name}: missing from {directory}")
        if "bytes" in entry and path.stat().st_size != entry["bytes"]:
            raise ModelUpdateError(f"{name}: {path.stat().st_size} bytes, manifest says {entry['bytes']}")
        if file_sha256(path) != entry["sha256"].lower():
            raise ModelUpdateError(f"{name}: sha256 differs from the manifest (corrupt or tampered)")


def _checksums(directory: Path) -> dict[str, str]:
    return {name: entry["sha256"].lower() for name, entry in read_manifest(directory).items()}


def set_version(directory: Path) -> str:
    """A model set's version: the manifest's "version" if it has one, else a digest of its checksums."""
    data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    version = data.get("version")
    if isinstance(version, str) and version and Path(version).name == version and not version.startswith("."):
        return version
    digest = hashlib.sha256("".join(f"{n}={h};" for n, h in sorted(_checksums(directory).items())).encode())
    return "sha-" + digest.hexdigest()[:12]


def models_load(directory: Path) -> None:
    """Default health check: every model of the set loads in the engine that runs it (ONNX Runtime for
    .onnx, LiteRT for .tflite: the default backend on the device). An engine that is not installed on
    this host is skipped; the checksums were verified already."""
    for name in read_manifest(directory):
        loader = _LOADERS.get(Path(name).suffix)
        if loader is None:
            continue
        engine, load = loader
        try:
            load(directory / name)
        except ImportError:
            continue
        except Exception as exc:
            raise ModelUpdateError(f"{name}: {engine} cannot load it: {str(exc).splitlines()[0]}") from None


def _onnx_session(path: Path) -> None:
    import onnxruntime as ort

    ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _litert_interpreter(path: Path) -> None:
    from ai_edge_litert.interpreter import Interpreter

    Interpreter(model_path=str(path)).allocate_tensors()


_LOADERS = {".onnx": ("ONNX Runtime", _onnx_session), ".tflite": ("LiteRT", _litert_interpreter)}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _point(link: Path, target: Path) -> None:
    """Make `link` point at `target` (relative) atomically: a new symlink renamed over the old one."""
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp, link)
    _fsync_dir(link.parent)


def _target(link: Path) -> Path | None:
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def current_set(root: Path) -> Path | None:
    return _target(root / CURRENT)


def previous_set(root: Path) -> Path | None:
    return _target(root / PREVIOUS)


def _stage(src: Path, releases: Path, version: str) -> Path:
    """Copy and verify `src` into releases/.staging-<version>, then rename it to releases/<version>."""
    staging = releases / f".staging-{version}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name in [*read_manifest(src), MANIFEST]:
            if not (src / name).is_file():
                raise ModelUpdateError(f"{name}: missing from {src}")
            shutil.copyfile(src / name, staging / name)
            with open(staging / name, "rb") as f:
                os.fsync(f.fileno())
        verify_model_set(staging)  # the copy, not the source: catches a bad medium or a short write
        _fsync_dir(staging)
        final = releases / version
        shutil.rmtree(final, ignore_errors=True)  # a half-installed leftover of the same version
        os.rename(staging, final)
        _fsync_dir(releases)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def install_models(
    src: str | Path, root: str | Path, health_check: Callable[[Path], None] = models_load
) -> UpdateResult:
    """Install the model set in `src` under `root` and make it current; roll back if it fails its check."""
    src, root = Path(src), Path(root)
    if not src.is_dir():
        raise ModelUpdateError(f"model set not found: {src}")
    verify_model_set(src)
    (root / RELEASES).mkdir(parents=True, exist_ok=True)
    with exclusive_lock(root / LOCK):
        return _install(src, root, health_check)


def _install(src: Path, root: Path, health_check: Callable[[Path], None]) -> UpdateResult:
    version = set_version(src)
    releases = root / RELEASES
    old = current_set(root)
    if old is not None and old.name == version:
        if _checksums(old) != _checksums(src):
            raise ModelUpdateError(
                f"version {version} is installed with other files; give the new set a new version"
            )
        verify_model_set(old)
        return UpdateResult(version, old, previous_set(root), already_installed=True)
    new = _stage(src, releases, version)
    _point(root / CURRENT, new)
    try:
        health_check(new)
    except Exception as exc:
        if old is not None:
            _point(root / CURRENT, old)
        else:
            (root / CURRENT).unlink()
        shutil.rmtree(new, ignore_errors=True)
        raise ModelUpdateError(f"model set {version} failed its check and was rolled back: {exc}") from None
    if old is not None:
        _point(root / PREVIOUS, old)
    _prune(root)
    return UpdateResult(version, new, old)


def rollback_models(root: str | Path) -> UpdateResult:
    """Make the previous set current again (the set rolled back from becomes `previous`)."""
    root = Path(root)
    if previous_set(root) is None:
        raise ModelUpdateError(f"no previous model set under {root} to roll back to")
    with exclusive_lock(root / LOCK):
        old, prev = current_set(root), previous_set(root)
        if prev is None:  # another run rolled back meanwhile
            raise ModelUpdateError(f"no previous model set under {root} to roll back to")
        verify_model_set(prev)
        _point(root / CURRENT, prev)
        if old is not None:
            _point(root / PREVIOUS, old)
    return UpdateResult(prev.name, prev, old)


def _prune(root: Path) -> None:
    keep = {p for p in (current_set(root), previous_set(root)) if p is not None}
    for entry in (root / RELEASES).iterdir():
        if entry.is_dir() and entry.resolve() not in keep:
            shutil.rmtree(entry, ignore_errors=True)
