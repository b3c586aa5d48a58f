"""E-NCAP style scenario evaluation: clips + expectations -> detected / latency / deadline / pass."""

from edge.scenarios.run import ScenarioSettings, run_scenarios

__all__ = ["ScenarioSettings", "run_scenarios"]
