"""Everything above the model: the commands that run it, and the engine they share.

Read the tree by role (data flows one way: plan → engine → run store → tables → report):

- `registry.py`: every command, its help and its arguments, and the class that plans and analyses it; the
  engine finds a command only here.
- `engine/`: how ANY command runs: the Experiment and Report protocols, the one pipeline, the local pool or
  Dask, workers, the run store, result folders, seeds, provenance, progress. It knows no command by name.
- `analysis/`: shared statistics: bounded intervals and paired differences, posterior ensembles and their
  effects, Shapley values, SALib.
- `design/`: files with a base scenario and dotted-key factors (experiments, calibrations), design points,
  command-line overrides.
- `facts/`: the article's stylized facts, what each measures in a run, the hindcast patterns, the null-model
  yardstick, and the hindcast's tables and figures.
- `adapters/`: EMA Workbench.
- one folder per command, holding what it plans, analyses, reports and draws: `run/`, `compare/`, `sweep/`,
  `sensitivity/`, `attribute/`, `calibrate/`, `validation/` (the `report` command).

The shared report kit (Markdown, HTML, table reading, figure style, names, labels, maps) is the top-level
`report/` package, which never imports a command.
"""
