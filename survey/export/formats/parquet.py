"""Parquet: an explicit schema, rows written in record batches (constant memory); text kept
exactly as answered (no formulas in Parquet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from survey.export.documentation import facts
from survey.export.flatten import Column
from survey.export.model import Export, Format

PARQUET_BATCH_ROWS = 5000


def _number_cells(export: Export, column: Column) -> bool:
    """Whether a column's cells are numbers in this export (labels turn categories into text)."""
    if not column.numeric:
        return False
    return not (export.options.labels and column.is_categorical and not column.boolean)


def _arrow_type(export: Export, column: Column) -> Any:
    import pyarrow as pa

    if not _number_cells(export, column):
        return pa.string()
    return pa.float64() if column.decimals else pa.int64()


def _schema(export: Export) -> Any:
    """Text as string, whole numbers and codes as int64, decimals as float64, all nullable;
    each field carries its label, the file the export's facts and codebook."""
    import pyarrow as pa

    fields = [
        pa.field(
            column.name,
            _arrow_type(export, column),
            nullable=True,
            metadata={"label": export.label(column), "kind": column.kind},
        )
        for column in export.columns
    ]
    return pa.schema(
        fields,
        metadata={
            "survey.about": json.dumps(facts(export), ensure_ascii=False),
            "survey.codebook": json.dumps(export.codebook(), ensure_ascii=False, default=str),
        },
    )


def write_parquet(export: Export, path: Path) -> None:
    """Parquet with an explicit schema, written in record batches of PARQUET_BATCH_ROWS."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema(export)
    numbers = [_number_cells(export, column) for column in export.columns]

    def batch(rows: list[list[Any]]) -> Any:
        arrays = []
        for index, field in enumerate(schema):
            values = [row[index] for row in rows]
            if not numbers[index]:
                values = [None if value is None else str(value) for value in values]
            arrays.append(pa.array(values, type=field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    with pq.ParquetWriter(str(path), schema) as writer:
        rows: list[list[Any]] = []
        for cells in export.cells():
            rows.append(cells)
            if len(rows) >= PARQUET_BATCH_ROWS:
                writer.write_batch(batch(rows))
                rows = []
        if rows or export.total == 0:
            writer.write_batch(batch(rows))


FORMAT = Format(
    name="parquet",
    extension="parquet",
    label="Parquet",
    write=write_parquet,
    libraries=("pyarrow",),
)
