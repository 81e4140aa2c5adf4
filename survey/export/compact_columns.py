"""The whole table of an SPSS (.sav) or Stata (.dta) export, in compact columns.

pyreadstat writes both from one pandas DataFrame, so these are the exports that hold the whole
table. They hold it light: the rows stream in from the database and are typed batch by batch,
each column into arrays that hold no Python object per cell.

- A numeric column (numbers, 0/1, every column with value labels) is a numpy array of the
  narrowest whole-number type that holds its values (8 bits for codes and 0/1), with a mask for
  the empty cells; it starts as narrow as its declared numbers allow and is widened the moment
  a value does not fit, up to 64-bit floats (decimals, or a number too large for a Stata long).
  The arrays are allocated for the count of responses and grown if more rows come.
- A text column is Arrow strings (UTF-8 bytes and 32-bit offsets), one chunk per batch.

The column's declaration decides its type (`is_numeric`, `decimals`, `numbers`), never its
name. Both files store every whole number as a 32-bit integer (an SPSS reader sees a double,
as SPSS stores every number; Stata a long), which holds every value exactly.
Text stays exactly as it was answered: these files have no formulas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from survey.export.flatten import Column
from survey.export.model import Export, ExportError
from survey.export.statistical import is_numeric, without_nul

STATISTICAL_BATCH_ROWS = 1024
# The whole-number types a column may be held in, narrowest first, with the values each holds
# here. The widest stops where Stata's long does (larger longs are its missing values).
_WHOLE_TYPES: tuple[tuple[Any, int, int], ...] = (
    (np.int8, -128, 127),
    (np.int16, -32768, 32767),
    (np.int32, -2_147_483_647, 2_147_483_620),
)
_NUMBER_CLASSES = frozenset((int, float, bool, type(None)))


def _whole_type(low: float, high: float) -> Any:
    """The narrowest whole-number type holding low..high; None if none does."""
    for dtype, smallest, largest in _WHOLE_TYPES:
        if smallest <= low and high <= largest:
            return dtype
    return None


class NumberColumn:
    """One numeric column as its rows come in: `values` (whole-number type or float64) and,
    while whole, `missing` (True = empty cell). Allocated for `capacity` rows, grown as needed."""

    def __init__(self, column: Column, capacity: int):
        self.column = column
        declared = [*column.numbers.values(), *column.missing_codes]
        dtype = np.float64 if column.decimals else np.int8
        if declared and not column.decimals:
            dtype = _whole_type(min(declared), max(declared)) or np.float64
        self.values: np.ndarray[Any, Any] = np.zeros(capacity, dtype=dtype)
        self.missing: np.ndarray[Any, Any] | None = (
            None if dtype is np.float64 else np.zeros(capacity, dtype=np.bool_)
        )
        self.count = 0

    @property
    def whole(self) -> bool:
        return self.missing is not None

    def add(self, cells: Sequence[Any]) -> None:
        """Append one batch of cells (numbers, None = empty)."""
        if not _NUMBER_CLASSES.issuperset(map(type, cells)):
            bad = next(cell for cell in cells if type(cell) not in _NUMBER_CLASSES)
            raise ExportError(
                f"column {self.column.name}: value {bad!r} has no number in the codebook"
            )
        batch = np.array(cells, dtype=np.float64)  # None -> NaN, True -> 1.0
        empty = np.isnan(batch)
        if self.whole:
            self._fit(batch[~empty])
        end = self.count + len(batch)
        if end > len(self.values):
            self._grow(end)
        if self.missing is None:
            self.values[self.count : end] = batch
        else:
            self.values[self.count : end] = np.where(empty, 0, batch)
            self.missing[self.count : end] = empty
        self.count = end

    def _fit(self, present: np.ndarray[Any, Any]) -> None:
        """Widen the column's type if these values do not fit in it."""
        if not present.size:
            return
        low, high = float(present.min()), float(present.max())
        whole = math.isfinite(low) and math.isfinite(high) and np.all(np.trunc(present) == present)
        dtype = _whole_type(low, high) if whole else None
        if dtype is None:  # a decimal, or too large: floats from now on, NaN for empty
            widened = self.values.astype(np.float64)
            assert self.missing is not None
            widened[self.missing] = np.nan
            self.values, self.missing = widened, None
        elif np.dtype(dtype).itemsize > self.values.dtype.itemsize:
            self.values = self.values.astype(dtype)

    def _grow(self, needed: int) -> None:
        size = max(needed, len(self.values) * 3 // 2, STATISTICAL_BATCH_ROWS)
        grown = np.zeros(size, dtype=self.values.dtype)
        grown[: self.count] = self.values[: self.count]
        self.values = grown
        if self.missing is not None:
            mask = np.zeros(size, dtype=np.bool_)
            mask[: self.count] = self.missing[: self.count]
            self.missing = mask

    def array(self) -> Any:
        """The column for pandas: nullable whole numbers, or float64 with NaN for empty."""
        import pandas as pd

        values = self.values[: self.count]
        if self.missing is None:
            return values
        return pd.arrays.IntegerArray(values, self.missing[: self.count])

    def with_letters(self, letters: dict[int, str]) -> Any | None:
        """The column with each missing-value number written as its letter (Stata's extended
        missing values), if any cell holds one; None otherwise. The cells point to one shared
        object per distinct value; numbers as floats, so the column stays a double: pyreadstat
        (1.3) reads a long's system missing value as 0 where a letter is beside it."""
        values = self.values[: self.count]
        present = ~self.missing[: self.count] if self.missing is not None else ~np.isnan(values)
        distinct, positions = np.unique(values[present], return_inverse=True)
        if not any(value in letters for value in distinct.tolist()):
            return None
        shared = np.empty(len(distinct), dtype=object)
        shared[:] = [letters.get(value, float(value)) for value in distinct.tolist()]
        cells = np.full(self.count, None, dtype=object)
        cells[present] = shared[positions]
        return cells


class TextColumn:
    """One text column as its rows come in: Arrow strings, one chunk per batch; empty is ""."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []

    def add(self, cells: Sequence[Any]) -> None:
        import pyarrow as pa

        texts = ["" if cell is None else without_nul(str(cell)) for cell in cells]
        self.chunks.append(pa.array(texts, type=pa.string(), memory_pool=_text_memory()))

    def array(self) -> Any:
        import pandas as pd
        import pyarrow as pa

        return pd.arrays.ArrowExtensionArray(pa.chunked_array(self.chunks, type=pa.string()))


def _text_memory() -> Any:
    """The C allocator's pool: Arrow's default (mimalloc or jemalloc) keeps much of what it
    freed, about 20 MiB over the small batches of 100,000 responses."""
    import pyarrow as pa

    return pa.system_memory_pool()


TypedColumn = NumberColumn | TextColumn


def typed_columns(export: Export) -> list[TypedColumn]:
    """Every column of the export, filled batch by batch from its rows (SPSS and Stata need
    the whole table at once)."""
    capacity = max(export.total, 1)
    columns: list[NumberColumn | TextColumn] = [
        NumberColumn(column, capacity) if is_numeric(column) else TextColumn()
        for column in export.columns
    ]
    batch: list[list[Any]] = []
    for values in export.numbered():
        batch.append(values)
        if len(batch) == STATISTICAL_BATCH_ROWS:
            _add(columns, batch)
            batch = []
    _add(columns, batch)
    return columns


def _add(columns: list[NumberColumn | TextColumn], batch: list[list[Any]]) -> None:
    if not batch:
        return
    for column, cells in zip(columns, zip(*batch, strict=True), strict=True):
        column.add(cells)
