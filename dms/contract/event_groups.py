"""Which driver events count as fatigue and which as distraction, for everyone who groups them."""

from __future__ import annotations

from dms.contract.messages import DriverEventType as T

FATIGUE: tuple[str, ...] = (T.DROWSINESS.value, T.MICROSLEEP.value, T.SLEEP.value)
DISTRACTION: tuple[str, ...] = (T.LONG_DISTRACTION.value, T.VATS.value, T.PHONE_USE.value)
