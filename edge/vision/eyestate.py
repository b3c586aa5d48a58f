"""Eye openness from the landmarks, and an eye-closure decision that adapts to the driver.

Openness of one eye is the mean gap between the upper and lower eyelid of the iris model's dense
16-point lid contour, divided by the eye's width (corner to corner): a dense "eye aspect ratio".
(The 468-point mesh's own eyelid points hardly move when the eyes close: only the iris model's lids
are usable.) How open "open" is differs between people, head poses and cameras, and so does how far
the model's lids come together when the eyes close (on low-resolution eyes they often stop half-way):
a fixed threshold is fragile. So both ends are learnt per driver, online:

- open level: a high percentile of the last seconds of openness, from frames that are not closed,
  starting from the driver's very first frame (no population prior: it would be wrong for narrow eyes);
- closed level: the median depth of this driver's recent ordinary blinks (the lowest openness of each
  short dip), as a share of the open level, starting from a prior; a dip under way that goes deeper than
  that level replaces it at once (the prior is set for lids that stop half-way, common with glasses;
  lids that close further correct it within their first blink, not only after it).

    lid closure = (1 - openness / open_level) / (1 - closed_share), clipped to 0..1

0 = as open as this driver usually is, 1 = as closed as this driver's blinks get.

Everything learnt per driver can be learnt wrong (a new driver in the seat, a start with narrowed
eyes), and a per-driver scale says nothing about whether the lids are fully shut. So the lid closure
is fused with the person-independent eye-state model (`edge.vision.eye_classifier`, trained on other
people's eyes), by a logistic regression whose weights are fitted on labelled frames
(`python -m edge.evaluation.nested`):

    closure = sigmoid(model_weight * model logit + closure_weight * lid closure + fusion_bias)

The closed decision uses hysteresis on it; blinks are found on the larger of the fused and the lid
closure (the lid gap sees every blink's movement, the model whether the eye got shut). A frame the
model is sure is open teaches the open level even when the lid gap calls it closed, so a level learnt
wrong recovers. Without the model (`use_model: false`, or a replay without pictures) the lid closure
decides alone.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pydantic import Field, model_validator

from dms.settings import Settings

# The iris model's eye contour starts with the lids: 9 lower-lid points from the outer corner to the
# inner one, then the 7 upper-lid points between the corners, in the same direction (MediaPipe's
# update_face_landmarks_calculator). Pairs of (lower, upper) points facing each other:
LOWER_LID = np.arange(1, 8)
UPPER_LID = np.arange(9, 16)
CORNERS = (0, 8)


class EyeLandmarks(Protocol):
    contour: np.ndarray
    """(71, 2) image px; the first 16 points are the lids."""


class FaceLandmarks(Protocol):
    left_eye: EyeLandmarks
    right_eye: EyeLandmarks


class EyeStateSettings(Settings):
    """How eye closure is judged against this driver's own open and closed levels."""

    baseline_window_s: float = Field(30.0, gt=0, description="Seconds of history for the open-eye level.")
    baseline_percentile: float = Field(
        80.0, gt=0, lt=100, description="Percentile of recent openness taken as 'open' (blinks sit below)."
    )
    warmup_frames: int = Field(
        5,
        ge=1,
        description="The first measured frames of a driver all teach the open level, closed "
        "or not (the level starts from the very first frame).",
    )
    baseline_max_closure: float = Field(
        0.35, ge=0, le=1, description="Frames more closed than this do not update the open level."
    )
    prior_closed_share: float = Field(
        0.46,
        ge=0,
        lt=1,
        description="Typical openness at the bottom of a blink, as a share of the open "
        "level, used until this driver's blinks are known: the median "
        "over the dev subjects' blinks (0.46 of 148; 0.45-0.47 in every "
        "half, see edge.evaluation.nested).",
    )
    dip_share: float = Field(
        0.80,
        gt=0,
        lt=1,
        description="A dip below this share of the open level is a blink whose depth is learnt.",
    )
    closed_share_range: tuple[float, float] = Field(
        (0.0, 0.65), description="Bounds of the learnt closed level (share of open)."
    )
    dip_max_s: float = Field(
        0.5,
        gt=0,
        description="Longer dips (looking down, drowsy closures) do not teach the closed level: "
        "only ordinary blinks do.",
    )
    dips_kept: int = Field(8, ge=1, description="Recent blink depths the closed level is the median of.")
    prior_dips: float = Field(1.0, ge=0, description="Weight of the closed-level prior, in blinks.")
    closed_on: float = Field(
        0.40,
        ge=0,
        le=1,
        description="Fused closure at which the eyes count as closed (chosen with the fusion "
        "weights inside nested leave-subjects-out folds, edge.evaluation.nested).",
    )
    closed_off: float = Field(
        0.30, ge=0, le=1, description="Fused closure below which closed eyes count as open again."
    )
    lid_closed_on: float = Field(
        0.55,
        ge=0,
        le=1,
        description="The same for the lid-gap closure when it decides alone (no eye-state "
        "model: use_model off, or a frame it could not judge).",
    )
    lid_closed_off: float = Field(0.45, ge=0, le=1, description="The lid-gap closure's 'open again' level.")
    use_model: bool = Field(
        True,
        description="Fuse the person-independent eye-state model (edge.vision."
        "eye_classifier) with the lid gap; without it, or on frames it "
        "could not judge, the lid gap decides alone.",
    )
    model_weight: float = Field(
        0.6,
        ge=0,
        le=10,
        description="Fusion: weight of the eye-state model's closed logit (mean of both "
        "eyes) in the fused closed logit. The three fusion weights are a "
        "logistic regression on labelled frames (edge.evaluation.nested).",
    )
    closure_weight: float = Field(
        8.7, ge=0, le=50, description="Fusion: weight of the lid-gap closure (0..1) in the fused logit."
    )
    fusion_bias: float = Field(-5.2, ge=-50, le=50, description="Fusion: constant term of the fused logit.")
    blinks_from_lid_gap: bool = Field(
        True,
        description="With the model fused in: blinks are found on the larger "
        "of the fused and the lid-gap closure (the lid gap sees the "
        "movement of every blink, the model whether the eye got "
        "fully shut); off: on the fused closure alone.",
    )
    model_open_logit: float = Field(
        -3.0,
        ge=-20,
        le=20,
        description="A frame the eye-state model calls open this surely (closed "
        "logit below this) teaches the open level even when the lid gap "
        "reads it as closed: a level learnt wrong (a previous driver's, "
        "a start with narrowed eyes) recovers.",
    )
    model_skip_below: float = Field(
        0.15,
        ge=0,
        le=1,
        description="The eye-state model is not run on a frame whose lid closure is "
        "below this while its last verdict (at most model_refresh_s old) "
        "was 'surely open': a wide-open eye needs no second opinion, and "
        "the model runs on every frame of a blink. 0 runs it always. (With "
        "face_mesh.iris_gate the face mesh runs the model on every tracked frame "
        "anyway; this then only says whether the fusion takes that frame's "
        "logit or the last 'surely open' verdict.)",
    )
    model_refresh_s: float = Field(
        0.5,
        gt=0,
        le=10,
        description="Longest the model's last 'surely open' stands in for it: an eye "
        "the lid gap misreads as open is still looked at this often.",
    )
    relearn_after_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="When the lid gap reads closed and the model surely open for this "
        "long without a break, the open level is learnt anew from these "
        "frames (as for a new driver) instead of waiting for the old "
        "level to age out of its window.",
    )
    relearn_on_blinks: int = Field(
        2,
        ge=0,
        le=20,
        description="A reading of 'closed' that still shows this many blinks (the lid gap dipping by "
        "at least blink_dip_depth of the open level below the stretch's own level and back within "
        "dip_max_s) is an open eye read against a level learnt wrong (a narrower-eyed driver nobody "
        "noticed): the open level is learnt anew from the stretch. Eyes that are shut do not blink. "
        "0: off.",
    )
    blink_dip_depth: float = Field(
        0.25,
        gt=0,
        le=1,
        description="For relearn_on_blinks: how far, as a share of the open level, the lid gap must fall "
        "below the closed stretch's median to count as a blink (lids that are shut cannot fall further).",
    )
    warmup_s: float = Field(
        2.0,
        ge=0,
        le=60,
        description="After a reset (a new driver), the open level counts as learnt once this "
        "many seconds of the driver's measured frames have taught it. Until then "
        "(with the eye-state model) the model runs on every frame and its verdict "
        "alone is what the policy may raise a driver state from (the frame's "
        "closed flag and blinks stay the fused ones), so no state is raised from "
        "a level not yet learnt while a real closure is still caught. 0: none.",
    )
    min_eye_width_px: float = Field(6.0, gt=0, description="Narrower eyes are too small to judge.")
    min_width_ratio: float = Field(
        0.6,
        gt=0,
        le=1,
        description="An eye narrower than this share of the other one is turned away: "
        "judge by the other eye alone.",
    )

    def model_alone(self) -> EyeStateSettings:
        """These settings with the model's logit as the whole fused closure (the warm-up's decision):
        sigmoid(logit), compared with closed_on / closed_off."""
        return self.model_copy(update={"model_weight": 1.0, "closure_weight": 0.0, "fusion_bias": 0.0})

    @model_validator(mode="after")
    def _hysteresis_can_work(self) -> EyeStateSettings:
        if self.closed_on < self.closed_off:  # eyes would count as open again before they closed
            raise ValueError(
                f"closed_on ({self.closed_on:g}) must not be below closed_off ({self.closed_off:g})"
            )
        return self


@dataclass(frozen=True, slots=True)
class EyeState:
    """Eye state of one frame."""

    measurable: bool
    closure: float | None = None
    closed: bool | None = None
    openness: float | None = None
    """Combined openness of the eyes used (the value compared against the baseline)."""
    openness_left: float | None = None
    openness_right: float | None = None
    baseline: float | None = None
    lid_closure: float | None = None
    """Closure from the lid gap alone (equals `closure` when the eye-state model is not fused in)."""
    blink_closure: float | None = None
    """The closure blinks are found on (see EyeStateSettings.blinks_from_lid_gap)."""
    warming_up: bool = False
    """This driver's open level is not learnt yet (EyeStateSettings.warmup_s)."""
    model_closed: bool | None = None
    """In the warm-up: closed by the eye-state model alone (what a driver state may be raised from)."""


def eye_width(contour: np.ndarray) -> float:
    """Corner-to-corner width; 0 without a lid contour (e.g. face mesh run without the iris model)."""
    if len(contour) < 16:
        return 0.0
    a, b = contour[CORNERS[0]], contour[CORNERS[1]]
    return float(np.hypot(*(a - b)))


def lid_openness(contour: np.ndarray) -> float | None:
    """Mean upper-to-lower lid gap over eye width; None when the contour is degenerate."""
    c = np.asarray(contour, dtype=np.float64)
    if c.shape[0] < 16 or not np.isfinite(c[:16]).all():
        return None
    width = eye_width(c)
    if width <= 0:
        return None
    d = c[UPPER_LID] - c[LOWER_LID]
    return float(np.sqrt((d * d).sum(axis=1)).mean() / width)


def combine_eyes(
    left: float | None, right: float | None, width_l: float, width_r: float, s: EyeStateSettings
) -> float | None:
    """One value for the frame (lid openness, or the eye-state model's logit): both eyes averaged, or the
    one eye that faces the camera."""
    usable = []
    widest = max(width_l, width_r)
    for value, width in ((left, width_l), (right, width_r)):
        if value is not None and width >= s.min_eye_width_px and width >= s.min_width_ratio * widest:
            usable.append(value)
    return sum(usable) / len(usable) if usable else None  # plain floats: NumPy's per-call cost dominates


def fused_closure(closed_logit: float, lid_closure: float, s: EyeStateSettings) -> float:
    """Probability-like closure 0..1 from the eye-state model's logit and the lid-gap closure."""
    z = s.model_weight * closed_logit + s.closure_weight * lid_closure + s.fusion_bias
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class RunningPercentile:
    """Percentile of the values of a sliding time window, kept sorted so a frame costs microseconds."""

    def __init__(self, percentile: float):
        self.percentile = percentile
        self._by_time: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, t: float, value: float) -> None:
        self._by_time.append((t, value))
        bisect.insort(self._sorted, value)

    def drop_before(self, t: float, keep: int) -> None:
        """Forget values older than `t`, but always keep the newest `keep` ones."""
        while len(self._by_time) > keep and self._by_time[0][0] < t:
            _, value = self._by_time.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, value)]

    def value(self) -> float:
        """Linear interpolation between order statistics (numpy's default method)."""
        a = self._sorted
        pos = self.percentile / 100.0 * (len(a) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(a) - 1)
        return a[lo] + (a[hi] - a[lo]) * (pos - lo)


class EyeStateEstimator:
    """Feed one face per frame (with its capture time); keeps this driver's open and closed levels."""

    def __init__(self, settings: EyeStateSettings | None = None):
        self.settings = settings or EyeStateSettings()
        self._model_alone = self.settings.model_alone()
        self.reset()

    def reset(self) -> None:
        self._history = RunningPercentile(self.settings.baseline_percentile)
        self._dips: deque[float] = deque(maxlen=self.settings.dips_kept)
        self._dips_median: float | None = None  # of _dips, kept until the next dip (read every frame)
        self._dip_min: float | None = None
        self._dip_start = 0.0
        self._closed = False
        self._contradicted_since: float | None = None
        self._model_last: tuple[float, float] | None = None  # (time, logit) of the model's last run
        self._first_t: float | None = None  # first measured frame of this driver
        self._model_closed = False
        # the last 10 s (at 30 fps) of a 'closed' reading's openness outside its dips (relearn_on_blinks)
        self._stretch: deque[float] = deque(maxlen=300)
        self._stretch_blinks = 0
        self._stretch_dip: float | None = None  # start time of a dip under way within the stretch

    def baseline(self) -> float | None:
        """This driver's open-eye openness (None before the first measured frame)."""
        return self._history.value() if self._history else None

    def blink_depths(self) -> list[float]:
        """Bottoms of this driver's recent ordinary blinks, as shares of the open level (oldest first)."""
        return list(self._dips)

    def closed_share(self, ongoing: bool = False) -> float:
        """This driver's openness at the bottom of a blink, as a share of the open level.

        `ongoing`: a dip under way that is already deeper than that level proves the lids of this driver
        come closer together: its bottom so far is the closed level at once (a shallower dip changes
        nothing, so squinting or looking down can never make the eyes count as closed sooner). This is what
        fixes the first blinks of a driver whose lids close further than the prior says.
        """
        s = self.settings
        if not self._dips:
            share = s.prior_closed_share
        else:
            n = len(self._dips)
            if self._dips_median is None:
                self._dips_median = float(np.median(self._dips))
            share = (n * self._dips_median + s.prior_dips * s.prior_closed_share) / (n + s.prior_dips)
        if ongoing and self._dip_min is not None:
            share = min(share, self._dip_min)
        lo, hi = s.closed_share_range
        return min(hi, max(lo, share))

    def update(
        self,
        face: FaceLandmarks | None,
        t: float,
        measurable: bool = True,
        closed_logits: Callable[[], tuple[float | None, float | None]] | tuple | None = None,
    ) -> EyeState:
        """Eye state for the frame captured at `t`; `measurable=False` when the caller saw the eyes hidden.

        `closed_logits`: the eye-state model's (left, right) closed logits for this frame, or a function
        that runs the model, called only when the estimator needs it (see `model_skip_below`)."""
        if face is None:
            return EyeState(measurable=False)
        left, right = face.left_eye.contour, face.right_eye.contour
        w_l, w_r = eye_width(left), eye_width(right)
        o_l, o_r = lid_openness(left), lid_openness(right)
        openness = combine_eyes(o_l, o_r, w_l, w_r, self.settings) if measurable else None
        if openness is None:
            return EyeState(measurable=False, openness_left=o_l, openness_right=o_r)
        if closed_logits is None:
            logit = None
        elif callable(closed_logits):
            logit = lambda: combine_eyes(*closed_logits(), w_l, w_r, self.settings)
        else:
            logit = combine_eyes(*closed_logits, w_l, w_r, self.settings)
        return self.update_openness(openness, t, o_l, o_r, closed_logit=logit)

    def update_openness(
        self,
        openness: float,
        t: float,
        openness_left: float | None = None,
        openness_right: float | None = None,
        closed_logit: float | Callable[[], float | None] | None = None,
    ) -> EyeState:
        """The decision part alone, from a combined openness value (synthetic sequences, replays) and the
        eye-state model's closed logit (mean of the eyes used), or a function giving it on demand. A given
        value is treated exactly as a function would be: skipped frames reuse the last verdict either way,
        so replays of recorded logits decide as the vehicle does."""
        s = self.settings
        if not self._history:
            self._history.add(t, openness)  # no prior: a wrong one would make a first blink of a narrow eye
        if self._first_t is None:
            self._first_t = t
        # Without a model to ask (a replay of lid gaps alone) the lid gap must decide from the first frame.
        warming_up = s.use_model and closed_logit is not None and t - self._first_t < s.warmup_s
        base = self.baseline()
        share = openness / base
        self._track_dip(share, t)
        lid_closure = min(1.0, max(0.0, (1.0 - share) / (1.0 - self.closed_share(ongoing=True))))
        closed_logit = (
            self._model_verdict(closed_logit, lid_closure, t, always=warming_up) if s.use_model else None
        )
        if closed_logit is None:
            closure, on, off = lid_closure, s.lid_closed_on, s.lid_closed_off
        else:
            closure, on, off = fused_closure(closed_logit, lid_closure, s), s.closed_on, s.closed_off
        self._closed = closure >= (off if self._closed else on)
        model_closed = None
        if warming_up:
            # The level is young: what may raise a driver state is the model alone (no level in it);
            # a frame it could not judge counts as not closed.
            alone = None if closed_logit is None else fused_closure(closed_logit, 0.0, self._model_alone)
            self._model_closed = alone is not None and alone >= (
                s.closed_off if self._model_closed else s.closed_on
            )
            model_closed = self._model_closed
        # Closed frames stay out of the open level (a long closure must not become "open"), except while
        # the history is young: a start with closed eyes must not lock the open level out. A frame the
        # eye-state model is sure is open joins it whatever the lid gap says, so a wrong level recovers.
        surely_open = closed_logit is not None and closed_logit < s.model_open_logit
        if surely_open and lid_closure >= s.lid_closed_on:
            if self._contradicted_since is None:
                self._contradicted_since = t
            elif t - self._contradicted_since >= s.relearn_after_s:
                self._history = RunningPercentile(s.baseline_percentile)
                self._contradicted_since = None
        else:
            self._contradicted_since = None
        if s.relearn_on_blinks and self._blinks_while_closed(openness, base, t):
            self._history = RunningPercentile(s.baseline_percentile)
            for value in self._stretch:
                self._history.add(t, value)
            self._end_stretch()
        if lid_closure <= s.baseline_max_closure or surely_open or len(self._history) < s.warmup_frames:
            self._history.add(t, openness)
        # Old samples go only when newer ones replace them: through a long closure, the last known open
        # level stays the reference instead of fading away.
        self._history.drop_before(t - s.baseline_window_s, keep=s.warmup_frames)
        return EyeState(
            measurable=True,
            closure=closure,
            closed=self._closed,
            openness=openness,
            openness_left=openness_left,
            openness_right=openness_right,
            baseline=base,
            lid_closure=lid_closure,
            blink_closure=max(closure, lid_closure) if s.blinks_from_lid_gap else closure,
            warming_up=warming_up,
            model_closed=model_closed,
        )

    def _blinks_while_closed(self, openness: float, base: float, t: float) -> bool:
        """Count blink-like dips within the current 'closed' reading; True once there are enough of them.
        The stretch keeps its frames outside the dips: the open level learnt anew from them."""
        s = self.settings
        if not self._closed:
            self._end_stretch()
            return False
        level = float(np.median(self._stretch)) if self._stretch else openness
        if level - openness >= s.blink_dip_depth * base:
            if self._stretch_dip is None:
                self._stretch_dip = t
            return False
        if self._stretch_dip is not None:
            if t - self._stretch_dip <= s.dip_max_s:
                self._stretch_blinks += 1
            self._stretch_dip = None
        self._stretch.append(openness)
        return self._stretch_blinks >= s.relearn_on_blinks

    def _end_stretch(self) -> None:
        self._stretch.clear()
        self._stretch_blinks = 0
        self._stretch_dip = None

    def _model_verdict(
        self, closed_logit, lid_closure: float, t: float, always: bool = False
    ) -> float | None:
        """This frame's model logit: run (or taken) when needed, else the last 'surely open' verdict
        (`always`: run it whatever the lid gap says, as in the warm-up, when the lid gap is not trusted)."""
        s = self.settings
        last = self._model_last
        if (
            not always
            and last is not None
            and lid_closure < s.model_skip_below
            and last[1] < s.model_open_logit
            and t - last[0] <= s.model_refresh_s
        ):
            return last[1]
        value = closed_logit() if callable(closed_logit) else closed_logit
        self._model_last = None if value is None else (t, value)
        return value

    def _track_dip(self, share: float, t: float) -> None:
        """Record the deepest point of each blink-like dip below `dip_share` once the eyes are open again."""
        if share < self.settings.dip_share:
            if self._dip_min is None:
                self._dip_min, self._dip_start = share, t
            else:
                self._dip_min = min(self._dip_min, share)
        elif self._dip_min is not None:
            if t - self._dip_start <= self.settings.dip_max_s:
                self._dips.append(self._dip_min)
                self._dips_median = None
            self._dip_min = None


DARK_LENS_RATIO = 0.35
"""Eye opening darker than this share of the face's median brightness: behind a dark lens."""


def _eye_brightness(gray: np.ndarray, contour: np.ndarray) -> float | None:
    """Mean grey level inside the lid contour (None when it lies outside the picture)."""
    import cv2

    pts = np.round(np.asarray(contour[:16], dtype=np.float64)).astype(np.int32)
    x0, y0 = np.maximum(pts.min(axis=0), 0)
    x1, y1 = np.minimum(pts.max(axis=0) + 1, (gray.shape[1], gray.shape[0]))
    if x1 - x0 < 2 or y1 - y0 < 1:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [pts - (x0, y0)], 1)
    if not mask.any():
        return None
    return float(gray[y0:y1, x0:x1][mask > 0].mean())


def eyes_visible(image_bgr: np.ndarray, face: FaceLandmarks) -> bool:
    """False when both eye openings are far darker than the face: dark sunglasses (or a hand, a cap's shade).

    Open or closed, a visible eye shows sclera or lid skin about as bright as the rest of the face;
    a dark lens is uniformly much darker. Landmarks alone cannot tell: the models still place eyes.
    """
    import cv2

    pts = np.asarray(face.landmarks)[:, :2]
    x0, y0 = np.maximum(np.floor(pts.min(axis=0)).astype(int), 0)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 1
    patch = image_bgr[y0:y1, x0:x1]  # grey conversion of the face box only: cheap on big frames
    if patch.size == 0:
        return False
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if patch.ndim == 3 else patch
    face_level = float(np.median(gray[::3, ::3]))  # a sparse sample is plenty for the face's level
    if face_level <= 1.0:
        return False  # black picture: nothing to judge
    eyes = (
        _eye_brightness(gray, np.asarray(e.contour)[:16, :2] - (x0, y0))
        for e in (face.left_eye, face.right_eye)
    )
    return any(b is not None and b >= DARK_LENS_RATIO * face_level for b in eyes)
