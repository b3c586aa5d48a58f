"""Server-rendered SVG: the offline fleet map (positions on a lat/lon grid, no tiles) and KPI charts.
Plain SVG strings keep the pages light, printable and testable without a browser."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

from dealer_portal.i18n import current
from dealer_portal.i18n import gettext as tr
from dealer_portal.messages import N_, label

# Texts of the drawings (outside the f-strings, where the extractor would not see them).
FLEET_POSITIONS = N_("Fleet positions")
NO_POSITIONS = N_("No positions reported yet")
ROUTE = N_("Route")
NO_DATA = N_("No data yet")
BOOKINGS_TIMELINE = N_("Bookings timeline")

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b")


@dataclass(frozen=True)
class MapPoint:
    label: str
    lat: float
    lon: float
    state: str  # 'online' | 'offline' | 'alert'
    href: str = ""


def _nice_step(span: float, target_lines: int = 5) -> float:
    raw = max(span / target_lines, 1e-6)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _frame(lats: Sequence[float], lons: Sequence[float], width: int, height: int, pad: int = 34):
    """The view fitting these positions with a margin (equirectangular, longitude scaled by
    cos(latitude) so distances look right): the projection and the graticule's SVG."""
    mid_lat = (min(lats) + max(lats)) / 2
    kx = math.cos(math.radians(mid_lat))
    span = max(max(lats) - min(lats), (max(lons) - min(lons)) * kx, 0.01) * 1.25  # degrees of latitude
    scale = min(width - 2 * pad, height - 2 * pad) / span  # pixels per degree of latitude
    cx, cy = (min(lons) + max(lons)) / 2, mid_lat

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return width / 2 + (lon - cx) * kx * scale, height / 2 - (lat - cy) * scale

    parts = []
    step = _nice_step(span)
    lat0 = math.floor((cy - height / 2 / scale) / step) * step
    lon0 = math.floor((cx - width / 2 / (kx * scale)) / step) * step
    for i in range(40):
        lat = lat0 + i * step
        _, y = xy(lat, cx)
        if 0 <= y <= height:
            parts.append(
                f'<line x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" class="grid"/>'
                f'<text x="4" y="{y - 3:.1f}" class="grid-label">{lat:.{_decimals(step)}f}°</text>'
            )
        lon = lon0 + i * step
        x, _ = xy(cy, lon)
        if 0 <= x <= width:
            parts.append(
                f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" class="grid"/>'
                f'<text x="{x + 3:.1f}" y="{height - 4}" class="grid-label">{lon:.{_decimals(step)}f}°</text>'
            )
    return xy, parts


LABEL_CHAR_PX, LABEL_HEIGHT_PX = 6.5, 13


def _place_label(x: float, y: float, text: str, r: float, taken: list, width: int, height: int):
    """Where a dot's label fits without covering another label or dot: right, left, above or below
    the dot; None when nowhere (the dot keeps its tooltip)."""
    w, h = len(text) * LABEL_CHAR_PX, LABEL_HEIGHT_PX
    for lx, ly, anchor in (
        (x + r + 3, y + 4, "start"),
        (x - r - 3, y + 4, "end"),
        (x, y - r - 4, "middle"),
        (x, y + r + h, "middle"),
    ):
        left = lx if anchor == "start" else lx - w if anchor == "end" else lx - w / 2
        box = (left, ly - h + 3, left + w, ly + 3)
        inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
        if inside and not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
        ):
            taken.append(box)
            return lx, ly, anchor
    return None


def fleet_map(points: Sequence[MapPoint], width: int = 640, height: int = 380) -> Markup:
    """Vehicles as dots on a graticule (the offline map, and the fallback of the tiled one). Labels
    never overlap: one that finds no free place around its dot is left out (hover shows it)."""
    parts = [
        f'<svg class="fleet-map" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(tr(FLEET_POSITIONS))}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="0" width="{width}" height="{height}" class="map-bg"/>'
    ]
    if not points:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="map-empty">'
            f"{escape(tr(NO_POSITIONS))}</text></svg>"
        )
        return Markup("".join(parts))
    xy, grid = _frame([p.lat for p in points], [p.lon for p in points], width, height)
    parts += grid
    ordered = sorted(points, key=lambda p: p.state != "alert")  # alerts' labels placed first
    radius = {p.label: 8 if p.state == "alert" else 6 for p in points}
    taken = [
        (x - radius[p.label], y - radius[p.label], x + radius[p.label], y + radius[p.label])
        for p in points
        for x, y in [xy(p.lat, p.lon)]
    ]
    labels = {}
    for p in ordered:
        x, y = xy(p.lat, p.lon)
        taken.remove((x - radius[p.label], y - radius[p.label], x + radius[p.label], y + radius[p.label]))
        labels[p.label] = _place_label(x, y, p.label, radius[p.label], taken, width, height)
        taken.append((x - radius[p.label], y - radius[p.label], x + radius[p.label], y + radius[p.label]))
    for p in reversed(ordered):  # alerts drawn last, on top
        x, y = xy(p.lat, p.lon)
        name = escape(p.label)
        where = labels[p.label]
        text = (
            f'<text x="{where[0]:.1f}" y="{where[1]:.1f}" text-anchor="{where[2]}">{name}</text>'
            if where
            else ""
        )
        dot = (
            f'<g class="map-dot {p.state}" data-vehicle="{name}"><title>{name} ({escape(label(p.state))})</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius[p.label]}"/>{text}</g>'
        )
        parts.append(f'<a href="{escape(p.href)}">{dot}</a>' if p.href else dot)
    parts.append("</svg>")
    return Markup("".join(parts))


def route_map(
    trips: Sequence[Sequence[tuple[float, float]]],
    width: int = 640,
    height: int = 380,
    empty: str = "No positions on this day",
) -> tuple[Markup, list[list[tuple[float, float]]]]:
    """Routes (each a list of (lat, lon)) as lines on a graticule, offline, with a replay dot the
    page's script moves; also the points' positions in the drawing, for that script."""
    points = [p for trip in trips for p in trip]
    parts = [
        f'<svg class="fleet-map route-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(tr(ROUTE))}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="0" width="{width}" height="{height}" class="map-bg"/>'
    ]
    if not points:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="map-empty">'
            f"{escape(tr(empty))}</text></svg>"
        )
        return Markup("".join(parts)), []
    xy, grid = _frame([p[0] for p in points], [p[1] for p in points], width, height)
    parts += grid
    projected = []
    for i, trip in enumerate(trips):
        line = [xy(lat, lon) for lat, lon in trip]
        projected.append(line)
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(f'<polyline class="route-line" data-trip="{i}" points="{coords}"/>')
        if line:
            parts.append(f'<circle class="route-start" cx="{line[0][0]:.1f}" cy="{line[0][1]:.1f}" r="4"/>')
    x0, y0 = projected[0][0] if projected and projected[0] else (width / 2, height / 2)
    parts.append(f'<circle class="replay-dot" cx="{x0:.1f}" cy="{y0:.1f}" r="7"/></svg>')
    return Markup("".join(parts)), projected


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step)))


def bar_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    unit: str = "",
    stacked: bool = True,
    integers: bool = False,
    width: int = 560,
    height: int = 240,
) -> Markup:
    """Vertical bars per category; several series are stacked (or side by side), with a legend."""
    left, right, top, bottom = 44, 12, 28, 40
    names = list(series)
    totals = [
        sum(series[n][i] for n in names) if stacked else max((series[n][i] for n in names), default=0)
        for i in range(len(categories))
    ]
    top_value = max(totals, default=0) or 1
    step = _nice_step(top_value, 4)
    step = max(step, 1) if integers else step  # counts: no half-records on the axis
    top_value = math.ceil(top_value / step) * step
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>'
    ]
    for i in range(int(round(top_value / step)) + 1):
        value = i * step
        y = top + plot_h - value / top_value * plot_h
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value:g}</text>'
        )
    if not categories:
        out.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" class="axis">'
            f"{escape(tr(NO_DATA))}</text>"
        )
    slot = plot_w / max(len(categories), 1)
    bar_w = slot * 0.6 / (1 if stacked else max(len(names), 1))
    for i, cat in enumerate(categories):
        base = top + plot_h
        for k, name in enumerate(names):
            value = series[name][i]
            h = value / top_value * plot_h
            x = left + i * slot + slot * 0.2 + (0 if stacked else k * bar_w)
            y = base - h if stacked else top + plot_h - h
            if value:
                out.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}">'
                    f"<title>{escape(cat)} {escape(label(name))}: {value:g}{unit}</title></rect>"
                )
            if stacked:
                base -= h
        out.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'class="axis">{escape(cat)}</text>'
        )
    x = left
    for k, name in enumerate(names if len(names) > 1 else []):
        out.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{height - 5}" class="legend">{escape(label(name))}</text>'
        )
        x += 24 + 7 * len(label(name))
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class Bar:
    row: str
    start: datetime
    end: datetime
    label: str
    state: str  # css class: booked | checked_out | returned | cancelled


def timeline(
    rows: Sequence[str], bars: Sequence[Bar], start: datetime, end: datetime, *, width: int = 1240
) -> Markup:
    """One lane per vehicle and a bar per booking over [start, end): who has which vehicle when."""
    left, top, lane = 80, 22, 26
    height = top + lane * max(len(rows), 1) + 6
    span = (end - start).total_seconds()
    plot = width - left - 8

    def x(t: datetime) -> float:
        return left + max(0.0, min(1.0, (t - start).total_seconds() / span)) * plot

    out = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(tr(BOOKINGS_TIMELINE))}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    days = max(1, round(span / 86400))
    for d in range(days + 1):
        t = start + timedelta(days=d)
        out.append(f'<line x1="{x(t):.1f}" y1="{top - 4}" x2="{x(t):.1f}" y2="{height}" class="grid"/>')
        if d < days:
            out.append(
                f'<text x="{x(t) + 3:.1f}" y="{top - 8}" class="axis">{current().datetime(t, "day")}</text>'
            )
    for i, row in enumerate(rows):
        y = top + i * lane
        out.append(
            f'<text x="4" y="{y + lane / 2 + 4:.1f}" class="lane-label">{escape(row)}</text>'
            f'<line x1="{left}" y1="{y + lane}" x2="{width - 8}" y2="{y + lane}" class="lane"/>'
        )
    for bar in bars:
        if bar.row not in rows or bar.end <= start or bar.start >= end:
            continue
        y = top + rows.index(bar.row) * lane + 4
        x0, x1 = x(bar.start), x(bar.end)
        out.append(
            f'<g class="bar {bar.state}"><title>{escape(bar.label)}</title>'
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 3):.1f}" height="{lane - 8}" rx="4"/>'
            + (
                f'<text x="{x0 + 4:.1f}" y="{y + lane / 2 + 1:.1f}">{escape(bar.label)}</text>'
                if x1 - x0 > 60
                else ""
            )
            + "</g>"
        )
    out.append("</svg>")
    return Markup("".join(out))
