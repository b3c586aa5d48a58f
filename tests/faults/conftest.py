"""Fault-injection fixtures (the helpers live in support.py so fuzz and load tests share them)."""
from tests.faults.support import private_postgres  # noqa: F401
from tests.uplink.conftest import private_broker, recorder  # noqa: F401
