"""What the browser app waits for, without a browser: building, stepping and drawing its panels.

For a scenario (default the article package, 30,000 firms) it times, `--repeats`
times and prints the medians of: building the page's model (both runs: current
settings and baseline), one year of both runs, the whole horizon, the three
charts of page 0, the side-by-side and top-destination tables, and the flow map
(drawing plus writing its PNG, as page 1 does at every render). The ratio of one
year to the horizon is printed beside, since absolute times on the shared
machine come and go.

    python -m benchmarks.bench_app [--scenario scenarios/article_package.yaml] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from app.maps import flow_map
from app.session import AppModel
from app.views import comparison_rows, cost_chart, jobs_chart, share_chart, top_destination_rows

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "article_package.yaml")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path, n = str(args.scenario), args.repeats

    def horizon() -> AppModel:
        m = AppModel(path)
        m.run_to_end()
        return m

    build = timed(lambda: AppModel(path), n)

    def one_year() -> None:
        m = AppModel(path)
        t0 = time.perf_counter()
        m.step()
        years.append(time.perf_counter() - t0)

    years: list[float] = []
    for _ in range(n):
        one_year()
    year = statistics.median(years)
    whole = timed(horizon, n)
    done = horizon()

    def png() -> None:
        flow_map(done).savefig(io.BytesIO(), format="png", dpi=150)

    charts = timed(
        lambda: [f(done).savefig(io.BytesIO(), format="png") for f in (jobs_chart, share_chart, cost_chart)], n
    )
    tables = timed(lambda: (comparison_rows(done), top_destination_rows(done)), n)
    the_map = timed(png, max(1, n // 2))
    firms = done.settings.firms.count
    print(f"{args.scenario.name}, {firms:,} firms, both runs (current + baseline), median of {n}:")
    print(f"  build the page's model     {build * 1e3:8.0f} ms")
    print(f"  one year (both runs)       {year * 1e3:8.0f} ms   ({year / whole:.1%} of the horizon)")
    print(f"  the whole horizon          {whole * 1e3:8.0f} ms   ({len(done.years())} years, build included)")
    print(f"  jobs and costs: 3 charts  {charts * 1e3:8.0f} ms")
    print(f"  side-by-side + top table   {tables * 1e3:8.0f} ms")
    print(f"  map page: map + PNG       {the_map * 1e3:8.0f} ms")


if __name__ == "__main__":
    main()
