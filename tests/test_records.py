"""Trial state machine, immutable records and StudyDirection."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import pickle
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tunelab._records import (
    FrozenStudy,
    FrozenTrial,
    StudyDirection,
    TrialState,
    check_transition,
)
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.exceptions import InvalidTransitionError, TrialFinishedError, TunelabError

S = TrialState

ALLOWED = {
    (S.WAITING, S.RUNNING),
    (S.WAITING, S.FAIL),
    (S.RUNNING, S.COMPLETE),
    (S.RUNNING, S.PRUNED),
    (S.RUNNING, S.FAIL),
}
FINISHED = {S.COMPLETE, S.PRUNED, S.FAIL}
ALL_PAIRS = list(itertools.product(TrialState, repeat=2))


# --- state machine ----------------------------------------------------------------------


def test_the_pair_table_covers_every_state() -> None:
    assert len(ALL_PAIRS) == 25
    assert {s.name for s in TrialState} == {"WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"}


@pytest.mark.parametrize(("current", "new"), ALL_PAIRS, ids=lambda s: s.name)
def test_check_transition_follows_the_table(current: TrialState, new: TrialState) -> None:
    if (current, new) in ALLOWED:
        assert check_transition(7, current, new) is None
    elif current in FINISHED:
        with pytest.raises(TrialFinishedError) as info:
            check_transition(7, current, new)
        message = str(info.value)
        assert "trial 7" in message
        assert current.name in message
        assert new.name in message
    else:
        with pytest.raises(InvalidTransitionError) as info:
            check_transition(7, current, new)
        assert not isinstance(info.value, TrialFinishedError)
        message = str(info.value)
        assert "trial 7" in message
        assert current.name in message
        assert new.name in message


def test_invalid_transition_message_lists_the_allowed_targets() -> None:
    with pytest.raises(InvalidTransitionError, match=r"allowed: FAIL, RUNNING$"):
        check_transition(0, S.WAITING, S.COMPLETE)
    with pytest.raises(InvalidTransitionError, match=r"allowed: COMPLETE, FAIL, PRUNED$"):
        check_transition(0, S.RUNNING, S.WAITING)


def test_transition_errors_belong_to_the_tunelab_family() -> None:
    assert issubclass(TrialFinishedError, InvalidTransitionError)
    assert issubclass(InvalidTransitionError, TunelabError)


@pytest.mark.parametrize("state", list(TrialState), ids=lambda s: s.name)
def test_is_finished(state: TrialState) -> None:
    assert state.is_finished() is (state in FINISHED)


# --- FrozenTrial ------------------------------------------------------------------------

START = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def _trial(**overrides: Any) -> FrozenTrial:
    fields: dict[str, Any] = {
        "trial_id": 3,
        "number": 2,
        "state": S.COMPLETE,
        "values": (0.25,),
        "params": {"x": 0.5, "kind": "a", "n": 3},
        "distributions": {
            "x": FloatDistribution(0.0, 1.0),
            "kind": CategoricalDistribution(["a", "b"]),
            "n": IntDistribution(1, 5),
        },
        "intermediate_values": {0: 1.0, 4: 0.5, 2: 0.75},
        "user_attrs": {"note": "hi", "tags": ["a", "b"]},
        "system_attrs": {"seed": 1},
        "datetime_start": START,
        "datetime_complete": START + timedelta(seconds=90, microseconds=500_000),
    }
    fields.update(overrides)
    return FrozenTrial(**fields)


MAPPING_FIELDS = ["params", "distributions", "intermediate_values", "user_attrs", "system_attrs"]


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(FrozenTrial)])
def test_frozen_trial_attributes_cannot_be_assigned(field: str) -> None:
    t = _trial()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(t, field, None)
    assert t == _trial()


@pytest.mark.parametrize("name", ["value", "duration", "last_step", "extra"])
def test_frozen_trial_non_field_attributes_cannot_be_assigned(name: str) -> None:
    # CPython < 3.12 raises TypeError here for frozen slotted dataclasses; either way it
    # must refuse and leave the record alone.
    t = _trial()
    with pytest.raises((AttributeError, TypeError)):
        setattr(t, name, None)
    assert t == _trial()
    assert not hasattr(t, "extra")
    assert t.value == 0.25


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(FrozenTrial)])
def test_frozen_trial_attributes_cannot_be_deleted(field: str) -> None:
    t = _trial()
    with pytest.raises(AttributeError):
        delattr(t, field)


MUTATIONS: list[tuple[str, Callable[[Any, Any], object]]] = [
    ("setitem", lambda m, k: m.__setitem__(k, 1)),
    ("setitem_new", lambda m, k: m.__setitem__("new-key", 1)),
    ("delitem", lambda m, k: m.__delitem__(k)),
    ("update", lambda m, k: m.update({k: 1})),
    ("update_kwargs", lambda m, k: m.update(other=1)),
    ("pop", lambda m, k: m.pop(k)),
    ("pop_default", lambda m, k: m.pop("missing", None)),
    ("popitem", lambda m, k: m.popitem()),
    ("clear", lambda m, k: m.clear()),
    ("setdefault", lambda m, k: m.setdefault("new-key", 1)),
    ("ior", lambda m, k: m.__ior__({k: 1})),
]


@pytest.mark.parametrize("field", MAPPING_FIELDS)
@pytest.mark.parametrize(("name", "mutate"), MUTATIONS, ids=[n for n, _ in MUTATIONS])
def test_frozen_trial_mappings_refuse_changes(
    field: str, name: str, mutate: Callable[[Any, Any], object]
) -> None:
    t = _trial()
    mapping = getattr(t, field)
    before = dict(mapping)
    key = next(iter(mapping))
    with pytest.raises(TypeError):
        mutate(mapping, key)
    assert dict(getattr(t, field)) == before


@pytest.mark.parametrize("field", MAPPING_FIELDS)
def test_frozen_trial_mapping_augmented_or_assignment_is_refused(field: str) -> None:
    t = _trial()
    mapping = getattr(t, field)
    with pytest.raises(TypeError):
        mapping |= {"new-key": 1}
    assert "new-key" not in getattr(t, field)


@pytest.mark.parametrize("field", MAPPING_FIELDS)
def test_empty_mapping_fields_refuse_changes_too(field: str) -> None:
    t = FrozenTrial(trial_id=0, number=0, state=S.RUNNING)
    mapping = getattr(t, field)
    assert len(mapping) == 0
    with pytest.raises(TypeError):
        mapping["k"] = 1
    with pytest.raises(TypeError):
        mapping.update({"k": 1})
    assert len(FrozenTrial(trial_id=1, number=1, state=S.RUNNING).params) == 0


@pytest.mark.parametrize("field", MAPPING_FIELDS)
def test_changing_the_dict_passed_in_does_not_change_the_record(field: str) -> None:
    source = dict(getattr(_trial(), field))
    t = _trial(**{field: source})
    expected = dict(source)
    first = next(iter(source))
    source[first] = "changed"
    source["added"] = 1
    del source[first]
    assert dict(getattr(t, field)) == expected


def test_changing_the_values_list_passed_in_does_not_change_the_record() -> None:
    values = [1.0, 2.0]
    t = _trial(values=values)
    values.append(3.0)
    values[0] = 9.0
    assert t.values == (1.0, 2.0)
    assert type(t.values) is tuple


def test_mapping_fields_read_like_dicts() -> None:
    t = _trial()
    assert t.params == {"x": 0.5, "kind": "a", "n": 3}
    assert isinstance(t.params, Mapping)
    assert t.params["kind"] == "a"
    assert t.params.get("missing") is None
    assert dict(t.params | {"y": 1}) == {"x": 0.5, "kind": "a", "n": 3, "y": 1}
    assert t.params == {"x": 0.5, "kind": "a", "n": 3}


def test_value_single_objective() -> None:
    assert _trial(values=(0.25,)).value == 0.25
    assert _trial(values=None).value is None


def test_value_raises_for_multi_objective() -> None:
    t = _trial(values=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"2 objective values.*\.values"):
        _ = t.value
    assert t.values == (1.0, 2.0)


def test_value_raises_for_zero_objectives() -> None:
    with pytest.raises(ValueError, match="0 objective values"):
        _ = _trial(values=()).value


def test_duration() -> None:
    assert _trial().duration == 90.5
    assert _trial(datetime_complete=None).duration is None
    assert _trial(datetime_start=None).duration is None
    assert _trial(datetime_start=None, datetime_complete=None).duration is None
    assert _trial(datetime_complete=START).duration == 0.0


def test_last_step() -> None:
    assert _trial().last_step == 4
    assert _trial(intermediate_values={}).last_step is None
    assert _trial(intermediate_values={-3: 1.0}).last_step == -3


def test_equality_is_by_value() -> None:
    assert _trial() == _trial()
    assert _trial() != _trial(number=5)
    assert _trial() != _trial(params={"x": 0.5})


@pytest.mark.parametrize(
    "clone",
    [
        lambda t: pickle.loads(pickle.dumps(t)),
        lambda t: pickle.loads(pickle.dumps(t, protocol=2)),
        copy.deepcopy,
        copy.copy,
    ],
    ids=["pickle", "pickle_protocol_2", "deepcopy", "copy"],
)
def test_clones_are_equal_and_still_read_only(clone: Callable[[Any], Any]) -> None:
    t = _trial()
    c = clone(t)
    assert c == t
    assert type(c) is FrozenTrial
    assert c.value == t.value
    assert c.duration == t.duration
    assert c.last_step == t.last_step
    with pytest.raises(AttributeError):
        c.number = 99
    for field in MAPPING_FIELDS:
        mapping = getattr(c, field)
        assert type(mapping) is type(getattr(t, field))
        with pytest.raises(TypeError):
            mapping["new-key"] = 1
        with pytest.raises(TypeError):
            mapping.clear()
        assert dict(mapping) == dict(getattr(t, field))


def test_deepcopy_does_not_share_nested_user_attrs() -> None:
    t = _trial()
    c = copy.deepcopy(t)
    assert c.user_attrs["tags"] == ["a", "b"]
    assert c.user_attrs["tags"] is not t.user_attrs["tags"]


def test_replace_builds_a_new_read_only_record() -> None:
    t = _trial()
    r = dataclasses.replace(t, number=10, params={"x": 0.1})
    assert r.number == 10
    assert t.number == 2
    with pytest.raises(TypeError):
        r.params["x"] = 0.2  # type: ignore[index]


# --- FrozenStudy ------------------------------------------------------------------------


def test_frozen_study_is_immutable() -> None:
    attrs = {"a": 1}
    s = FrozenStudy(study_id=1, name="s", directions=[StudyDirection.MINIMIZE], user_attrs=attrs)
    attrs["a"] = 2
    assert s.user_attrs == {"a": 1}
    assert s.directions == (StudyDirection.MINIMIZE,)
    with pytest.raises(AttributeError):
        s.name = "t"  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.user_attrs["a"] = 3  # type: ignore[index]
    assert pickle.loads(pickle.dumps(s)) == s


# --- StudyDirection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("minimize", StudyDirection.MINIMIZE),
        ("maximize", StudyDirection.MAXIMIZE),
        ("MAXIMIZE", StudyDirection.MAXIMIZE),
        ("MINIMIZE", StudyDirection.MINIMIZE),
        ("Maximize", StudyDirection.MAXIMIZE),
        (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE),
        (StudyDirection.MAXIMIZE, StudyDirection.MAXIMIZE),
    ],
)
def test_study_direction_parse_accepts(raw: Any, expected: StudyDirection) -> None:
    assert StudyDirection.parse(raw) is expected


@pytest.mark.parametrize(
    "raw", ["max", "min", "", " minimize", "minimise", "maximise", None, 1, 0, True, ["minimize"]]
)
def test_study_direction_parse_rejects(raw: Any) -> None:
    with pytest.raises(ValueError, match=r"direction="):
        StudyDirection.parse(raw)


def test_study_direction_better() -> None:
    assert StudyDirection.MINIMIZE.better(1.0, 2.0)
    assert not StudyDirection.MINIMIZE.better(2.0, 1.0)
    assert not StudyDirection.MINIMIZE.better(1.0, 1.0)
    assert StudyDirection.MAXIMIZE.better(2.0, 1.0)
    assert not StudyDirection.MAXIMIZE.better(1.0, 2.0)
    assert not StudyDirection.MAXIMIZE.better(1.0, 1.0)
