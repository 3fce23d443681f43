"""results.parquet, written in row groups as the rows stream past (pyarrow is the optional extra `parquet`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.engine.tables import fmt
from model.extras import missing_text

logger = logging.getLogger(__name__)

BATCH_ROWS = 1024


class ParquetSink:
    """Columns: point, replication, seed (integers), the factors (bool, int, float or text), outcomes, error."""

    def __init__(self, path: Path, schema: Any, pa: Any, pq: Any) -> None:
        self._pa = pa
        self._schema = schema
        self._writer = pq.ParquetWriter(path, schema)
        self._rows: list[list[Any]] = []

    @classmethod
    def open(
        cls, path: Path, factors: Sequence[str], points: Sequence[dict[str, Any]], outcomes: Sequence[str]
    ) -> ParquetSink | None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            logger.warning(missing_text("pyarrow", f"writing {path.name}", "only results.csv was written"))
            return None
        types = [pa.int64(), pa.int64(), pa.uint64()]
        types += [_arrow_type(pa, [p[f] for p in points]) for f in factors]
        types += [pa.float64()] * len(outcomes) + [pa.string()]
        columns = ["point", "replication", "seed", *factors, *outcomes, "error"]
        schema = pa.schema([pa.field(c, t) for c, t in zip(columns, types, strict=True)])
        return cls(path, schema, pa, pq)

    def add(self, row: list[Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        arrays = []
        for j, field in enumerate(self._schema):
            column = [r[j] for r in self._rows]
            if field.name == "error":
                column = [v or None for v in column]
            elif self._pa.types.is_string(field.type):
                column = [fmt(v) for v in column]
            arrays.append(self._pa.array(column, type=field.type))
        self._writer.write_table(self._pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _arrow_type(pa: Any, values: Sequence[Any]) -> Any:
    """bool, int64 or float64 when every value of the factor is one, else text."""
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if any(isinstance(v, bool | str) for v in values):
        return pa.string()
    if all(isinstance(v, int) for v in values):
        return pa.int64()
    return pa.float64()
