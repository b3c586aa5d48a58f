"""Build the Cython kernels of `native/`.

Everything else lives in pyproject.toml. A machine without a C compiler (or without Cython) still
installs: the kernels then run on their NumPy/Numba fallbacks, and one warning says so.
"""

import glob
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

FALLBACK_WARNING = (
    "WARNING: the Cython kernels of native/ were not built ({reason}); "
    "dms will use the slower NumPy/Numba fallbacks."
)


def _warn(reason):
    sys.stderr.write("\n" + FALLBACK_WARNING.format(reason=reason) + "\n\n")


class OptionalBuildExt(build_ext):
    """Compile what can be compiled; never fail the install over a missing compiler."""

    def run(self):
        try:
            super().run()
        except Exception as exc:
            _warn(f"{type(exc).__name__}: {exc}")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            _warn(f"{ext.name}: {type(exc).__name__}: {exc}")


def _extensions():
    sources = sorted(glob.glob(os.path.join("native", "*.pyx")))
    if not sources:
        return []
    try:
        import numpy
        from Cython.Build import cythonize
    except ImportError as exc:
        _warn(f"build requirement missing: {exc.name}")
        return []
    exts = cythonize(
        sources,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
        quiet=True,
    )
    for ext in exts:
        ext.include_dirs.append(numpy.get_include())
        ext.extra_compile_args.append("-O3")
    return exts


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
