"""Speed benchmarks: scripts that print figures (see README.md).

Each keeps to one BLAS thread, as a command does (experiments.engine.prestart.one_blas_thread):
this package is imported before a script's numpy, so the setting holds for what it times.
"""

from experiments.engine.prestart import one_blas_thread

one_blas_thread()
