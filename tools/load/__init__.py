"""Load tools for the back office: simulated fleets (`dms simulate`) and raw message generators."""
