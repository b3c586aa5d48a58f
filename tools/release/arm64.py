"""The arm64 check before a release (`make test-arm64`): does the edge install and compute the same on a Pi?

    sudo python -m tools.release.arm64 [--cpu cortex-a76] [--clips 2] [--root /var/tmp/dms-arm64]

An emulated Debian bookworm arm64 userland (debootstrap + qemu-user-static through binfmt_misc; built
once, then reused) gets this checkout installed with the `edge` extra from PyPI's aarch64 wheels, its
native kernels compiled, and then:
  1. the kernel parity tests (tests/native/test_kernels_parity.py) run there;
  2. every shipped network runs on the same inputs there and here (tools.release.arm64_probe): LiteRT
     fp32, LiteRT int8 and ONNX Runtime, compared output by output, plus the int8 start-up check;
  3. `dms evaluate` on the first clips of the labelled set (read-only bind mount; skipped without it)
     there and here, predictions compared frame by frame;
  4. the int8 probe again under QEMU's `max` CPU (which advertises SME) with and without SME, to show
     which CPU features move the int8 answers and that the start-up check catches it.
The CPU is pinned to a Pi model (QEMU_CPU; onnxruntime reads a Pi-style /proc/cpuinfo, bind-mounted).
Needs root (chroot, mounts). Results: a table and var/arm64/report.json. About 15-25 minutes; not part
of `make test`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO.parent / "shared" / "datasets" / "zju_eyeblink_dev"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = "python3,python3-venv,python3-dev,build-essential,ca-certificates"
HOST_PACKAGES = ("debootstrap", "qemu-user-static", "binfmt-support")
VENV = "/opt/dms"
READY = ".dms-ready"
# Tolerances (README, "arm64"): float engines agree to rounding; int8 kernels may round differently per
# CPU but must stay within the int8 tests' mean error; decoding differs by a few grey levels, so a few
# frames at a blink's edge may flip.
FLOAT_TOLERANCE = 1e-3
INT8_TOLERANCE_PX = 0.4
EVALUATE_FLIPPED_FRAMES = 0.02
# What onnxruntime's cpuinfo reads on a Pi 5 (Cortex-A76, part 0xd0b) / Pi 4 (Cortex-A72, part 0xd08).
CPU_PARTS = {"cortex-a76": "0xd0b", "cortex-a72": "0xd08"}
CPU_FEATURES = {
    "cortex-a76": "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop "
    "asimddp",
    "cortex-a72": "fp asimd evtstrm crc32 cpuid",
}


def log(message: str) -> None:
    print(f"[arm64 {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


# --- host -------------------------------------------------------------------------------------------------


def ensure_host() -> None:
    """debootstrap, qemu-user-static and an aarch64 binfmt_misc entry (installed from Debian if missing)."""
    if os.geteuid() != 0:
        sys.exit("the arm64 check needs root (chroot and bind mounts): run it with sudo")
    if not shutil.which("debootstrap") or not Path("/usr/bin/qemu-aarch64-static").exists():
        log("installing " + " ".join(HOST_PACKAGES))
        run(["apt-get", "install", "-y", "-q", *HOST_PACKAGES], stdout=subprocess.DEVNULL)
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)])
    if not (binfmt / "qemu-aarch64").exists():
        run(["update-binfmts", "--enable", "qemu-aarch64"])
    if "enabled" not in (binfmt / "qemu-aarch64").read_text():
        sys.exit("the qemu-aarch64 binfmt_misc entry is disabled: update-binfmts --enable qemu-aarch64")


def ensure_rootfs(root: Path) -> float:
    """A Debian bookworm arm64 userland at `root` (seconds spent; 0 when it was there already)."""
    if (root / READY).exists():
        return 0.0
    start = time.monotonic()
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    log(f"debootstrap bookworm arm64 into {root} (first run only, ~8 min)")
    run(["debootstrap", "--foreign", "--arch=arm64", "--variant=minbase", f"--include={PACKAGES}", "bookworm",
         str(root), MIRROR], stdout=subprocess.DEVNULL)  # fmt: skip
    run(["chroot", str(root), "/debootstrap/debootstrap", "--second-stage"], stdout=subprocess.DEVNULL)
    (root / READY).touch()
    return time.monotonic() - start


def cpuinfo(cpu: str) -> str:
    block = (
        "processor\t: {n}\nBogoMIPS\t: 108.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: {part}\nCPU revision\t: 1\n\n"
    )
    return "".join(block.format(n=n, features=CPU_FEATURES[cpu], part=CPU_PARTS[cpu]) for n in range(4))


@contextmanager
def mounted(root: Path, cpu: str):
    """/proc, /sys, /dev, a Pi-style /proc/cpuinfo, the dataset (read-only), DNS and the host's pip
    configuration and CA bundle (PyPI may be reached through a proxy that needs them)."""
    mounts: list[Path] = []

    def bind(source: Path, target: Path, *options: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.touch(exist_ok=True)
        run(["mount", "--bind", str(source), str(target)])
        mounts.append(target)
        if options:
            run(["mount", "-o", ",".join(("remount", "bind", *options)), str(target)])

    try:
        run(["mount", "-t", "proc", "proc", str(root / "proc")])
        mounts.append(root / "proc")
        bind(Path("/sys"), root / "sys")
        bind(Path("/dev"), root / "dev")
        fake = root / "etc" / "dms-cpuinfo"
        fake.write_text(cpuinfo(cpu))
        bind(fake, root / "proc" / "cpuinfo")
        if DATASET.is_dir():
            bind(DATASET, root / "datasets" / DATASET.name, "ro")
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
        for config in ("/etc/pip.conf", "/etc/ssl/certs/ca-certificates.crt"):
            if Path(config).exists():
                shutil.copy(config, root / config.lstrip("/"))
        yield
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", "-l", str(target)], check=False)


def chroot(root: Path, script: str, cpu: str, capture: bool = False) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/root",
        "QEMU_CPU": cpu,
        "LANG": "C.UTF-8",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_DEFAULT_TIMEOUT": "180",
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run(
        [shutil.which("chroot") or "/usr/sbin/chroot", str(root), "/bin/sh", "-ec", script],
        env=env,  # the userland's PATH: the host's chroot is found before it applies
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )


def sync_source(root: Path) -> None:
    """This checkout's files (tracked and new, not ignored) as /src: what a release would ship."""
    files = run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, stdout=subprocess.PIPE
    ).stdout.split(b"\0")
    target = root / "src"
    shutil.rmtree(target, ignore_errors=True)
    for name in filter(None, files):
        source = REPO / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())


# --- comparisons ----------------------------------------------------------------------------------------


def make_inputs(path: Path, per_model: int = 8) -> None:
    """Real crops of the generated demo face for the landmark models; seeded noise for the others."""
    from edge.vision.backends import LiteRtModel
    from tools.demo.sample_clip import sample_clip
    from tools.models.quantize import collect_crops

    inputs = collect_crops([sample_clip(progress=False)], per_model=per_model, max_frames=200)
    rng = np.random.default_rng(64)
    for name in ("face_detection_short_range", "eye_state"):
        shape = LiteRtModel(name, 1, "fp32")._interp.get_input_details()[0]["shape"][1:]
        inputs[name] = rng.normal(0.0, 0.5, (per_model, *shape)).clip(-1, 1).astype(np.float32)
    with path.open("wb") as fh:
        np.savez(fh, **inputs)


def compare_probes(here: Path, there: Path) -> list[dict]:
    rows = []
    with np.load(here) as a, np.load(there) as b:
        for key in sorted(a.files):
            diff = float(np.abs(a[key] - b[key]).max()) if key in b.files else float("nan")
            if key.endswith(".check"):
                rows.append({"what": key, "here": float(a[key]), "there": float(b[key]), "max_diff": diff})
                continue
            tolerance = INT8_TOLERANCE_PX if key.endswith("int8") else FLOAT_TOLERANCE
            rows.append({"what": key, "max_diff": diff, "tolerance": tolerance, "ok": diff <= tolerance})
    return rows


def compare_predictions(here: Path, there: Path) -> dict:
    def read(path: Path) -> dict[tuple[str, str], dict[str, str]]:
        with path.open(newline="", encoding="utf-8") as fh:
            return {(r["video"], r["frame_id"]): r for r in csv.DictReader(fh)}

    a, b = read(here), read(there)
    shared = sorted(set(a) & set(b))
    flipped = sum(a[k]["eyes_closed"] != b[k]["eyes_closed"] for k in shared)
    frames = max(len(shared), 1)
    return {
        "frames": len(shared),
        "missing": len(set(a) ^ set(b)),
        "eye_closed_flipped": flipped,
        "flipped_share": flipped / frames,
        "ok": not (set(a) ^ set(b)) and flipped / frames <= EVALUATE_FLIPPED_FRAMES,
    }


# --- command ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.release.arm64",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", type=Path, default=Path("/var/tmp/dms-arm64/rootfs"), help="the userland")
    parser.add_argument("--cpu", choices=sorted(CPU_PARTS), default="cortex-a76", help="emulated Pi CPU")
    parser.add_argument("--clips", type=int, default=2, help="clips of the labelled set for dms evaluate")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "arm64", help="report folder")
    args = parser.parse_args(argv)

    ensure_host()
    report: dict = {"cpu": args.cpu, "seconds": {}}
    seconds = report["seconds"]
    seconds["rootfs"] = ensure_rootfs(args.root)
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.root / "tmp" / "dms-check"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    log("inputs and predictions on this machine")
    make_inputs(work / "inputs.npz")
    run([sys.executable, "-m", "tools.release.arm64_probe", str(work / "inputs.npz"), str(work / "here.npz")])
    if DATASET.is_dir():
        run([str(Path(sys.executable).with_name("dms")), "evaluate", str(DATASET), "--limit", str(args.clips), "--out", str(work / "eval-here")],
            stdout=subprocess.DEVNULL)  # fmt: skip

    sync_source(args.root)
    with mounted(args.root, args.cpu):
        start = time.monotonic()
        log(f"installing /src[edge] into {VENV} (aarch64 wheels from PyPI, native kernels compiled)")
        chroot(args.root, f"test -x {VENV}/bin/python || python3 -m venv {VENV}; "
               f"pip install -q '/src[edge]' pytest", args.cpu)  # fmt: skip
        seconds["install"] = time.monotonic() - start
        report["install_mb"] = round(
            sum(f.stat().st_size for f in (args.root / VENV.lstrip("/")).rglob("*") if f.is_file()) / 2**20
        )
        native = chroot(
            args.root, "cd /tmp && python -c 'import native; print(native.IMPLEMENTATION)'", args.cpu, True
        )
        report["native"] = native.stdout.strip()

        start = time.monotonic()
        log("kernel parity tests (kernels also built in place: the tests import /src's native/)")
        chroot(
            args.root,
            "pip install -q Cython && cd /src && python -m native.build > /dev/null && "
            "python -m pytest -q -p no:cacheprovider --noconftest tests/native/test_kernels_parity.py",
            args.cpu,
        )
        seconds["native_tests"] = time.monotonic() - start

        start = time.monotonic()
        log("every network on the same inputs")
        chroot(args.root, "cd /tmp && python -m tools.release.arm64_probe dms-check/inputs.npz "
               "dms-check/there.npz", args.cpu)  # fmt: skip
        seconds["probe"] = time.monotonic() - start
        report["models"] = compare_probes(work / "here.npz", work / "there.npz")

        if DATASET.is_dir():
            start = time.monotonic()
            log(f"dms evaluate on {args.clips} clips")
            chroot(args.root, f"cd /tmp && dms evaluate /datasets/{DATASET.name} --limit {args.clips} "
                   "--out dms-check/eval-there > /dev/null", args.cpu)  # fmt: skip
            seconds["evaluate"] = time.monotonic() - start
            report["evaluate"] = compare_predictions(
                work / "eval-here" / "predictions.csv", work / "eval-there" / "predictions.csv"
            )
        else:
            report["evaluate"] = {"skipped": f"no labelled clip set at {DATASET}"}

        report["int8_by_cpu"] = {}
        for cpu in ("max", "max,sme=off"):
            log(f"int8 probe under QEMU_CPU={cpu}")
            with suppress(subprocess.CalledProcessError):
                chroot(args.root, "cd /tmp && python -m tools.release.arm64_probe dms-check/inputs.npz "
                       "dms-check/cpu.npz", cpu)  # fmt: skip
                rows = compare_probes(work / "here.npz", work / "cpu.npz")
                report["int8_by_cpu"][cpu] = rows  # the float engines too: only int8 should move

    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    failed = [r for r in report["models"] if r.get("ok") is False]
    evaluate_ok = report["evaluate"].get("ok", True)
    return 0 if not failed and evaluate_ok and report["native"] == "cython" else 1


def print_report(report: dict) -> None:
    print(
        f"\narm64 ({report['cpu']}), install {report.get('install_mb')} MB, native kernels: {report['native']}"
    )
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in report["seconds"].items()))
    for row in report["models"]:
        if "tolerance" in row:
            verdict = "ok" if row["ok"] else "DIFFERS"
            print(
                f"  {row['what']:<40} max diff {row['max_diff']:.2e} (tolerance {row['tolerance']:g}) {verdict}"
            )
        else:
            print(
                f"  {row['what']:<40} start-up check {row['here']:.3f} px here, {row['there']:.3f} px there"
            )
    print(f"  dms evaluate: {report['evaluate']}")
    for cpu, rows in report["int8_by_cpu"].items():
        print(
            f"  QEMU_CPU={cpu}: "
            + "; ".join(f"{r['what']} {r.get('there', r['max_diff']):.3f}" for r in rows)
        )


if __name__ == "__main__":
    sys.exit(main())
