"""Columnar state: tables of declared, typed columns, one row per individual.

A `Table` subclass declares its columns as class attributes (`passion = Column(np.float32,
0.0, ("themes",))`); every instance holds one numpy array per column under the column's name,
grown by doubling so that appending rows costs amortized O(1). Tables whose rows are the same
individuals (a rule's own state about people, say) are attached to the table that owns the
rows and grow, and shrink, with it.

A table that declares an `id` column gives each new row the next id, and keeps the row of every
id it ever gave (-1 once the row is dropped), so that rows can be dropped (`keep`) while what
is recorded about individuals keeps referring to them by id. A column that holds rows of a
table (`refers="people"`) is declared as such, so that those references can be remapped when
that table drops rows.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

S = TypeVar("S", bound=np.generic)


class Column(Generic[S]):
    """A declared column: dtype, fill value of new rows, trailing shape and meaning.

    Args:
        dtype: the numpy scalar type of the column.
        fill: the value of a new row.
        shape: trailing dimensions; an entry may name a dimension of the table ("themes").
        doc: what the column holds.
        per_membership: the value belongs to the person's current membership, and goes back
            to `fill` when the person changes tribe (see `model.state.State.move`).
        role: the value is a person holding a role in this row's tribe, vacated (set to
            `fill`) when that person leaves the tribe.
        refers: the values are rows of the table named so ("people", "tribes"), negative for
            none; they are remapped when that table drops rows.
        primary: for a column with a trailing dimension (one value per membership, say), the
            name under which the table also offers its first entry of every row, as a 1-D
            view (`tribe` for `memberships[:, 0]`): written through, no copy.
    """

    name: str

    def __init__(self, dtype: type[S], fill: Any, shape: tuple[int | str, ...] = (), *,
                 doc: str = "", per_membership: bool = False, role: bool = False,
                 refers: str = "", primary: str = "") -> None:
        self.dtype = dtype
        self.fill = fill
        self.shape = shape
        self.doc = doc
        self.per_membership = per_membership
        self.role = role
        self.refers = refers
        self.primary = primary

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, table: None, owner: type) -> Column[S]: ...

    @overload
    def __get__(self, table: Table, owner: type) -> NDArray[S]: ...

    def __get__(self, table: Table | None, owner: type) -> Column[S] | NDArray[S]:
        # a non-data descriptor: an instance finds its array in its own __dict__ first, so
        # this runs only for the class (the declaration) or before the table is built
        if table is None:
            return self
        raise AttributeError(f"{owner.__name__}.{self.name} is not allocated")


class Table:
    """Struct-of-arrays storage of declared columns with amortized growth.

    Attributes:
        n: rows in use.
        allocated: rows allocated.
        dims: named trailing dimensions (e.g. themes=8).
    """

    columns: ClassVar[dict[str, Column[Any]]] = {}
    per_membership: ClassVar[tuple[Column[Any], ...]] = ()
    roles: ClassVar[tuple[Column[Any], ...]] = ()
    references: ClassVar[tuple[Column[Any], ...]] = ()
    primaries: ClassVar[tuple[Column[Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Column[Any]] = {}
        for klass in reversed(cls.__mro__):
            declared.update({name: value for name, value in vars(klass).items()
                             if isinstance(value, Column)})
        cls.columns = declared
        cls.per_membership = tuple(c for c in declared.values() if c.per_membership)
        cls.roles = tuple(c for c in declared.values() if c.role)
        cls.references = tuple(c for c in declared.values() if c.refers)
        cls.primaries = tuple(c for c in declared.values() if c.primary)

    def __init__(self, capacity: int = 16, **dims: int) -> None:
        self.dims = dims
        self.n = 0
        self.allocated = max(int(capacity), 1)
        self.attached: list[Table] = []
        self.identified = "id" in self.columns
        self.issued = 0  # ids given so far
        self.row_of_id = np.full(self.allocated if self.identified else 0, -1, dtype=np.int64)
        for name, column in self.columns.items():
            self.__dict__[name] = np.full((self.allocated, *self._shape(column)), column.fill,
                                          dtype=column.dtype)
        self._views()

    def _views(self) -> None:
        """Point each declared primary view at the first entry of its column's rows."""
        for column in self.primaries:
            self.__dict__[column.primary] = self.__dict__[column.name][:, 0]

    def _shape(self, column: Column[Any]) -> tuple[int, ...]:
        return tuple(self.dims[d] if isinstance(d, str) else d for d in column.shape)

    def array(self, name: str) -> np.ndarray:
        """The whole (allocated) array of column `name`."""
        array: np.ndarray = self.__dict__[name]
        return array

    def attach(self, table: Table) -> None:
        """Make `table` (same rows, same count) grow and shrink with this one."""
        if table.n != self.n:
            raise ValueError(f"attach: the table has {table.n} rows; allowed: {self.n} (the "
                             "rows of the table it attaches to)")
        self.attached.append(table)

    def append(self, count: int) -> np.ndarray:
        """Add `count` rows holding the fill values (in attached tables too); return their
        indices."""
        needed = self.n + count
        if needed > self.allocated:
            capacity = max(needed, 2 * self.allocated)
            for name, column in self.columns.items():
                grown = np.full((capacity, *self._shape(column)), column.fill,
                                dtype=column.dtype)
                grown[: self.n] = self.array(name)[: self.n]
                self.__dict__[name] = grown
            self.allocated = capacity
            self._views()
        rows = np.arange(self.n, needed)
        self.n = needed
        if self.identified:
            ids = np.arange(self.issued, self.issued + count)
            if self.issued + count > len(self.row_of_id):
                grown = np.full(max(self.issued + count, 2 * len(self.row_of_id)), -1,
                                dtype=np.int64)
                grown[: self.issued] = self.row_of_id[: self.issued]
                self.row_of_id = grown
            self.row_of_id[ids] = rows
            self.array("id")[rows] = ids
            self.issued += count
        for table in self.attached:
            table.append(count)
        return rows

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The current rows of the given ids (-1 for a dropped row, or a negative id)."""
        ids = np.asarray(ids, dtype=np.int64)
        known = (ids >= 0) & (ids < self.issued)
        found: np.ndarray = np.where(known, self.row_of_id[np.where(known, ids, 0)], -1)
        return found

    def keep(self, mask: np.ndarray) -> np.ndarray:
        """Drop the rows where `mask` (over the first n rows) is False, preserving order (in
        attached tables too); return each old row's new row (-1 if dropped)."""
        kept = int(mask.sum())
        new_row = np.full(self.n, -1, dtype=np.int64)
        new_row[mask] = np.arange(kept)
        if self.identified:
            ids = self.array("id")[: self.n]
            self.row_of_id[ids] = new_row
        for name in self.columns:
            column = self.array(name)
            column[:kept] = column[: self.n][mask]
            column[kept: self.n] = self.columns[name].fill
        self.n = kept
        for table in self.attached:
            table.keep(mask)
        return new_row
