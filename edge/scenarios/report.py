"""The scenario report page: a summary table and one timeline picture per scenario (PNG embedded)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from edge.policy.events import START_LEVEL

TRUTH_COLOURS = {"closed": "#f4a3a3", "blink": "#a3c4f4", "absent": "#cccccc", "covered": "#999999"}
LEVEL_COLOURS = {0: "#bbbbbb", 1: "#f2c94c", 2: "#f2994a", 3: "#eb5757"}


def timeline_png(scenario, trace, envelope, result) -> bytes | None:
    """Ground truth, what the eyes did per frame, each episode as a bar by level, expected deadlines
    and the audio envelope, on one time axis. None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    types = sorted(START_LEVEL, key=lambda k: START_LEVEL[k])
    fig, (ax, ax_audio) = plt.subplots(
        2, 1, figsize=(10, 3.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    for start, end, what in scenario.truth:
        ax.axvspan(start, end, color=TRUTH_COLOURS.get(what, "#dddddd"), alpha=0.5, lw=0)
    closed = [1.0 if c else 0.0 for c in trace.closed]
    ax.step(trace.t, [-1.1 + 0.7 * c for c in closed], where="post", color="k", lw=0.8)
    ax.step(trace.t, [-1.9 + 0.5 * f for f in trace.face], where="post", color="#555555", lw=0.8)
    lanes = {k: i for i, k in enumerate(types)}
    end_t = trace.t[-1] if trace.t else 0
    open_: dict[str, tuple[float, int]] = {}
    bars = []
    for e in result["events"]:
        if e["phase"] == "start":
            open_[e["type"]] = (e["t"], e["level"])
        elif e["phase"] == "escalate" and e["type"] in open_:
            bars.append((e["type"], *open_[e["type"]], e["t"]))
            open_[e["type"]] = (e["t"], e["level"])
        elif e["phase"] == "end" and e["type"] in open_:
            bars.append((e["type"], *open_.pop(e["type"]), e["t"]))
    bars += [(k, t0, lvl, end_t) for k, (t0, lvl) in open_.items()]
    for kind, t0, level, t1 in bars:
        ax.barh(lanes[kind], t1 - t0, left=t0, height=0.7, color=LEVEL_COLOURS.get(level, "#888"))
    for exp in result["expectations"]:
        lane = lanes[exp["state"]]
        ax.plot([exp["onset_s"]] * 2, [lane - 0.45, lane + 0.45], color="g", lw=1.5)
        ax.plot(
            [exp["onset_s"] + exp["deadline_s"]] * 2, [lane - 0.45, lane + 0.45], color="g", lw=1.5, ls="--"
        )
    ax.set_yticks([-1.65, -0.75] + list(lanes.values()), ["face found", "eyes closed"] + list(lanes))
    ax.set_ylim(-2.0, len(lanes) - 0.3)
    ax.set_title(f"{scenario.name}: {'PASS' if result['pass'] else 'FAIL'}", fontsize=9)
    ax.tick_params(labelsize=7)
    sr_t = [i * 0.01 for i in range(len(envelope))]
    ax_audio.plot(sr_t, envelope, color="#2d9cdb", lw=0.6)
    ax_audio.set_ylabel("audio\nRMS", fontsize=7)
    ax_audio.set_xlabel("seconds from clip start (green: onset and deadline of an expectation)", fontsize=7)
    ax_audio.tick_params(labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _latency(check: dict) -> str:
    return "not raised" if check["latency_s"] is None else f"{check['latency_s']:.2f} s"


def _row(r: dict) -> str:
    exp = (
        "<br>".join(
            f"{c['state']}: {_latency(c)} / {c['deadline_s']:.1f} s {'✔' if c['pass'] else '✘'}"
            for c in r["expectations"]
        )
        or "(quiet)"
    )
    false = ", ".join(f"{e['type']}@{e['t']:.1f}" for e in r["false_events"]) or "—"
    forbidden = ", ".join(f"{e['type']}@{e['t']:.1f}" for e in r["forbidden_events"]) or "—"
    audible = sum(a["audible"] for a in r["alerts"])
    return (
        f"<tr class={'pass' if r['pass'] else 'fail'}><td>{html.escape(r['name'])}</td><td>{exp}</td>"
        f"<td>{html.escape(forbidden)}</td><td>{html.escape(false)}</td>"
        f"<td>{audible}/{len(r['alerts'])}</td><td>{r['pipeline_ms_per_frame']:.1f}</td>"
        f"<td>{'PASS' if r['pass'] else 'FAIL'}</td></tr>"
    )


def write_html(report: dict, traces: dict, path: Path) -> None:
    s = report["summary"]
    rows = "\n".join(_row(r) for r in report["results"])
    pictures = []
    for r in report["results"]:
        scenario, trace, envelope = traces[r["name"]]
        png = timeline_png(scenario, trace, envelope, r)
        if png is None:  # the `edge` extra alone: the report is complete but for the timelines
            pictures = ["<p>Timelines need matplotlib: pip install 'dms-fleet[tools]'.</p>"]
            break
        pictures.append(
            f'<h3>{html.escape(r["name"])}</h3><img alt="timeline of {html.escape(r["name"])}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        )
    by_state = "".join(
        f"<li>{k}: {v['passed']}/{v['n']} in time, max latency {v['max_latency_s']} s</li>"
        for k, v in s["by_state"].items()
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Scenario report</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;vertical-align:top}}
tr.pass td:last-child{{color:#1a7f37}} tr.fail td:last-child{{color:#c62828;font-weight:bold}}</style></head><body>
<h1>Scenario evaluation</h1>
<p>{s["passed"]} of {s["scenarios"]} scenarios pass. False events on quiet clips: {s["false_events_on_quiet"]}
over {s["quiet_hours"] * 60:.1f} min ({s["false_events_per_hour"]} per hour). Alerts audible within 0.1 s:
{s["alerts_audible_within_0_1s"]}/{s["alerts"]} (max delay {s["max_audio_delay_s"]} s).</p>
<ul>{by_state}</ul>
<table><tr><th>scenario</th><th>expected: latency / deadline</th><th>forbidden</th><th>false events</th>
<th>audible</th><th>vision ms/frame</th><th>result</th></tr>
{rows}</table>
{"".join(pictures)}
</body></html>"""
    path.write_text(page, encoding="utf-8")
