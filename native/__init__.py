"""Hot-path kernels: Cython extensions with NumPy/Numba fallbacks of the same functions."""
