"""One BLAS thread per process of a command (experiments.engine.prestart.ONE_THREAD).

The engine's workers are the parallelism; a BLAS thread pool per worker made a
30,000-element dot product wait milliseconds for a core. The pool's workers
start with one BLAS thread, the command line sets the same before numpy loads,
and a value the user set is kept. Subprocesses, so that this test process's
own fork server and environment do not matter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER_SCRIPT = textwrap.dedent(
    """
    import os
    def env():
        return os.environ.get("OPENBLAS_NUM_THREADS"), os.environ.get("OMP_NUM_THREADS")
    if __name__ == "__main__":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from experiments.engine.prestart import start_helpers
        start_helpers()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
            worker = pool.submit(env).result()
        print(worker[0], worker[1], os.environ.get("OPENBLAS_NUM_THREADS"))
    """
)


def _run(script: str, env: dict[str, str], tmp_path: Path) -> str:
    path = tmp_path / "script.py"
    path.write_text(script, encoding="utf-8")
    full = {**env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(path)], env=full, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _clean_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }


def test_pool_workers_start_with_one_blas_thread_and_the_parent_is_left_as_it_was(tmp_path: Path) -> None:
    worker_blas, worker_omp, parent = _run(WORKER_SCRIPT, _clean_env(), tmp_path)
    assert (worker_blas, worker_omp) == ("1", "1")
    assert parent == "None"  # start_helpers sets them for the fork server only


def test_a_thread_count_the_user_set_is_kept(tmp_path: Path) -> None:
    worker_blas, worker_omp, parent = _run(WORKER_SCRIPT, {**_clean_env(), "OPENBLAS_NUM_THREADS": "3"}, tmp_path)
    assert (worker_blas, worker_omp, parent) == ("3", "1", "3")


def test_the_command_line_sets_one_thread_before_numpy_is_imported(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        import cli
        assert "numpy" not in sys.modules
        cli.main(["--version"])
        print(os.environ.get("OPENBLAS_NUM_THREADS"), "numpy" in sys.modules)
        """
    )
    out = _run(script, _clean_env(), tmp_path)
    assert out[-2:] == ["1", "False"]
