"""The app's flow map: the reports' flow map (`report.figures.flow_map`) drawn from the running model."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from app.session import AppModel
from report.figures.flow_map import flow_map_figure
from report.tables import Results


def results_of(m: AppModel) -> Results:
    """The current settings' run so far, as the tables the report figures read (one replication)."""
    assert m.current is not None
    d = m.current.data
    pairs = {(d.place_ids[o], d.place_ids[t]): jobs for (o, t), jobs in m.pair_jobs().items()}
    by_dest: dict[str, np.ndarray] = {}
    for (_o, t), jobs in pairs.items():
        by_dest[t] = by_dest.get(t, np.zeros(1)) + jobs
    row = np.atleast_2d
    return Results(
        scenario=f"{m.settings.name} as set in the app",
        replications=1,
        years=m.years(),
        to_north_jobs=row(m.series("current", "to_north_jobs")),
        to_outside_jobs=row(m.series("current", "to_outside_jobs")),
        to_jiangsu_jobs=row(m.series("current", "to_jiangsu_jobs")),
        north_share_jobs=row(m.north_share("current")),
        horizon_north_share=None,
        places=m.places,
        jobs_by_destination=by_dest,
        jobs_by_pair=pairs,
    )


def flow_map(m: AppModel) -> Figure:
    """The flow map of the current settings' moves so far (the first year's map before any step)."""
    return flow_map_figure(results_of(m))
