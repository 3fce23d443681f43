"""The engine room.

how any command runs (protocol, pipeline, pool or Dask, workers, run store, result folders, seeds, provenance,
progress). It knows no command by name: commands reach it through experiments.registry.
"""
