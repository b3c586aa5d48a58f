"""Driver-state policy: Euro NCAP timings over per-frame signals, with explicit time."""

from edge.policy.events import START_LEVEL, PolicyEvent
from edge.policy.monitor import DriverMonitor
from edge.policy.settings import PolicySettings

__all__ = ["START_LEVEL", "DriverMonitor", "PolicyEvent", "PolicySettings"]
