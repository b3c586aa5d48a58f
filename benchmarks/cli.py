"""`dms bench`: the frame pipeline against MediaPipe, memory, frame-size cost and gateway throughput.

Everything runs in one invocation on the same clips, so the ratios compare like with like on a machine
whose load changes from minute to minute. `--quick` runs each selected part on a few frames or
messages: a correctness check for CI, not a measurement. Results are printed and saved as JSON.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per pipeline, for both engines

import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import psutil  # the bench extra: `dms simulate`/`dms bench` say so when it is missing

from benchmarks.bench_pipeline import ENGINES
from dms.errors import UserError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = (
    Path(os.environ.get("DMS_SHARED_DIR", REPO.parent / "shared")) / "datasets" / "zju_eyeblink_dev"
)
DEFAULT_MEDIAPIPE_PYTHON = REPO / ".venv-mediapipe" / "bin" / "python"
FRAME_SIZES = ((320, 240), (640, 480), (1280, 800))
VEHICLE_COUNTS = (100, 1_000, 10_000)


def _progress(total: int, desc: str, unit: str = "frame"):
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence in logs and CI
    return tqdm(total=total, desc=desc, unit=unit, disable=None, leave=False, file=sys.stderr)


def _rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def pick_clips(dataset: Path | None, clips: int | None) -> tuple[list[Path], str]:
    """Clips of the labelled set when present, else the generated demo clip (no research data)."""
    from benchmarks.bench_pipeline import clip_paths

    if dataset is not None and (dataset / "labels.csv").is_file():
        return clip_paths(dataset, clips), str(dataset)
    from tools.demo.sample_clip import sample_clip

    return [sample_clip(progress=False)], "demo sample clip"


# --- parts ------------------------------------------------------------------------------------------

DEFAULT_ENGINE = "litert-int8"  # what BackendSettings() runs where ai-edge-litert is installed
# Settings variants timed beside each backend's defaults: (label, backend, FaceMeshSettings overrides).
# They show what a default costs or saves, in the same run.
PIPELINE_VARIANTS: tuple[tuple[str, str, dict], ...] = (
    ("litert-int8, face model on every frame", "litert-int8", {"landmarks_every": 1}),
    (
        "litert-int8, face model every 2nd frame, steady or not",
        "litert-int8",
        {"landmarks_every": 2, "landmarks_when_steady": False},
    ),
    ("litert-int8, face model on every 3rd steady frame", "litert-int8", {"landmarks_every": 3}),
    ("litert-int8, with phone detection (vision.hands.enabled)", "litert-int8", {"hands": True}),
    (
        "litert-int8, iris model alternating between the eyes (iris_gate off, the former default)",
        "litert-int8",
        {"iris_gate": False},
    ),
)


def bench_pipeline(
    clips: list[Path],
    backends: list[str],
    max_frames: int | None,
    mediapipe_python: Path | None,
    sizes: tuple[tuple[int, int], ...],
    rounds: int = 1,
) -> dict:
    """CPU ms/frame of ours (each backend, and variants) and MediaPipe on the same frames, then cost vs
    frame size. With several rounds the engines take turns (MediaPipe, ours, MediaPipe, ...), so a change
    in the machine's load hits all of them alike; each engine's figure is its median round and the ratio
    is the median of the per-round ratios."""
    from benchmarks.bench_pipeline import decode, mediapipe_in, run_ours

    total = sum(len(decode(c, max_frames)) for c in clips) if max_frames else None
    out: dict = {
        "clips": [str(c) for c in clips],
        "max_frames_per_clip": max_frames,
        "rounds": rounds,
        "engines": [],
    }
    mp_ok = mediapipe_python is not None and mediapipe_python.is_file()
    if not mp_ok:
        out["mediapipe_skipped"] = (
            f"no interpreter at {mediapipe_python} (make bench creates .venv-mediapipe)"
            if mediapipe_python
            else "not asked for"
        )
    ours = [(b, b, {}) for b in backends] + [v for v in PIPELINE_VARIANTS if v[1] in backends]
    runs: dict[str, list[dict]] = {}
    for round_ in range(1, rounds + 1):
        tag = f" round {round_}/{rounds}" if rounds > 1 else ""
        if mp_ok:
            click.echo(f"MediaPipe reference in {mediapipe_python}{tag} ...", err=True)
            result = mediapipe_in(str(mediapipe_python), clips, max_frames)
            runs.setdefault(result["engine"], []).append(result)
        for label, backend, overrides in ours:
            with _progress(total or 0, f"ours ({label}){tag}") as bar:
                result = run_ours(
                    clips,
                    backend,
                    max_frames=max_frames,
                    progress=bar.update,
                    overrides=overrides,
                    label=label,
                )
            runs.setdefault(result["engine"], []).append(result)
    reference = next((name for name in runs if name.startswith("mediapipe")), None)
    for name, results in runs.items():
        ms = [r["cpu_ms_per_frame"] for r in results]
        engine = {**results[0], "cpu_ms_per_frame": statistics.median(ms), "rounds_ms": ms}
        if reference is not None and name != reference:
            ratios = [a / b["cpu_ms_per_frame"] for a, b in zip(ms, runs[reference])]
            engine["ratio_to_mediapipe"] = statistics.median(ratios)
            engine["ratio_to_mediapipe_rounds"] = ratios
        out["engines"].append(engine)
    out["rss_mb_after_pipeline"] = _rss_mb()
    out["by_frame_size"] = []
    first = clips[:1]
    n = min(max_frames or 150, 150)
    engine = DEFAULT_ENGINE if DEFAULT_ENGINE in backends else backends[0]
    for size in sizes:  # the same turns as above, fewer frames: the median of `rounds` short runs
        ours, reference_ms = [], []
        for _ in range(rounds):
            if mp_ok:
                reference_ms.append(mediapipe_in(str(mediapipe_python), first, n, size)["cpu_ms_per_frame"])
            ours.append(run_ours(first, engine, max_frames=n, size=size)["cpu_ms_per_frame"])
        row = {"size": f"{size[0]}x{size[1]}", "engine": engine, "ours": statistics.median(ours)}
        if reference_ms:
            row["mediapipe"] = statistics.median(reference_ms)
        out["by_frame_size"].append(row)
    return out


def edge_run_rss(clip: Path, seconds: float, workdir: Path) -> dict:
    """Resident memory of a real `dms edge run` process in steady state (after the first third)."""
    from benchmarks.bench_gateway import start_private_broker

    broker, mqtt = start_private_broker(workdir)
    cmd = [
        sys.executable,
        "-m",
        "tools.cli",
        "edge",
        "run",
        "--source",
        str(clip),
        "--mqtt",
        mqtt,
        "--vehicle-id",
        "BENCH-RSS",
        "--outbox",
        str(workdir / "outbox.sqlite"),
        "--vehicle-source",
        "replay:sample",
        "--speed-kmh",
        "60",
        "--realtime",
        "--loop",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir)
    samples = []
    try:
        start = time.monotonic()
        while time.monotonic() - start < seconds and proc.poll() is None:
            time.sleep(0.25)
            if time.monotonic() - start > seconds / 3:
                samples.append(_rss_mb(proc.pid))
        if proc.poll() is not None:
            raise UserError(f"dms edge run ended early: {proc.stderr.read().strip().splitlines()[-1:]}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        broker.terminate()
        broker.wait(10)
    return {
        "seconds": seconds,
        "samples": len(samples),
        "rss_mb_max": max(samples),
        "rss_mb_median": sorted(samples)[len(samples) // 2],
    }


def bench_gateway(
    messages: int,
    vehicle_counts: tuple[int, ...],
    gateway_counts: tuple[int, ...],
    pg: str,
    modes: tuple[str, ...],
    buses: tuple[str, ...] = ("mqtt", "nats"),
) -> list[dict]:
    """Gateway -> PostgreSQL against a bare consumer, per vehicle count and gateway process count, on
    each bus: Mosquitto (bare paho subscriber) and a 3-node NATS cluster (bare JetStream consumer),
    the two buses one after the other for each count."""
    from benchmarks.bench_gateway import run_benchmark

    rows = []
    runs = [(v, g, b) for v in vehicle_counts for g in gateway_counts for b in buses]
    with _progress(len(runs), "gateway", unit="run") as bar:
        for vehicles, gateways, bus in runs:
            rows.append(
                run_benchmark(
                    messages=messages,
                    vehicles=vehicles,
                    gateways=gateways,
                    pg_admin=pg,
                    modes=modes,
                    nats=bus == "nats",
                )
            )
            bar.update(1)
    return rows


# --- printing ---------------------------------------------------------------------------------------


def print_pipeline(p: dict) -> None:
    engines = p["engines"]
    reference = next((e for e in engines if e["engine"].startswith("mediapipe")), None)
    click.echo(f"\nCPU per frame, one core ({engines[-1]['frames']} frames of {len(p['clips'])} clip(s)):")
    if p.get("rounds", 1) > 1:
        click.echo(
            f"  ({p['rounds']} rounds, engines taking turns; median round, median of per-round ratios "
            "[lowest-highest])"
        )
    for e in engines:
        ratio = ""
        if "ratio_to_mediapipe" in e:
            spread = e["ratio_to_mediapipe_rounds"]
            ratio = f"  {e['ratio_to_mediapipe']:.2f}x MediaPipe"
            if len(spread) > 1:
                ratio += f" [{min(spread):.2f}-{max(spread):.2f}]"
        click.echo(f"  {e['engine']:<48} {e['cpu_ms_per_frame']:6.2f} ms  (face in {e['faces']}){ratio}")
    if reference is None:
        click.echo(f"  MediaPipe: skipped, {p['mediapipe_skipped']}")
    click.echo(f"  resident memory of this process after the pipeline: {p['rss_mb_after_pipeline']:.0f} MB")
    sizes = p["by_frame_size"]
    engine = f"ours = {sizes[0]['engine']}, " if sizes and "engine" in sizes[0] else ""
    click.echo(f"Cost vs frame size (first clip, upscaled; {engine}ms CPU per frame, median of the rounds):")
    for row in p["by_frame_size"]:
        mp = f"   mediapipe {row['mediapipe']:6.2f}" if "mediapipe" in row else ""
        click.echo(f"  {row['size']:>10}  ours {row['ours']:6.2f}{mp}")


BARE = {"mqtt": "bare paho subscriber on Mosquitto", "nats": "bare JetStream consumer on NATS"}


def print_gateway(rows: list[dict]) -> None:
    click.echo(
        "\nGateway into PostgreSQL vs a bare consumer on the same stream (msg/s); mqtt: Mosquitto, "
        "nats: 3-node NATS cluster (JetStream):"
    )
    mosquitto = {}
    for r in rows:
        bus = r.get("bus", "mqtt")
        for mode in ("live", "backlog"):
            if mode in r:
                m = r[mode]
                gw = m["gateway_postgresql"]["rate"]
                key = (r["vehicles"], r["gateways"], mode)
                versus = ""
                if bus == "mqtt":
                    mosquitto[key] = gw
                elif mosquitto.get(key):
                    versus = f"  gateway nats/mqtt {gw / mosquitto[key]:.2f}"
                click.echo(
                    f"  {r['vehicles']:>6} vehicles, {r['gateways']} gateway(s), {bus:<4} {mode:<7}: "
                    f"bare {m['bare_subscriber']['rate']:7.0f}  gateway {gw:7.0f}"
                    f"  ratio {m['ratio']:.2f}  ({m['gateway_postgresql']['stored']}/{r['messages']} stored)"
                    f"{versus}"
                )
    click.echo("  (bare: " + "; ".join(f"{bus}: {what}" for bus, what in BARE.items()) + ")")


# --- command ----------------------------------------------------------------------------------------


@click.command("bench")
@click.option(
    "--pipeline/--no-pipeline",
    "do_pipeline",
    default=None,
    help="Frame pipeline vs MediaPipe, memory, frame sizes (default when no part is chosen).",
)
@click.option(
    "--gateway/--no-gateway",
    "do_gateway",
    default=False,
    help="Gateway -> PostgreSQL vs a bare consumer, on Mosquitto and on a 3-node NATS cluster "
    "(needs mosquitto, nats-server and PostgreSQL).",
)
@click.option(
    "--latency/--no-latency",
    "do_latency",
    default=False,
    help="End-to-end event latency, decision on the edge -> visible in the gateway API "
    "(needs Mosquitto and PostgreSQL).",
)
@click.option(
    "--evaluate/--no-evaluate",
    "do_evaluate",
    default=False,
    help="The whole `dms evaluate` command (imports, models, report) against the reference's own "
    "script (MediaPipe FaceMesh + EAR < 0.20) on the same clips, CPU and scores side by side.",
)
@click.option("--events", type=int, default=200, show_default=True, help="Events to time for --latency.")
@click.option("--quick", is_flag=True, help="A few frames / messages per part: correctness only (CI).")
@click.option(
    "--dataset",
    type=click.Path(path_type=Path),
    default=DEFAULT_DATASET,
    show_default=True,
    help="Labelled clip set; without it the generated demo clip is used.",
)
@click.option("--clips", type=int, default=None, help="Only the first N clips of the set.")
@click.option(
    "--rounds",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Pipeline rounds, engines taking turns, so load changes hit all alike (--quick: 1).",
)
@click.option(
    "--backend",
    type=click.Choice([*ENGINES, "all"]),
    default="all",
    show_default=True,
    help="Our engine(s): LiteRT fp32, LiteRT with the int8 models (precision int8), ONNX Runtime.",
)
@click.option(
    "--mediapipe-python",
    type=click.Path(path_type=Path),
    default=DEFAULT_MEDIAPIPE_PYTHON,
    show_default=True,
    help="Python of a venv with mediapipe==0.10.14 (skipped when absent).",
)
@click.option(
    "--edge-seconds",
    type=float,
    default=30.0,
    show_default=True,
    help="How long to watch a `dms edge run` process for its resident memory.",
)
@click.option("--messages", type=int, default=30_000, show_default=True, help="Messages per gateway run.")
@click.option(
    "--pg",
    default="postgresql://postgres@127.0.0.1:5432/test",
    show_default=True,
    help="PostgreSQL database used for CREATE/DROP DATABASE of the gateway runs.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON results file (default var/bench/bench-<UTC time>.json).",
)
def bench(
    do_pipeline,
    do_gateway,
    do_latency,
    do_evaluate,
    events,
    quick,
    dataset,
    clips,
    rounds,
    backend,
    mediapipe_python,
    edge_seconds,
    messages,
    pg,
    out,
):
    """Benchmark the frame pipeline, gateway and latency side by side, in one run."""
    if do_pipeline is None:
        do_pipeline = not (do_gateway or do_latency or do_evaluate)
    if clips is not None and clips < 1:
        raise UserError("--clips must be at least 1")
    started = datetime.now(UTC)
    result: dict = {
        "started": started.isoformat(),
        "quick": quick,
        "cpus": os.cpu_count(),
        "load_avg_at_start": os.getloadavg(),
        "machine": _machine(),
    }
    if do_pipeline:
        chosen, source = pick_clips(dataset, 2 if quick else clips)
        backends = list(ENGINES) if backend == "all" else [backend]
        result["pipeline"] = bench_pipeline(
            chosen, backends, 15 if quick else None, mediapipe_python, FRAME_SIZES, 1 if quick else rounds
        )
        result["pipeline"]["source"] = source
        with tempfile.TemporaryDirectory(prefix="dms_bench_") as tmp:
            result["edge_run"] = edge_run_rss(chosen[0], 8.0 if quick else edge_seconds, Path(tmp))
        print_pipeline(result["pipeline"])
        e = result["edge_run"]
        click.echo(
            f"  `dms edge run` steady-state resident memory: {e['rss_mb_max']:.0f} MB max, "
            f"{e['rss_mb_median']:.0f} MB median over {e['samples']} samples (target < 250 MB)"
        )
    if do_evaluate:
        if not (dataset / "labels.csv").is_file() or not Path(mediapipe_python).is_file():
            raise UserError(
                "--evaluate needs the labelled clip set (--dataset) and the MediaPipe venv "
                "(--mediapipe-python; `make bench` creates .venv-mediapipe)"
            )
        from benchmarks.bench_evaluate import bench_evaluate

        ev = result["evaluate"] = bench_evaluate(dataset, mediapipe_python, 1 if quick else rounds)
        click.echo(
            f"\n`dms evaluate` whole command vs the reference script, {ev['rounds']} round(s): "
            f"{ev['ratio_median']:.2f}x its CPU (rounds {', '.join(f'{r:.2f}' for r in ev['ratios'])}); "
            f"scores ours {ev['scores']['ours']}, reference {ev['scores']['reference']}"
        )
    if do_gateway:
        result["gateway"] = bench_gateway(
            300 if quick else messages,
            (10,) if quick else VEHICLE_COUNTS,
            (1,) if quick else (1, 2),
            pg,
            ("live",) if quick else ("live", "backlog"),
        )
        print_gateway(result["gateway"])
    if do_latency:
        from benchmarks.latency import measure

        wanted = 5 if quick else events
        with _progress(wanted, "latency", unit="event") as bar:
            lat = result["latency"] = measure(wanted, pg, progress=bar.update)
        click.echo(
            f"\nEnd-to-end event latency, edge decision -> gateway API ({lat['events_seen']} events, "
            f"API polled every {lat['poll_ms']:.0f} ms): p50 {lat['p50_ms']:.0f} ms, "
            f"p90 {lat['p90_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms, max {lat['max_ms']:.0f} ms "
            "(target p99 < 250 ms)"
        )
    result["load_avg_at_end"] = os.getloadavg()
    out = out or REPO / "var" / "bench" / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    click.echo(f"\nresults: {out}")


def _machine() -> dict:
    import platform

    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {"platform": platform.platform(), "cpu": cpu, "python": platform.python_version()}
