"""Hot-path kernels: Cython extensions with Numba and NumPy fallbacks of the same functions.

    from native import warp_to_tensor, backproject, IMPLEMENTATION

`IMPLEMENTATION` says which one was loaded: "cython" (built by setup.py), else "numba", else "numpy"
(native.reference, the definition the others are tested against). DMS_NATIVE=numba|numpy forces a
slower one (benchmarks, tests).
"""

from __future__ import annotations

import os

_forced = os.environ.get("DMS_NATIVE", "")


def _load():
    if _forced in ("", "cython"):
        try:
            from native import _kernels

            return "cython", _kernels
        except ImportError:
            pass
    if _forced in ("", "cython", "numba"):
        try:
            from native import numba_kernels

            return "numba", numba_kernels
        except ImportError:
            pass
    from native import reference

    return "numpy", reference


IMPLEMENTATION, _impl = _load()
warp_to_tensor = _impl.warp_to_tensor
backproject = _impl.backproject

__all__ = ["IMPLEMENTATION", "backproject", "warp_to_tensor"]
