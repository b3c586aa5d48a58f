"""Fault injection against real processes (all `slow`). The helpers live in tests/support/faults.py so
fuzz and load tests share them. Where each fault of issue 9 is tested:

| fault | test |
|---|---|
| broker restart under load, vehicle -> database | test_broker_restart_e2e.py |
| broker restart / down at start / flood, edge side | tests/uplink/test_faults.py |
| PostgreSQL stopped 30 s (gateway survives, or is SIGKILLed in it) | test_postgres_outage.py |
| kill -9 of the edge (broker up / down) | tests/uplink/test_faults.py::test_kill_9_mid_run_* |
| kill -9 of the gateway | tests/gateway/test_e2e.py::test_kill_9_mid_stream_and_restart_lose_nothing |
| disk full under the outbox (real tmpfs) | test_outbox_disk_full.py |
| corrupt outbox | test_corrupt_outbox.py (process), tests/uplink/test_outbox.py (unit) |
| wall-clock jumps on the device (libfaketime) | test_clock_jumps.py |
| thousands of fuzzed payloads through a live gateway | tests/fuzz/test_live_gateway_fuzz.py |
"""
