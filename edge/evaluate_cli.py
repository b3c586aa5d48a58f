"""`dms evaluate`: score eye closure and blinks on labelled clips, or dump the signals of one clip."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import click

from dms.errors import UserError

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"}


def _settings(config: Path | None):
    from edge.vision.pipeline import VisionSettings

    if config is None:
        return VisionSettings()
    from dms.settings import load_yaml_settings

    return load_yaml_settings(VisionSettings, config)


def _progress(total: int, desc: str):
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence in logs and CI.
    return tqdm(total=total, desc=desc, unit="frame", disable=None, leave=False)


def evaluate_dataset(
    dataset: Path,
    out: Path,
    settings,
    subjects: tuple[str, ...] = (),
    limit: int | None = None,
    continuous: bool = False,
    empty_seat_s: float = 0.0,
    mono: bool = False,
    order: str = "sittings",
) -> dict:
    """Run the pipeline over every clip of a labelled set and write predictions, report.json and report.html.

    `continuous`: the clips play as one stream, as in a vehicle: nothing is reset between clips except
    by the vehicle's own driver-session tracker (edge.session), at the speed unknown; where the subject
    changes, `empty_seat_s` seconds of an empty cab come first (0: a direct swap). `mono`: every
    picture is turned into one grey channel before the pipeline sees it (a monochrome infrared camera).
    `order` (with `continuous`): "sittings", each clip one sitting and the next always another subject
    (edge.evaluation.driver_change.sittings, the order of the driver-change measurement), or "files",
    the set's own order (a subject's clips in a row: the cuts between glasses and camera mounts are
    the same driver)."""
    from edge.evaluation.dataset import load_dataset
    from edge.evaluation.report import build_report, write_html, write_json, write_predictions
    from edge.evaluation.runner import clip_duration, decoded_pictures, empty_seat, picture_count, run_clip
    from edge.session import DriverSessions
    from edge.vision.pipeline import VisionPipeline

    clips = load_dataset(dataset)
    if subjects:
        clips = [c for c in clips if c.subject.lstrip("0") in {s.lstrip("0") for s in subjects}]
        if not clips:
            raise UserError(f"no clip of subject(s) {', '.join(subjects)} in {dataset}")
    clips = clips[:limit] if limit else clips
    if continuous and order == "sittings":
        from edge.evaluation.driver_change import sittings

        clips = sittings(clips)
    pipeline = VisionPipeline(settings)
    sessions = DriverSessions(vision=pipeline) if continuous else None
    runs = []
    t, previous = 0.0, None
    with _progress(sum(picture_count(c) for c in clips), "evaluate") as bar:
        for clip in clips:
            if continuous and previous is not None and clip.subject != previous.subject and empty_seat_s > 0:
                _, picture = next(decoded_pictures(clip.path, mono))
                t = empty_seat(pipeline, picture, t, empty_seat_s, sessions)
            runs.append(
                run_clip(
                    pipeline, clip, bar, fresh_driver=not continuous, offset_s=t, mono=mono, sessions=sessions
                )
            )
            if continuous:
                t += clip_duration(clip)
            previous = clip
    out.mkdir(parents=True, exist_ok=True)
    write_predictions(runs, out / "predictions.csv")
    report = build_report(runs, dataset, settings.model_dump(mode="json"))
    report["pictures"] = "monochrome (one grey channel)" if mono else "as recorded (colour)"
    report["stream"] = (
        "each clip a new driver"
        if not continuous
        else f"one continuous stream ({order} order), {empty_seat_s:g} s of empty seat where the driver changes"
    )
    if sessions is not None:
        report["driver_changes"] = [
            {"t": round(c.t, 3), "reason": c.reason, **c.details} for c in sessions.changes
        ]
    write_json(report, out / "report.json")
    write_html(report, runs, out / "report.html")
    return report


def signals_of_video(video: Path, out: Path, settings, mono: bool = False) -> int:
    """Per-frame signals of one unlabelled clip to OUT/signals.csv; returns the number of frames."""
    from edge.evaluation.signals_csv import write_signals_csv
    from edge.sources import SourceSettings, open_source
    from edge.vision.pipeline import VisionPipeline

    pipeline = VisionPipeline(settings)
    signals = []
    with open_source(str(video), SourceSettings(mono=mono)) as source, _progress(0, video.name) as bar:
        for frame in source:
            signals.append(pipeline.process(frame.image, frame.t, frame.index))
            bar.update(1)
    if not signals:
        raise UserError(f"no frames could be read from {video}")
    last = pipeline.finish()
    if last is not None and signals[-1].blink_ended is None:  # a closure still going when the clip ends
        signals[-1] = replace(signals[-1], blink_ended=last)
    out.mkdir(parents=True, exist_ok=True)
    write_signals_csv(signals, out / "signals.csv")
    return len(signals)


def _scenarios(scenarios_dir: Path, out: Path, settings) -> dict:
    try:
        from edge.scenarios import run_scenarios
    except ImportError:
        raise UserError("scenario evaluation not available") from None
    return run_scenarios(scenarios_dir, out, settings)


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UserError(f"cannot write the results to {out}: {exc.strerror or exc}") from None


@click.command("evaluate")
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the results (created): predictions.csv, report.json and report.html for a "
    "labelled set; signals.csv for a single video.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file of vision settings (eye closure, blinks) overriding the defaults.",
)
@click.option(
    "--subject",
    "subjects",
    multiple=True,
    metavar="ID",
    help="Only clips of this subject (as in splits.csv; repeat for several), e.g. for "
    "leave-subjects-out checks.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help="Only the first N clips (a quick check)."
)
@click.option(
    "--continuous",
    is_flag=True,
    help="Play the clips as one stream, as in a vehicle that never restarts: what is learnt about a "
    "driver is reset only where the vehicle's driver-session tracker notices a new driver "
    "(an empty seat, another face).",
)
@click.option(
    "--empty-seat-s",
    type=click.FloatRange(0, 600),
    default=0.0,
    show_default=True,
    help="With --continuous: seconds of an empty cab between two subjects (0: a direct swap).",
)
@click.option(
    "--order",
    type=click.Choice(["sittings", "files"]),
    default="sittings",
    show_default=True,
    help="With --continuous: sittings plays each clip as one sitting, the next always another subject "
    "(the driver-change measurement's order); files keeps the set's order, a subject's clips in a row.",
)
@click.option(
    "--mono",
    is_flag=True,
    help="Feed the pictures to the pipeline as one grey channel, as a monochrome infrared camera "
    "delivers them (labelled clip sets and single videos).",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Instead of TARGET: run the E-NCAP style scenario set in this folder through the policy.",
)
def evaluate(
    target: Path | None,
    out: Path,
    config: Path | None,
    subjects: tuple[str, ...],
    limit: int | None,
    continuous: bool,
    empty_seat_s: float,
    order: str,
    mono: bool,
    scenarios_dir: Path | None,
) -> None:
    """Score eye closure and blinks on recorded clips.

    \b
    TARGET is either
      a labelled clip set (a folder with labels.csv, clips/, blinks.csv, like zju_eyeblink_dev):
        writes OUT/predictions.csv, OUT/report.json (scores of the acceptance rule, overall and
        per clip, frames processed, CPU ms per frame) and OUT/report.html (plots per clip);
      an eye-patch set (a folder with labels.csv holding path,eye_state and images/, crops of any
        size, like cew_eye_patches_dev or mrl_eyes_ir_dev): scores the eye-state model alone and
        writes OUT/predictions.csv, OUT/report.json and OUT/report.html (accuracy, closed-eye F1,
        confusion table, AUC, overall and per subject / sensor / other grouping column);
      a single video file: writes the per-frame signals to OUT/signals.csv.
    With --scenarios DIR, TARGET is not used.
    """
    settings = _settings(config)
    _check_writable(out)  # before minutes of work, not after
    if scenarios_dir is not None:
        if not scenarios_dir.is_dir():
            raise UserError(f"scenario folder not found: {scenarios_dir}")
        result = _scenarios(scenarios_dir, out, settings)
        summary = result.get("summary", result) if isinstance(result, dict) else result
        click.echo(f"scenarios: {json.dumps(summary, default=str)} -> {out}")
        return
    if target is None:
        raise UserError("give a labelled clip set or a video file to evaluate (or --scenarios DIR)")
    if target.is_file() and target.suffix.lower() in VIDEO_SUFFIXES:
        n = signals_of_video(target, out, settings, mono)
        click.echo(f"{n} frames -> {out / 'signals.csv'}")
        return
    if target.is_file():
        raise UserError(
            f"{target}: not a video file ({', '.join(sorted(VIDEO_SUFFIXES))}) nor a labelled clip set folder"
        )
    from edge.evaluation.patches import is_patch_set

    if is_patch_set(target):
        from edge.evaluation.patches import evaluate_patches

        report = evaluate_patches(target, out, settings.face_mesh.backend, _progress)
        o = report["overall"]
        click.echo(
            f"{o['patches']} eye patches: accuracy {o['accuracy']:.3f}, closed-eye F1 {o['closed_f1']}, "
            f"precision {o['closed_precision']}, recall {o['closed_recall']}, AUC {o['auc']} -> {out}"
        )
        return
    report = evaluate_dataset(target, out, settings, subjects, limit, continuous, empty_seat_s, mono, order)
    o = report["overall"]
    click.echo(
        f"{report['clips_evaluated']} clips, {report['frames_processed']} pictures, "
        f"{report['cpu_ms_per_frame']} CPU ms/picture: eye-closed F1 {o['closed_f1']:.3f} "
        f"(P {o['closed_precision']:.3f} R {o['closed_recall']:.3f}), blink F1 {o['blink_f1']:.3f} "
        f"({o['blink_tp']} found, {o['blink_fp']} false, {o['blink_fn']} missed) -> {out}"
    )
