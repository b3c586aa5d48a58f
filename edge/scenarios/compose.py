"""Build scenario clips from REAL labelled frames of a blink data set (zju_eyeblink_dev format).

    python -m edge.scenarios.compose --dataset ../shared/datasets/zju_eyeblink_dev --out OUT [--suite FILE]
        [--subjects all|ID,ID]

Every output frame is a real picture of the data set, picked through `decoded_index` (never by
frame number: the AVIs hide repeated pictures). Kinds:
- microsleep / sleep: open eyes, the real closing phase of a labelled blink, then that subject's
  real closed-eye pictures (both eyes closed, mid-blink) held for `hold_s` (cycled, each shown 2-4 frames, with a small drifting
  shift, gain jitter and sensor noise: never one frozen picture), the real opening phase, open eyes;
- blinking: real open stretches of 2.5-4 s alternating with real labelled blinks (~16 blinks/min);
- no_driver: open eyes, then the same camera view with the driver painted out (inpainted background);
- occluded_lens: open eyes, then the lens covered (almost black, blurred, noisy);
- phone_use: open eyes, then the same real pictures with a hand held at the driver's ear (a DRAWN hand:
  a skin-toned palm-and-fingers silhouette beside the face, drifting a little; no real picture of a hand
  is in the data set), then open eyes;
- camera_misaimed: open eyes, then the camera knocked aside (the real pictures shifted so a fifth of
  the labelled face box leaves the frame over the left edge);
- sunglasses: open eyes, then the same real pictures with dark lenses drawn over both eyes (at the
  clip's labelled eye corners);
- smeared_lens / hazy_lens: open eyes, then the same real pictures through a dirty lens: a smear (a blur
  of about 1 % of the picture width, with a little glow) or a haze (a light veil of scattered light over a
  slight blur);
- night_ir: open eyes in daylight, then the same real pictures made like a night infrared picture (one
  grey channel, darker, the illuminator's fall-off towards the corners, grainier): a clean lens at night,
  which must not read dirty;
- driver_change: driver A drives, the vehicle stops, A leaves (the seat seen empty), driver B (another
  subject, optionally with narrower eyes: B's pictures squeezed vertically) sits down and drives awake for
  `awake_s` (B's real open stretches and blinks, looped), then B's microsleep. The vehicle's speed follows
  (`speed_profile` of the scenario: 0 km/h from the stop until B drives off). Written frame by frame:
  ten minutes of pictures do not fit in memory.
The clips derive from research-only data: compose them into a scratch folder, never commit them.
Only the suite definition (`suites/*.json`: subjects, kinds, expectations) is part of the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dms.errors import UserError
from dms.settings import describe_validation_error
from edge.evaluation.dataset import FRAME_PERIOD_S, LabelledClip, LabelledFrame, load_dataset
from edge.evaluation.runner import decoded_pictures

SUITES = Path(__file__).with_name("suites")
DEFAULT_SUITE = SUITES / "zju_dev.json"
CONDITION_PREFERENCE = ("FNN", "FTN", "FBN", "UNN")


class Template(BaseModel):
    """One kind of scenario, composed once per subject."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal[
        "microsleep",
        "sleep",
        "blinking",
        "no_driver",
        "occluded_lens",
        "driver_change",
        "phone_use",
        "camera_misaimed",
        "sunglasses",
        "smeared_lens",
        "hazy_lens",
        "night_ir",
    ]
    lead_s: float = Field(4.0, ge=1, le=60, description="Open-eyed driving before the condition.")
    hold_s: float = Field(1.5, gt=0, le=120, description="Length of the condition (closure, absence, cover).")
    tail_s: float = Field(4.0, ge=0, le=60, description="Open-eyed driving after the condition.")
    expect: list[dict] = Field(
        default_factory=list, description="[{state, deadline_s}]; onset is the composer's."
    )
    forbid: list[str] = Field(default_factory=list, description="States that must not be raised.")
    allow: list[str] = Field(default_factory=list, description="States that may be raised.")
    subjects: list[str] | None = Field(
        None,
        description="Compose only for these subjects (default: every "
        "subject composed); for driver_change: driver A.",
    )
    takeover: str | None = Field(None, description="driver_change: the subject who takes over (driver B).")
    takeover_eye_scale: float = Field(
        1.0,
        ge=0.5,
        le=1.0,
        description="driver_change: B's pictures squeezed vertically by this "
        "factor (narrower eyes than B's own; 1: as recorded).",
    )
    awake_s: float = Field(
        600.0, ge=1, le=3600, description="driver_change: B's awake driving before the closure."
    )
    closure_s: float = Field(1.5, gt=0, le=60, description="driver_change: length of B's closure.")
    strict: bool = Field(False, description="Any state raised besides the expected ones fails the scenario.")


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    fps: float = Field(1 / FRAME_PERIOD_S, gt=0)
    speed_kmh: float = Field(60.0, ge=0, le=400)
    seed: int = 0
    subjects: list[str] | Literal["all"] = "all"
    templates: list[Template]


def load_suite(path: Path) -> Suite:
    try:
        return Suite.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"suite file not found: {path}") from None
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, str(path))) from None


# ------------------------------------------------------------------------------------------------
# reading one source clip
# ------------------------------------------------------------------------------------------------
@dataclass
class Source:
    """One data-set clip: its decoded pictures and labelled frames, split into open runs and blinks."""

    clip: LabelledClip
    pictures: list[np.ndarray]
    face_box: tuple[int, int, int, int]
    eyes: tuple[tuple[float, float, float, float], tuple[float, float, float, float]] | None
    """Median labelled eye corners (x0, y0, x1, y1) of the two eyes, when labelled."""
    open_runs: list[list[LabelledFrame]]
    blinks: list[list[LabelledFrame]]
    closed: list[LabelledFrame]

    def picture(self, f: LabelledFrame) -> np.ndarray:
        return self.pictures[min(f.decoded_index, len(self.pictures) - 1)]


def _runs(frames: list[LabelledFrame], keep) -> list[list[LabelledFrame]]:
    runs, cur = [], []
    for f in frames:
        if keep(f) and (not cur or f.frame_id == cur[-1].frame_id + 1):
            cur.append(f)
        else:
            if len(cur) >= 3:
                runs.append(cur)
            cur = [f] if keep(f) else []
    if len(cur) >= 3:
        runs.append(cur)
    return runs


def _extra_labels(dataset: Path, video: str) -> tuple[tuple[int, int, int, int], set[int], tuple | None]:
    """Median labelled face box (x, y, w, h) of a clip, its frames with BOTH eyes fully closed and the
    median eye corners (two (x0, y0, x1, y1)) when labelled."""
    boxes, both_closed, eyes = [], set(), []
    corners = ("LE_LX", "LE_LY", "LE_RX", "LE_RY", "RE_LX", "RE_LY", "RE_RX", "RE_RY")
    with (dataset / "labels.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["video"] != video:
                continue
            if r.get("F_W", "").strip():
                boxes.append([int(float(r[k])) for k in ("F_X", "F_Y", "F_W", "F_H")])
            if all(r.get(k, "").strip() for k in corners):
                eyes.append([float(r[k]) for k in corners])
            if r.get("eye_closed_both", "").strip() == "1":
                both_closed.add(int(r["frame_id"]))
    if not boxes:
        raise UserError(f"{dataset}: no face box labelled for {video}")
    med = np.median(np.array(eyes), axis=0) if eyes else None
    eye_pair = None if med is None else (tuple(float(v) for v in med[:4]), tuple(float(v) for v in med[4:]))
    return tuple(int(v) for v in np.median(np.array(boxes), axis=0)), both_closed, eye_pair


def read_source(dataset: Path, clip: LabelledClip) -> Source:
    pictures = [img for _, img in decoded_pictures(clip.path)]
    frames = [f for f in clip.frames if f.annotated]
    open_runs = _runs(frames, lambda f: f.blink_id == -1 and not f.eye_closed)
    blinks = []
    for start, end in clip.blinks:
        b = [f for f in frames if start <= f.frame_id <= end]
        if any(f.eye_closed for f in b):
            blinks.append(b)
    face_box, both_closed, eyes = _extra_labels(dataset, clip.video)
    closed = _deep_closure(blinks, both_closed)
    if not open_runs or not blinks:
        raise UserError(f"{clip.video}: needs open-eye stretches and at least one labelled blink")
    return Source(clip, pictures, face_box, eyes, open_runs, blinks, closed)


def _deep_closure(blinks: list[list[LabelledFrame]], both_closed: set[int]) -> list[LabelledFrame]:
    """The pictures to hold for a long closure: both eyes labelled closed, and not the first or last
    closed frame of a blink (the lids are still moving there; repeated in mid-hold they would look
    like the eyes reopening). Falls back to every closed frame when that leaves fewer than 3."""
    core = []
    for blink in blinks:
        run = [f for f in blink if f.eye_closed]
        core += [f for f in (run[1:-1] if len(run) >= 3 else run) if f.frame_id in both_closed]
    return core if len(core) >= 3 else [f for b in blinks for f in b if f.eye_closed]


def pick_clip(clips: list[LabelledClip], condition: str | None = None) -> LabelledClip:
    """The subject's clip to compose from: `condition` if given, else frontal without glasses when it
    has blinks to hold."""
    order = ((condition,) if condition else ()) + CONDITION_PREFERENCE

    def rank(c: LabelledClip):
        pref = order.index(c.condition) if c.condition in order else 9
        return (not condition and len(c.blinks) < 2, pref, -len(c.blinks))

    return min(clips, key=rank)


# ------------------------------------------------------------------------------------------------
# picture transforms
# ------------------------------------------------------------------------------------------------
class Jitter:
    """Natural-looking variation of a repeated real picture: a slowly drifting sub-pixel shift, a
    small gain change and fresh sensor noise every frame."""

    def __init__(self, rng: np.random.Generator, max_shift_px: float = 1.5):
        self.rng, self.max_shift = rng, max_shift_px
        self.dx = self.dy = 0.0

    def __call__(self, image: np.ndarray) -> np.ndarray:
        self.dx = float(np.clip(self.dx + self.rng.normal(0, 0.3), -self.max_shift, self.max_shift))
        self.dy = float(np.clip(self.dy + self.rng.normal(0, 0.3), -self.max_shift, self.max_shift))
        h, w = image.shape[:2]
        m = np.float32([[1, 0, self.dx], [0, 1, self.dy]])
        out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        gain = 1.0 + self.rng.normal(0, 0.015)
        noisy = out.astype(np.float32) * gain + self.rng.normal(0, 1.5, out.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)


def without_driver(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The camera view with the driver painted out: the column of the face box, grown by a third on
    each side (hair, ears, shoulders), from the top to the bottom edge, filled from the background
    on either side."""
    h, w = image.shape[:2]
    x, _, bw, _ = box
    mx = int(bw * 0.35)
    mask = np.zeros((h, w), np.uint8)
    mask[:, max(0, x - mx) : min(w, x + bw + mx)] = 255
    size = (w // 4, h // 4)  # the fill is smooth anyway: inpaint at quarter size, 16x cheaper
    small = cv2.inpaint(
        cv2.resize(image, size, interpolation=cv2.INTER_AREA),
        cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST),
        3,
        cv2.INPAINT_TELEA,
    )
    filled = cv2.GaussianBlur(cv2.resize(small, (w, h)), (0, 0), 3)
    out = image.copy()
    out[mask > 0] = filled[mask > 0]
    return out


def lens_covered(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A hand or a sticker over the lens: a little light leaks through, nothing is recognisable."""
    h, w = image.shape[:2]
    blurred = cv2.resize(cv2.resize(image, (w // 16, h // 16), interpolation=cv2.INTER_AREA), (w, h))
    dark = blurred.astype(np.float32) * 0.06
    return np.clip(dark + rng.normal(2.0, 1.5, image.shape), 0, 255).astype(np.uint8)


def draw_hand(
    image: np.ndarray, centre: tuple[float, float], size: float, angle_deg: float = 0.0, tone=(120, 150, 200)
) -> np.ndarray:
    """A DRAWN hand (no photograph): a palm ellipse, four fingers and a thumb in a flat skin tone (BGR),
    edges softened, fingers along `angle_deg` from upwards; `size` about the palm's height in pixels.
    MediaPipe's palm detector does fire on it (tests/vision/test_hands.py); that is all it shows."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cx, cy = centre
    a = np.deg2rad(angle_deg)
    ux, uy, vx, vy = np.sin(a), -np.cos(a), np.cos(a), np.sin(a)  # u: towards the fingers, v: across

    def pt(x: float, y: float) -> tuple[int, int]:
        return int(round(x)), int(round(y))

    cv2.ellipse(mask, pt(cx, cy), (int(0.42 * size), int(0.5 * size)), angle_deg, 0, 360, 255, -1)
    for across, length in ((-0.3, 0.7), (-0.1, 0.85), (0.1, 0.8), (0.29, 0.6)):
        bx, by = cx + across * size * vx + 0.35 * size * ux, cy + across * size * vy + 0.35 * size * uy
        cv2.line(
            mask,
            pt(bx, by),
            pt(bx + length * size * ux, by + length * size * uy),
            255,
            max(2, int(0.17 * size)),
        )
    bx, by = cx - 0.35 * size * vx, cy - 0.35 * size * vy
    thumb_end = pt(bx - 0.45 * size * vx + 0.3 * size * ux, by - 0.45 * size * vy + 0.3 * size * uy)
    cv2.line(mask, pt(bx, by), thumb_end, 255, max(2, int(0.2 * size)))
    alpha = cv2.GaussianBlur(mask, (5, 5), 0).astype(np.float32)[..., None] / 255.0
    shade = np.array(tone, np.float32) * (0.9 + 0.1 * np.linspace(0, 1, w, dtype=np.float32))[None, :, None]
    out = image.astype(np.float32) * (1 - alpha) + shade * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def dark_lenses(image: np.ndarray, eyes) -> np.ndarray:
    """Dark sunglass lenses drawn over both eyes (`eyes`: two (x0, y0, x1, y1) corner pairs) and a bridge."""
    out = image.copy()
    for x0, y0, x1, y1 in eyes:
        width = abs(x1 - x0)
        centre = (int((x0 + x1) / 2), int((y0 + y1) / 2))
        cv2.ellipse(out, centre, (int(0.85 * width), int(0.6 * width)), 0, 0, 360, (22, 20, 20), -1)
    (_, _, ax, ay), (bx, by, _, _) = eyes
    cv2.line(out, (int(ax), int(ay)), (int(bx), int(by)), (22, 20, 20), 2)
    return out


def knocked_aside(image: np.ndarray, box: tuple[int, int, int, int], share: float = 0.2) -> np.ndarray:
    """The camera turned away from the driver: the picture shifted so `share` of the face box leaves it
    over the left edge (the uncovered strip repeats the edge)."""
    x, _, bw, _ = box
    h, w = image.shape[:2]
    m = np.float32([[1, 0, -(x + share * bw)], [0, 1, 0]])
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def smeared(image: np.ndarray) -> np.ndarray:
    """A smear on the lens (grease, a fingerprint): every edge blurred by about 1 % of the picture
    width, and a little of the light spread wide (glow)."""
    w = image.shape[1]
    sharp_lost = cv2.GaussianBlur(image, (0, 0), w / 110).astype(np.float32)
    glow = cv2.GaussianBlur(image, (0, 0), w / 16).astype(np.float32)
    return np.clip(0.85 * sharp_lost + 0.15 * glow, 0, 255).astype(np.uint8)


def hazy(image: np.ndarray) -> np.ndarray:
    """A haze on the lens (condensation, a film): a veil of scattered light over half the picture's own
    light, with a slight blur."""
    w = image.shape[1]
    soft = cv2.GaussianBlur(image, (0, 0), w / 320).astype(np.float32)
    veil = float(image.mean()) + 60.0
    return np.clip(0.5 * soft + 0.5 * veil, 0, 255).astype(np.uint8)


def night_infrared(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The picture as a clean night infrared one: one grey channel (as three), darker, the illuminator's
    light falling off towards the corners, more sensor grain."""
    h, w = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    lit = 0.6 * grey * (1.0 - 0.35 * np.clip(r2 / 2, 0, 1)) + 8.0 + rng.normal(0, 4.0, grey.shape)
    return cv2.cvtColor(np.clip(lit, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


CAMERA_EDITS = {
    "camera_misaimed": "aimed off",
    "sunglasses": "dark lenses",
    "smeared_lens": "smeared",
    "hazy_lens": "hazy",
    "night_ir": "infrared",
}
"""Kinds that show the subject's real open-eyed pictures through an edit from the onset (and its mark)."""


def _phone_at_ear(tl: Timeline, src: Source, seconds: float, rng: np.random.Generator, run: int) -> int:
    """Real open-eye pictures with a drawn hand at the ear on the picture's left, drifting a little."""
    x, y, bw, bh = src.face_box
    n, k, i = int(round(seconds * tl.fps)), run, 0
    dx = dy = 0.0
    while i < n:
        for f in src.open_runs[k % len(src.open_runs)]:
            if i >= n:
                break
            dx = float(np.clip(dx + rng.normal(0, 0.5), -4, 4))
            dy = float(np.clip(dy + rng.normal(0, 0.5), -4, 4))
            centre = (x - 0.1 * bw + dx, y + 0.55 * bh + dy)
            tl.add(draw_hand(src.picture(f), centre, 0.45 * bw, -15 + dx), f"{src.clip.video}#{f.frame_id}")
            i += 1
        k += 1
    return k


# ------------------------------------------------------------------------------------------------
# composing
# ------------------------------------------------------------------------------------------------
class Timeline:
    """Output frames at the suite's rate, plus ground-truth spans. With a `writer`, each frame goes to it
    at once (through `transform`, if any) instead of being kept."""

    def __init__(self, fps: float, writer=None):
        self.fps = fps
        self.writer = writer
        self.transform = None
        self.images: list[np.ndarray] = []
        self.frames = 0
        self.truth: list[list] = []
        self.used: list[str] = []

    @property
    def t(self) -> float:
        return (self.frames if self.writer is not None else len(self.images)) / self.fps

    def add(self, image: np.ndarray, note: str | None = None) -> None:
        if self.transform is not None:
            image = self.transform(image)
        if self.writer is not None:
            self.writer.write(image)
            self.frames += 1
        else:
            self.images.append(image)
        if note:
            self.used.append(note)

    def mark(self, start: float, what: str) -> None:
        self.truth.append([round(start, 4), round(self.t, 4), what])


def _open_eyes(
    tl: Timeline, src: Source, seconds: float, rng: np.random.Generator, start_run: int = 0
) -> int:
    """Real open-eye stretches, played forward, for `seconds`; returns the next run to use."""
    n, k = int(round(seconds * tl.fps)), start_run
    while n > 0:
        run = src.open_runs[k % len(src.open_runs)]
        for f in run[:n]:
            tl.add(src.picture(f), f"{src.clip.video}#{f.frame_id}")
        n -= min(n, len(run))
        k += 1
    return k


def _hold_closed(tl: Timeline, src: Source, seconds: float, rng: np.random.Generator) -> None:
    jitter = Jitter(rng)
    n, i = int(round(seconds * tl.fps)), 0
    while i < n:
        f = src.closed[int(rng.integers(len(src.closed)))]
        for _ in range(min(int(rng.integers(2, 5)), n - i)):
            tl.add(jitter(src.picture(f)), f"{src.clip.video}#{f.frame_id}*")
            i += 1


def _compose(
    kind: str, tpl: Template, src: Source, fps: float, rng: np.random.Generator
) -> tuple[Timeline, float | None]:
    tl = Timeline(fps)
    onset = None
    if kind in ("microsleep", "sleep"):
        run = _open_eyes(tl, src, tpl.lead_s, rng)
        onset = _closure(tl, src, tpl.hold_s, rng)
        _open_eyes(tl, src, tpl.tail_s, rng, run)
    elif kind == "blinking":
        _blinking(tl, src, tpl.hold_s, rng)
        del tl.images[int(round(tpl.hold_s * fps)) :]
    elif kind == "phone_use" or kind in CAMERA_EDITS:
        run = _open_eyes(tl, src, tpl.lead_s, rng)
        onset = tl.t
        if kind == "phone_use":
            run = _phone_at_ear(tl, src, tpl.hold_s, rng, run)
        else:
            if kind == "sunglasses" and src.eyes is None:
                raise UserError(f"{src.clip.video}: sunglasses need labelled eye corners")
            tl.transform = {
                "camera_misaimed": lambda im: knocked_aside(im, src.face_box),
                "sunglasses": lambda im: dark_lenses(im, src.eyes),
                "smeared_lens": smeared,
                "hazy_lens": hazy,
                "night_ir": lambda im: night_infrared(im, rng),
            }[kind]
            run = _open_eyes(tl, src, tpl.hold_s, rng, run)
            tl.transform = None
        tl.mark(onset, "phone at ear" if kind == "phone_use" else CAMERA_EDITS[kind])
        _open_eyes(tl, src, tpl.tail_s, rng, run)
    else:  # no_driver, occluded_lens
        run = _open_eyes(tl, src, tpl.lead_s, rng)
        onset = tl.t
        pictures = [src.picture(f) for r in src.open_runs for f in r]
        # an empty seat changes little: 8 painted-out views, cycled, each frame with fresh sensor noise
        empty = [without_driver(p, src.face_box) for p in pictures[:: max(1, len(pictures) // 8)][:8]]
        jitter = Jitter(rng, max_shift_px=0.5)
        for i in range(int(round(tpl.hold_s * fps))):
            if kind == "no_driver":
                tl.add(jitter(empty[(i // 5) % len(empty)]))
            else:
                tl.add(lens_covered(pictures[i % len(pictures)], rng))
        tl.mark(onset, "absent" if kind == "no_driver" else "covered")
        _open_eyes(tl, src, tpl.tail_s, rng, run)
    return tl, onset


def squeezed(image: np.ndarray, scale: float) -> np.ndarray:
    """The picture squeezed vertically about its middle by `scale` (narrower eyes, a flatter face), the
    rows freed at top and bottom filled by repeating the edge."""
    if scale >= 1.0:
        return image
    h, w = image.shape[:2]
    small = cv2.resize(image, (w, round(h * scale)), interpolation=cv2.INTER_AREA)
    top = (h - small.shape[0]) // 2
    return cv2.copyMakeBorder(small, top, h - small.shape[0] - top, 0, 0, cv2.BORDER_REPLICATE)


def _blinking(tl: Timeline, src: Source, seconds: float, rng: np.random.Generator) -> None:
    """Real open stretches of 2.5-4 s alternating with the subject's real blinks, for at least `seconds`."""
    end, run, b = tl.t + seconds, 0, 0
    while tl.t < end:
        run = _open_eyes(tl, src, float(rng.uniform(2.5, 4.0)), rng, run)
        start = tl.t
        for f in src.blinks[b % len(src.blinks)]:
            tl.add(src.picture(f), f"{src.clip.video}#{f.frame_id}")
        tl.mark(start, "blink")
        b += 1


def _closure(tl: Timeline, src: Source, seconds: float, rng: np.random.Generator) -> float:
    """The real closing phase of the subject's longest blink, its closed pictures held for `seconds`, the
    real opening phase; returns the onset (first held closed frame)."""
    blink = max(src.blinks, key=lambda b: sum(f.eye_closed for f in b))
    first = next(i for i, f in enumerate(blink) if f.eye_closed)
    last = max(i for i, f in enumerate(blink) if f.eye_closed)
    for f in blink[:first]:
        tl.add(src.picture(f), f"{src.clip.video}#{f.frame_id}")
    onset = tl.t
    _hold_closed(tl, src, seconds, rng)
    tl.mark(onset, "closed")
    for f in blink[last + 1 :]:
        tl.add(src.picture(f), f"{src.clip.video}#{f.frame_id}")
    return onset


STOPPED_BEFORE_S = 2.0
"""driver_change: A sits in the stopped vehicle this long before leaving; B as long before driving off."""


def compose_driver_change(
    tpl: Template, a: Source, b: Source, path: Path, fps: float, speed_kmh: float, rng: np.random.Generator
) -> tuple[Timeline, dict]:
    """A drives, stops and leaves; the seat is empty for `hold_s`; B (squeezed by takeover_eye_scale)
    sits down, drives awake for `awake_s`, then closes the eyes for `closure_s`. Written to `path` as it
    goes. Returns the timeline and {onsets, speed_profile}."""
    writer = open_writer(path, a.pictures[0].shape, fps)
    try:
        tl = Timeline(fps, writer)
        _open_eyes(tl, a, tpl.lead_s, rng)
        stop = tl.t
        _open_eyes(tl, a, STOPPED_BEFORE_S, rng)
        empty_from = tl.t
        pictures = [a.picture(f) for r in a.open_runs for f in r]
        empty = [without_driver(p, a.face_box) for p in pictures[:: max(1, len(pictures) // 8)][:8]]
        jitter = Jitter(rng, max_shift_px=0.5)
        for i in range(round(tpl.hold_s * fps)):
            tl.add(jitter(empty[(i // 5) % len(empty)]))
        tl.mark(empty_from, "absent")
        tl.transform = lambda im: squeezed(im, tpl.takeover_eye_scale)
        _open_eyes(tl, b, STOPPED_BEFORE_S, rng)
        drive_off = tl.t
        _blinking(tl, b, tpl.awake_s, rng)
        onset = _closure(tl, b, tpl.closure_s, rng)
        _open_eyes(tl, b, tpl.tail_s, rng)
    finally:
        writer.release()
    profile = [[0.0, speed_kmh], [round(stop, 4), 0.0], [round(drive_off, 4), speed_kmh]]
    return tl, {"driver_change": empty_from, "microsleep": onset, "sleep": onset, "speed_profile": profile}


def open_writer(path: Path, shape: tuple, fps: float):
    """Motion-JPEG AVI at high quality: 6x smaller and 5x faster to write than lossless FFV1, and its
    error (~2 grey levels) stays under the sensor noise of the source clips."""
    h, w = shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise UserError(f"OpenCV cannot write an MJPEG video to {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
    return writer


def write_clip(path: Path, images: list[np.ndarray], fps: float) -> Path:
    path = path.with_suffix(".avi")
    writer = open_writer(path, images[0].shape, fps)
    for img in images:
        writer.write(img)
    writer.release()
    return path


def compose_suite(
    dataset: Path,
    out: Path,
    suite_path: Path = DEFAULT_SUITE,
    subjects: list[str] | None = None,
    kinds: list[str] | None = None,
    condition: str | None = None,
) -> list[Path]:
    """Compose every template of the suite for each subject; returns the scenario JSON files written.

    `subjects` overrides the suite's list (["all"]: every subject of the data set, e.g. unseen ones);
    `condition` picks the recording condition to compose from (e.g. FBN: black-frame glasses)."""
    suite = load_suite(suite_path)
    clips = load_dataset(Path(dataset))
    by_subject: dict[str, list[LabelledClip]] = {}
    for c in clips:
        by_subject.setdefault(c.subject or c.name, []).append(c)
    wanted = subjects or (suite.subjects if isinstance(suite.subjects, list) else ["all"])
    if wanted == ["all"]:
        wanted = sorted(by_subject)
    missing = [s for s in wanted if s not in by_subject]
    if missing:
        raise UserError(
            f"subjects not in {dataset}: {', '.join(missing)} (have: {', '.join(sorted(by_subject))})"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n_subject, subject in enumerate(wanted):
        src = read_source(Path(dataset), pick_clip(by_subject[subject], condition))
        for n_tpl, tpl in enumerate(suite.templates):
            if (kinds and tpl.kind not in kinds) or (
                tpl.subjects is not None and subject not in tpl.subjects
            ):
                continue
            rng = np.random.default_rng([suite.seed, n_subject, n_tpl])
            extra = {}
            if tpl.kind == "driver_change":
                if tpl.takeover not in by_subject or tpl.takeover == subject:
                    raise UserError(
                        f"driver_change: takeover subject {tpl.takeover!r} must be another subject "
                        f"of {dataset}"
                    )
                taker = read_source(Path(dataset), pick_clip(by_subject[tpl.takeover], condition))
                name = f"driver_change_{subject}_to_{tpl.takeover}"
                clip_path = out / f"{name}.avi"
                tl, onsets = compose_driver_change(
                    tpl, src, taker, clip_path, suite.fps, suite.speed_kmh, rng
                )
                extra = {"speed_profile": onsets.pop("speed_profile"), "strict": tpl.strict}
                videos = f"{src.clip.video} -> {taker.clip.video}"
            else:
                tl, onset = _compose(tpl.kind, tpl, src, suite.fps, rng)
                onsets = {e["state"]: onset for e in tpl.expect}
                name = f"{tpl.kind}_{subject}_{src.clip.condition or src.clip.name}"
                clip_path = write_clip(out / name, tl.images, suite.fps)
                videos = src.clip.video
            expect = [
                {
                    "state": e["state"],
                    "onset_s": round(onsets[e["state"]] or 0.0, 4),
                    "deadline_s": e["deadline_s"],
                    **({"reason": e["reason"]} if e.get("reason") else {}),
                }
                for e in tpl.expect
            ]
            scenario = {
                "name": name,
                "clip": clip_path.name,
                "speed_kmh": suite.speed_kmh,
                "expect": expect,
                "forbid": tpl.forbid,
                "allow": tpl.allow,
                "truth": tl.truth,
                **extra,
                "source": {
                    "suite": suite.name,
                    "dataset": Path(dataset).name,
                    "video": videos,
                    "subject": subject,
                    "kind": tpl.kind,
                    "frames": round(tl.t * suite.fps),
                    "fps": suite.fps,
                    "pictures": _compact(tl.used),
                },
            }
            (out / f"{name}.json").write_text(json.dumps(scenario, indent=1), encoding="utf-8")
            written.append(out / f"{name}.json")
    return written


def _compact(notes: list[str]) -> str:
    """'video#12,video#13,...' -> 'video#12-13,...' (the record of which real frames were used)."""
    parts, prev = [], None
    for note in notes:
        video, _, frame = note.partition("#")
        held = frame.endswith("*")
        fid = int(frame.rstrip("*"))
        if prev and prev[0] == video and prev[2] == held and fid in (prev[1][-1], prev[1][-1] + 1):
            prev[1].append(fid)
            continue
        prev = (video, [fid], held)
        parts.append(prev)
    return ",".join(
        f"{Path(v).name}#{ids[0]}-{ids[-1]}{'*' if h else ''}"
        if len(ids) > 1 and not h
        else f"{Path(v).name}#{ids[0]}{'*' if h else ''}"
        for v, ids, h in parts
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edge.scenarios.compose", description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True, type=Path, help="labelled clip set (zju_eyeblink_dev format)")
    p.add_argument("--out", required=True, type=Path, help="folder for clips + scenario JSONs (not the repo)")
    p.add_argument(
        "--suite", type=Path, default=DEFAULT_SUITE, help="suite definition (default: %(default)s)"
    )
    p.add_argument("--subjects", help="comma-separated subject ids, or 'all' (default: the suite's list)")
    p.add_argument("--kinds", help="comma-separated kinds to compose (default: all of the suite)")
    p.add_argument("--condition", help="recording condition to compose from, e.g. FBN (default: FNN first)")
    args = p.parse_args(argv)
    try:
        written = compose_suite(
            args.dataset,
            args.out,
            args.suite,
            args.subjects.split(",") if args.subjects else None,
            args.kinds.split(",") if args.kinds else None,
            args.condition,
        )
    except UserError as exc:
        print(f"compose: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{len(written)} scenarios -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
