"""Search-space algebra: the space shared by trials, and random-access grid indexing.

Example:
    >>> from tunelab._space import Grid
    >>> g = Grid({"lr": [1e-3, 1e-2], "depth": [4, 8, 16]})
    >>> len(g), g[0], g[5]
    (6, {'lr': 0.001, 'depth': 4}, {'lr': 0.01, 'depth': 16})
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from tunelab._records import FrozenTrial
from tunelab._typing import ParamValue
from tunelab.distributions import BaseDistribution

__all__ = ["Grid", "intersection_search_space"]


def intersection_search_space(
    trials: Iterable[FrozenTrial], *, include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The parameters that every given finished trial has, with the same distribution.

    Only COMPLETE trials count (and PRUNED ones when ``include_pruned``), so a space that
    grows or shrinks during a study is captured by what all of its finished trials share.
    The result is sorted by parameter name, so its order never depends on history order.

    Example:
        >>> from tunelab import FrozenTrial, TrialState
        >>> from tunelab.distributions import FloatDistribution
        >>> d = FloatDistribution(0, 1)
        >>> t1 = FrozenTrial(trial_id=0, number=0, state=TrialState.COMPLETE, values=(1.0,),
        ...                  params={"x": 0.1, "y": 0.2}, distributions={"x": d, "y": d})
        >>> t2 = FrozenTrial(trial_id=1, number=1, state=TrialState.COMPLETE, values=(1.0,),
        ...                  params={"x": 0.3}, distributions={"x": d})
        >>> list(intersection_search_space([t1, t2]))
        ['x']
    """
    from tunelab._records import TrialState

    states = {TrialState.COMPLETE, TrialState.PRUNED} if include_pruned else {TrialState.COMPLETE}
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        if trial.state not in states:
            continue
        if space is None:
            space = dict(trial.distributions)
            continue
        for name in list(space):
            if trial.distributions.get(name) != space[name]:
                del space[name]
    return {name: space[name] for name in sorted(space)} if space else {}


class Grid(Sequence[dict[str, ParamValue]]):
    """Every combination of some value lists, addressable by index without enumerating.

    Index ``i`` is decoded as a mixed-radix number (``divmod``): the last name varies
    fastest. Iteration, ``len`` and indexing are all O(number of names).

    Args:
        values: For each parameter name, a non-empty sequence of distinct values.

    Raises:
        ValueError: A name has no values or a repeated value.
    """

    def __init__(self, values: Mapping[str, Sequence[ParamValue]]) -> None:
        self._names = tuple(values)
        self._values = tuple(tuple(values[n]) for n in self._names)
        for name, vals in zip(self._names, self._values, strict=True):
            if not vals:
                raise ValueError(f"grid parameter {name!r} has no values")
            keys = [(type(v).__name__, v) for v in vals]
            if len(set(keys)) != len(keys):
                repeated = next(v for i, v in enumerate(vals) if keys[i] in keys[:i])
                raise ValueError(f"grid parameter {name!r} lists {repeated!r} more than once")
        size = 1
        for vals in self._values:
            size *= len(vals)
        self._size = size if self._names else 0

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, in declaration order."""
        return self._names

    def values_of(self, name: str) -> tuple[ParamValue, ...]:
        """The values listed for ``name``."""
        return self._values[self._names.index(name)]

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: int) -> dict[str, ParamValue]:  # type: ignore[override]
        if not -self._size <= index < self._size:
            raise IndexError(f"grid index {index} out of range for a grid of {self._size}")
        index %= self._size
        point: dict[str, ParamValue] = {}
        for name, vals in zip(reversed(self._names), reversed(self._values), strict=False):
            index, digit = divmod(index, len(vals))
            point[name] = vals[digit]
        return {name: point[name] for name in self._names}

    def __iter__(self) -> Iterator[dict[str, ParamValue]]:
        for i in range(self._size):
            yield self[i]
