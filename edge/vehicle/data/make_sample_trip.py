"""Write sample_trip.csv: a plausible 8-minute drive (deterministic; rerun to reproduce the file).

City start, a short stop at a light, a highway stretch, back to town. The odometer crosses 15,000 km
about halfway, misfire code P0301 appears at 5:00 and stays, fuel and battery behave as in a car.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

HEADER = (
    "t_s,speed_kmh,odometer_km,latitude,longitude,heading_deg,fuel_pct,battery_v,engine_hours,"
    "engine_rpm,coolant_c,dtcs"
)


def target_speed(t: int) -> float:
    if t < 15:
        return 50 * t / 15
    if t < 110:
        return 50
    if t < 120:
        return 50 * (120 - t) / 10  # braking for a red light
    if t < 130:
        return 0
    if t < 150:
        return 60 * (t - 130) / 20
    if t < 180:
        return 60
    if t < 200:
        return 60 + 40 * (t - 180) / 20  # on-ramp
    if t < 400:
        return 100
    if t < 420:
        return 100 - 55 * (t - 400) / 20
    if t < 465:
        return 45
    return max(0.0, 45 * (480 - t) / 15)


def main() -> None:
    rng = random.Random(15000)
    lat, lon, heading = 52.5163, 13.3777, 70.0  # Berlin, where the demo fleet drives
    odometer, fuel, hours = 14995.20, 42.0, 1234.50
    lines = [HEADER]
    for t in range(481):
        speed = max(0.0, target_speed(t) + (rng.uniform(-1.5, 1.5) if target_speed(t) > 5 else 0))
        heading = (heading + rng.uniform(-2, 2) + (0.3 if 200 < t < 400 else 0)) % 360
        km = speed / 3600
        odometer += km
        lat += km * math.cos(math.radians(heading)) / 111.32
        lon += km * math.sin(math.radians(heading)) / (111.32 * math.cos(math.radians(lat)))
        fuel -= km * 0.07 + 0.0003
        hours += 1 / 3600
        rpm = 800 + speed * 28 + rng.uniform(-30, 30)
        coolant = min(90.0, 62 + t * 0.12)
        battery = 14.1 + rng.uniform(-0.08, 0.08)
        dtcs = "P0301" if t >= 300 else ""
        lines.append(
            f"{t},{speed:.1f},{odometer:.3f},{lat:.6f},{lon:.6f},{heading:.1f},{fuel:.2f},"
            f"{battery:.2f},{hours:.4f},{rpm:.0f},{coolant:.1f},{dtcs}"
        )
    out = Path(__file__).with_name("sample_trip.csv")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(lines) - 1} rows)")


if __name__ == "__main__":
    main()
