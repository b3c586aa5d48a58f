# Two entry points for a fresh machine (see README, Quick start):
#   make demo   - set up .venv and run the whole chain on embedded defaults
#   make test   - set up .venv (and the system packages the tests drive) and run every test stage
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_ARGS ?=

.PHONY: demo test test-fast test-slow test-arm64 bench schemas clean

$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dms needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dms demo $(DEMO_ARGS)

test: $(STAMP)
	@bash scripts/ensure_system_packages.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -m "not slow and not browser" -q
	$(PY) -m pytest -m "slow or browser" -q

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser" -q

test-slow: $(STAMP)
	$(PY) -m pytest -m "slow or browser" -q

# Before a release, not part of `make test`: the edge installed and compared in an emulated arm64 Debian
# userland (debootstrap + qemu-user; root; ~15-25 min; tools/release/arm64.py, README "arm64").
test-arm64: $(STAMP)
	$(PY) -m tools.release.arm64

# MediaPipe 0.10.14 (the reference) needs NumPy 1.x: it gets a venv of its own, run as a subprocess.
MP_VENV := .venv-mediapipe
MP_PYTHON ?= python3.11
BENCH_ARGS ?= --pipeline --gateway

$(MP_VENV)/.installed:
	$(MP_PYTHON) -m venv $(MP_VENV)
	$(MP_VENV)/bin/pip install --quiet mediapipe==0.10.14 "numpy<2" opencv-python-headless
	@touch $@

bench: $(STAMP) $(MP_VENV)/.installed
	$(PY) -m native.build
	$(PY) -m pytest -q -p no:cacheprovider benchmarks/test_kernels_speed.py --benchmark-only --benchmark-columns=min,median,rounds
	$(VENV)/bin/dms bench --mediapipe-python $(MP_VENV)/bin/python $(BENCH_ARGS)

schemas: $(STAMP)
	$(PY) -m dms.contract.export docs/contract
	$(PY) -m dealer_portal.exchange.schema docs/exchange

clean:
	rm -rf $(VENV) $(MP_VENV) build *.egg-info native/*.c native/*.so
