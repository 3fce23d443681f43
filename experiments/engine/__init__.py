"""The engine room: how any command runs. The Experiment and Report protocols, the one pipeline, the local
pool or Dask, workers, the run store, result folders, seeds, provenance, progress. It knows no command by name:
commands reach it through experiments.registry (tests/test_layout.py checks)."""
