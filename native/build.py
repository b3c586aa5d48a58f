"""Build the Cython kernels in place, for a checkout: `python -m native.build`.

`pip install` builds them through setup.py; this does the same for a developer tree without
reinstalling (and without setuptools reading pyproject.toml). Prints where the module went.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build() -> list[Path]:
    import numpy

    try:
        from Cython.Build import cythonize
    except ImportError:
        sys.exit(
            "Cython is not installed (pip install -e '.[tools]'); native/ stays on its Numba/NumPy fallback"
        )

    built = []
    for pyx in sorted(HERE.glob("*.pyx")):
        cythonize([str(pyx)], quiet=True, compiler_directives={"language_level": "3"})
        target = pyx.with_suffix(sysconfig.get_config_var("EXT_SUFFIX"))
        cc = sysconfig.get_config_var("CC").split()[0] or "cc"
        subprocess.check_call(
            [
                cc,
                "-O3",
                "-shared",
                "-fPIC",
                "-I" + sysconfig.get_paths()["include"],
                "-I" + numpy.get_include(),
                str(pyx.with_suffix(".c")),
                "-o",
                str(target),
            ]
        )
        built.append(target)
    return built


if __name__ == "__main__":
    for path in build():
        print(path)
    sys.exit(0)
