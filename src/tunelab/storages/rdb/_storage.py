"""``RDBStorage``: studies in SQLite or PostgreSQL through SQLAlchemy Core.

The storage only persists: rules come from :func:`tunelab._records.check_transition`.
Each method is one short transaction. Finished trials never change, so once read they
are cached in this process and never queried again.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    CursorResult,
    Float,
    Integer,
    Row,
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from tunelab._records import (
    FrozenStudy,
    FrozenTrial,
    StudyDirection,
    TrialState,
    check_transition,
)
from tunelab._typing import JSONValue
from tunelab.distributions import BaseDistribution, distribution_from_json
from tunelab.exceptions import (
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialLimitReached,
    TrialNotFoundError,
)
from tunelab.storages._base import BaseStorage, check_finish_state, normalized_template
from tunelab.storages._heartbeat import stale_reason
from tunelab.storages.rdb._engine import Database
from tunelab.storages.rdb._migrate import ensure_schema
from tunelab.storages.rdb._schema import (
    studies,
    study_attrs,
    study_batches,
    trial_attrs,
    trial_params,
    trial_values,
    trials,
)

__all__ = ["RDBStorage"]

_CHUNK = 500  # ids per IN (...) clause

# Statements on the hot path are built once (parameters bound at execution): building a
# SQLAlchemy statement costs more Python time than SQLite takes to run it.
_STATE_OF = select(trials.c.state, trials.c.number).where(trials.c.trial_id == bindparam("tid"))
# The columns _load reads, in the order it unpacks them.
_LOAD_TABLES = (trials, trial_params, trial_values, trial_attrs)
_LOAD_COLUMNS = (
    select(
        trials.c.trial_id,
        trials.c.number,
        trials.c.state,
        trials.c.objective_values,
        trials.c.datetime_start,
        trials.c.datetime_complete,
    ),
    select(
        trial_params.c.trial_id,
        trial_params.c.name,
        trial_params.c.internal,
        trial_params.c.distribution,
    ),
    select(trial_values.c.trial_id, trial_values.c.step, trial_values.c.value),
    select(trial_attrs.c.trial_id, trial_attrs.c.system, trial_attrs.c.key, trial_attrs.c.value),
)
_BY_IDS = tuple(
    query.where(table.c.trial_id.in_(bindparam("ids", expanding=True)))
    for table, query in zip(_LOAD_TABLES, _LOAD_COLUMNS, strict=True)
)
_NEXT_NUMBER = select(func.max(trials.c.number)).where(trials.c.study_id == bindparam("sid"))
_STUDY = select(studies.c.study_id).where(studies.c.study_id == bindparam("sid"))
_STUDY_LOCKED = _STUDY.with_for_update()
_ANY_WAITING = (
    select(trials.c.trial_id)
    .where(trials.c.study_id == bindparam("sid"), trials.c.state == TrialState.WAITING.value)
    .limit(1)
)
_NEXT_WAITING = (
    select(trials.c.trial_id)
    .where(trials.c.study_id == bindparam("sid"), trials.c.state == TrialState.WAITING.value)
    .order_by(trials.c.planned, trials.c.number)  # user-enqueued trials first
    .limit(1)
)
_NEXT_WAITING_PG = _NEXT_WAITING.with_for_update(skip_locked=True)
_CLAIM = (
    update(trials)
    .where(trials.c.trial_id == bindparam("tid"), trials.c.state == TrialState.WAITING.value)
    .values(
        state=TrialState.RUNNING.value,
        datetime_start=bindparam("now"),
        worker_id=bindparam("worker"),
        heartbeat=bindparam("now"),
    )
)
_FAIL_REASON = "fail_reason"
_LIVE_STATES = (TrialState.RUNNING.value, TrialState.WAITING.value)

# One trial's row, then its params, intermediate values and attributes in one query
# (kind 0/1/2): reading a trial takes two statements instead of four.
_TRIAL = select(trials).where(trials.c.trial_id == bindparam("tid"))
_CHILDREN = union_all(
    select(
        literal_column("0").label("kind"),
        trial_params.c.name.label("key"),
        trial_params.c.internal.label("num"),
        trial_params.c.distribution.label("txt"),
        cast(null(), Integer).label("aux"),
    ).where(trial_params.c.trial_id == bindparam("tid")),
    select(
        literal_column("1"),
        cast(null(), String),
        trial_values.c.value,
        cast(null(), Text),
        trial_values.c.step,
    ).where(trial_values.c.trial_id == bindparam("tid")),
    select(
        literal_column("2"),
        trial_attrs.c.key,
        cast(null(), Float),
        cast(trial_attrs.c.value, Text),
        cast(trial_attrs.c.system, Integer),
    ).where(trial_attrs.c.trial_id == bindparam("tid")),
)
# Finish a RUNNING trial in one statement (anything else takes the checked slow path).
_FINISH = (
    update(trials)
    .where(trials.c.trial_id == bindparam("tid"), trials.c.state == TrialState.RUNNING.value)
    .values(
        state=bindparam("new_state"),
        objective_values=bindparam("new_values", type_=JSON),
        datetime_complete=bindparam("done"),
    )
    .returning(trials.c.number, trials.c.datetime_start)
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _float_in(value: float) -> float | None:
    return None if math.isnan(value) else value  # SQLite would turn NaN into NULL anyway


def _float_out(value: float | None) -> float:
    return math.nan if value is None else float(value)


class RDBStorage(BaseStorage):
    """A storage in a relational database: SQLite (a file, the default) or PostgreSQL.

    Any number of processes and machines may share one database. Trial numbers are
    dense per study, WAITING trials are claimed by exactly one worker (PostgreSQL:
    ``FOR UPDATE SKIP LOCKED``; SQLite: ``BEGIN IMMEDIATE``), and transient lock errors
    are retried with backoff instead of surfacing as "database is locked".

    Args:
        url: An SQLAlchemy URL: ``sqlite:///path/to/file.db`` or
            ``postgresql+psycopg://user:password@host:port/database``.
        engine_kwargs: Extra arguments for :func:`sqlalchemy.create_engine`.
        retry_seconds: How long lock contention is retried before a StorageError.

    Raises:
        StorageError: The database cannot be opened, or has a schema of another version
            (the message says what to run).

    Example:
        >>> import tunelab as tl, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "study.db")
        >>> study = tl.create_study(storage=f"sqlite:///{path}", study_name="s")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(tl.load_study(study_name="s", storage=f"sqlite:///{path}").trials)
        3
    """

    def __init__(
        self,
        url: str,
        *,
        engine_kwargs: dict[str, Any] | None = None,
        retry_seconds: float = 60.0,
    ) -> None:
        self._url = url
        self._engine_kwargs = dict(engine_kwargs or {})
        self._retry_seconds = retry_seconds
        self._db = Database(url, self._engine_kwargs, retry_seconds)
        ensure_schema(self._db)
        self._lock = threading.Lock()
        self._finished: dict[int, FrozenTrial] = {}
        self._upserts: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Any] = {}
        self._live_upserts: dict[str, Any] = {}
        self._returning = bool(self._db.engine.dialect.update_returning)
        self._prefix: dict[int, list[FrozenTrial]] = {}  # study -> its first finished trials
        self._distributions: dict[str, BaseDistribution] = {}

    @property
    def url(self) -> str:
        """The database URL."""
        return self._url

    @property
    def shared_across_processes(self) -> bool:
        return True

    def __reduce__(self) -> tuple[Any, ...]:
        # Workers in other processes reconnect by URL; no connection is pickled.
        return (_reopen, (self._url, self._engine_kwargs, self._retry_seconds))

    def dispose(self) -> None:
        """Close pooled connections (the storage reconnects on next use)."""
        self._db.dispose()

    def __repr__(self) -> str:
        return f"RDBStorage({self._db.safe_url!r})"

    # -- helpers ---------------------------------------------------------------------------

    def _upsert(
        self, conn: Connection, table: Table, row: dict[str, Any], keys: list[str]
    ) -> None:
        if self._db.dialect not in ("postgresql", "sqlite"):  # portable fallback
            conn.execute(delete(table).where(*(table.c[k] == row[k] for k in keys)))
            conn.execute(insert(table).values(**row))
            return
        signature = (table.name, tuple(row), tuple(keys))
        stmt = self._upserts.get(signature)
        if stmt is None:
            maker = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
            base = maker(table).values({name: bindparam(name) for name in row})
            stmt = base.on_conflict_do_update(
                index_elements=keys,
                set_={name: base.excluded[name] for name in row if name not in keys},
            )
            self._upserts[signature] = stmt
        conn.execute(stmt, row)

    def _write_live(self, table: Table, row: dict[str, Any], keys: list[str]) -> None:
        """Upsert a row of a trial that is not finished: one statement on SQLite/PostgreSQL.

        The insert selects from the trial's row with a state condition, so a finished
        or missing trial inserts nothing; only then is the reason looked up.
        """
        if self._db.dialect not in ("postgresql", "sqlite"):

            def checked(conn: Connection) -> None:
                self._require_live(conn, row["trial_id"])
                self._upsert(conn, table, row, keys)

            self._db.write(checked)
            return
        stmt = self._live_upserts.get(table.name)
        if stmt is None:
            names = [c.name for c in table.columns]
            pg = self._db.dialect == "postgresql"
            typed = [bindparam(f"p_{n}", type_=table.c[n].type) for n in names]
            # PostgreSQL types a bare parameter in a SELECT list as text: cast it.
            columns = [cast(b, b.type) for b in typed] if pg else typed
            maker = pg_insert if pg else sqlite_insert
            base = maker(table).from_select(
                names,
                select(*columns).where(
                    trials.c.trial_id == bindparam("p_trial_id"),
                    trials.c.state.in_(_LIVE_STATES),
                ),
            )
            stmt = base.on_conflict_do_update(
                index_elements=keys,
                set_={n: base.excluded[n] for n in names if n not in keys},
            ).execution_options(preserve_rowcount=True)  # an INSERT's rowcount is opt-in
            self._live_upserts[table.name] = stmt
        params = {f"p_{n}": v for n, v in row.items()}

        def work(conn: Connection) -> None:
            if conn.execute(stmt, params).rowcount == 0:
                self._require_live(conn, row["trial_id"])  # raises the precise error
                raise TrialNotFoundError(f"trial id {row['trial_id']} could not be updated")

        self._db.write(work)

    def _distribution(self, blob: str) -> BaseDistribution:
        dist = self._distributions.get(blob)
        if dist is None:
            dist = distribution_from_json(json.loads(blob))
            self._distributions[blob] = dist
        return dist

    @staticmethod
    def _dist_blob(dist: BaseDistribution) -> str:
        return json.dumps(dist.to_json(), sort_keys=True)

    # -- studies -------------------------------------------------------------------------

    def _study_attrs(
        self, conn: Connection, ids: Iterable[int]
    ) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
        out: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {i: ({}, {}) for i in ids}
        if out:
            rows = conn.execute(select(study_attrs).where(study_attrs.c.study_id.in_(list(out))))
            for row in rows:
                out[row.study_id][1 if row.system else 0][row.key] = row.value
        return out

    def _frozen_studies(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[FrozenStudy]:
        attrs = self._study_attrs(conn, [r.study_id for r in rows])
        return [
            FrozenStudy(
                study_id=r.study_id,
                name=r.name,
                directions=tuple(StudyDirection(d) for d in r.directions),
                user_attrs=attrs[r.study_id][0],
                system_attrs=attrs[r.study_id][1],
                datetime_created=_utc(r.datetime_created),
            )
            for r in rows
        ]

    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> FrozenStudy:
        created = _now()

        def work(conn: Connection) -> int:
            exists = conn.execute(select(studies.c.study_id).where(studies.c.name == name))
            if exists.first() is not None:
                raise DuplicatedStudyError(f"a study named {name!r} already exists")
            result = conn.execute(
                insert(studies).values(
                    name=name, directions=[d.value for d in directions], datetime_created=created
                )
            )
            return _primary_key(result)

        try:
            study_id = self._db.write(work)
        except StorageError as exc:  # two processes racing to create the same name
            if isinstance(exc.__cause__, IntegrityError):
                raise DuplicatedStudyError(f"a study named {name!r} already exists") from None
            raise
        return FrozenStudy(
            study_id=study_id, name=name, directions=tuple(directions), datetime_created=created
        )

    def get_study(self, name: str) -> FrozenStudy:
        def work(conn: Connection) -> list[FrozenStudy]:
            rows = conn.execute(select(studies).where(studies.c.name == name)).all()
            return self._frozen_studies(conn, rows)

        found = self._db.read(work)
        if not found:
            raise StudyNotFoundError(f"no study named {name!r}")
        return found[0]

    def list_studies(self) -> list[FrozenStudy]:
        def work(conn: Connection) -> list[FrozenStudy]:
            rows = conn.execute(select(studies).order_by(studies.c.study_id)).all()
            return self._frozen_studies(conn, rows)

        return self._db.read(work)

    def delete_study(self, study_id: int) -> None:
        def work(conn: Connection) -> int:
            ids = select(trials.c.trial_id).where(trials.c.study_id == study_id)
            for table in (trial_params, trial_values, trial_attrs):
                conn.execute(delete(table).where(table.c.trial_id.in_(ids)))
            conn.execute(delete(trials).where(trials.c.study_id == study_id))
            for table in (study_attrs, study_batches):
                conn.execute(delete(table).where(table.c.study_id == study_id))
            return conn.execute(delete(studies).where(studies.c.study_id == study_id)).rowcount

        if self._db.write(work) == 0:
            raise StudyNotFoundError(f"no study with id {study_id}")
        with self._lock:  # ids are never reused (AUTOINCREMENT), so only this goes stale
            self._prefix.pop(study_id, None)

    def set_study_attr(
        self, study_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        def work(conn: Connection) -> None:
            self._require_study(conn, study_id)
            self._upsert(
                conn,
                study_attrs,
                {"study_id": study_id, "system": system, "key": key, "value": value},
                ["study_id", "system", "key"],
            )

        self._db.write(work)

    def _require_study(self, conn: Connection, study_id: int, *, lock: bool = False) -> None:
        # With lock on PostgreSQL, the study row lock serialises trial numbering.
        query = _STUDY_LOCKED if lock and self._db.dialect == "postgresql" else _STUDY
        if conn.execute(query, {"sid": study_id}).first() is None:
            raise StudyNotFoundError(f"no study with id {study_id}")

    # -- trial creation ------------------------------------------------------------------

    def _insert_trial(
        self,
        conn: Connection,
        study_id: int,
        number: int,
        state: TrialState,
        template: FrozenTrial | None,
        now: datetime,
        planned: bool = False,
    ) -> FrozenTrial:
        t = (
            normalized_template(template)
            if template
            else FrozenTrial(trial_id=-1, number=-1, state=state)
        )
        start = t.datetime_start
        if start is None and state is not TrialState.WAITING:
            start = now
        complete = t.datetime_complete
        if complete is None and state.is_finished():
            complete = now
        result = conn.execute(
            insert(trials).values(
                study_id=study_id,
                number=number,
                state=state.value,
                planned=planned,
                objective_values=None if t.values is None else list(t.values),
                datetime_start=start,
                datetime_complete=complete,
                heartbeat=now if state is TrialState.RUNNING else None,
            )
        )
        trial_id = _primary_key(result)
        if t.params:
            conn.execute(
                insert(trial_params),
                [
                    {
                        "trial_id": trial_id,
                        "name": name,
                        "internal": t.distributions[name].to_internal(value),
                        "distribution": self._dist_blob(t.distributions[name]),
                    }
                    for name, value in t.params.items()
                ],
            )
        if t.intermediate_values:
            conn.execute(
                insert(trial_values),
                [
                    {"trial_id": trial_id, "step": step, "value": _float_in(value)}
                    for step, value in t.intermediate_values.items()
                ],
            )
        attr_rows = [
            {"trial_id": trial_id, "system": system, "key": k, "value": v}
            for system, attrs in ((False, t.user_attrs), (True, t.system_attrs))
            for k, v in attrs.items()
        ]
        if attr_rows:
            conn.execute(insert(trial_attrs), attr_rows)
        return FrozenTrial(
            trial_id=trial_id,
            number=number,
            state=state,
            values=t.values,
            params=t.params,
            distributions=t.distributions,
            intermediate_values=t.intermediate_values,
            user_attrs=t.user_attrs,
            system_attrs=t.system_attrs,
            datetime_start=start,
            datetime_complete=complete,
        )

    @staticmethod
    def _next_number(conn: Connection, study_id: int) -> int:
        top = conn.execute(_NEXT_NUMBER, {"sid": study_id}).scalar()
        return 0 if top is None else int(top) + 1

    def _create_in(
        self,
        conn: Connection,
        study_id: int,
        state: TrialState,
        template: FrozenTrial | None,
        max_trials: int | None,
        now: datetime,
    ) -> FrozenTrial:
        if self._db.dialect == "sqlite":
            # The write lock serialises numbering; a study with trials exists.
            number = self._next_number(conn, study_id)
            if number == 0:
                self._require_study(conn, study_id)
        else:
            self._require_study(conn, study_id, lock=True)  # row lock serialises numbering
            number = self._next_number(conn, study_id)
        if max_trials is not None and number >= max_trials:  # number == trial count
            raise TrialLimitReached(f"study {study_id} holds its maximum of {max_trials} trials")
        return self._insert_trial(conn, study_id, number, state, template, now)

    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        template: FrozenTrial | None = None,
        max_trials: int | None = None,
    ) -> FrozenTrial:
        now = _now()

        trial = self._db.write(
            lambda conn: self._create_in(conn, study_id, state, template, max_trials, now)
        )
        if state.is_finished():
            self._remember(trial)
        return trial

    def enqueue_batch(self, study_id: int, key: str, templates: Sequence[FrozenTrial]) -> bool:
        now = _now()

        def work(conn: Connection) -> bool:
            self._require_study(conn, study_id, lock=True)
            taken = conn.execute(
                select(study_batches.c.key).where(
                    study_batches.c.study_id == study_id, study_batches.c.key == key
                )
            ).first()
            if taken is not None:
                return False
            conn.execute(insert(study_batches).values(study_id=study_id, key=key))
            number = self._next_number(conn, study_id)
            for offset, template in enumerate(templates):
                self._insert_trial(
                    conn, study_id, number + offset, TrialState.WAITING, template, now, True
                )
            return True

        try:
            return self._db.write(work)
        except StorageError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return False  # another worker enqueued this batch at the same instant
            raise

    def claim_waiting_trial(self, study_id: int, worker_id: str) -> FrozenTrial | None:
        # Most calls find nothing waiting: find that out without taking the write lock.
        # (A trial enqueued just after this look is claimed by the next call.)
        if (
            self._db.read(lambda conn: conn.execute(_ANY_WAITING, {"sid": study_id}).first())
            is None
        ):
            return None

        return self._db.write(lambda conn: self._claim_in(conn, study_id, worker_id))

    def _claim_in(self, conn: Connection, study_id: int, worker_id: str) -> FrozenTrial | None:
        query = _NEXT_WAITING_PG if self._db.dialect == "postgresql" else _NEXT_WAITING
        trial_id = conn.execute(query, {"sid": study_id}).scalar()
        if trial_id is None:
            return None
        now = _now()
        claimed = conn.execute(_CLAIM, {"tid": trial_id, "worker": worker_id, "now": now}).rowcount
        if claimed != 1:
            return None
        return self._load_one(conn, int(trial_id))

    def claim_or_create_trial(
        self, study_id: int, worker_id: str, *, max_trials: int | None = None
    ) -> FrozenTrial:
        now = _now()

        def work(conn: Connection) -> FrozenTrial:
            claimed = self._claim_in(conn, study_id, worker_id)
            if claimed is not None:
                return claimed
            return self._create_in(conn, study_id, TrialState.RUNNING, None, max_trials, now)

        return self._db.write(work)

    # -- trial updates -------------------------------------------------------------------

    def _require_live(self, conn: Connection, trial_id: int) -> None:
        row = conn.execute(_STATE_OF, {"tid": trial_id}).first()
        if row is None:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        state = TrialState(row.state)
        if state.is_finished():
            raise TrialFinishedError(
                f"trial {row.number} is already {state.name} and cannot be changed"
            )

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: BaseDistribution
    ) -> None:
        self._write_live(
            trial_params,
            {
                "trial_id": trial_id,
                "name": name,
                "internal": internal,
                "distribution": self._dist_blob(distribution),
            },
            ["trial_id", "name"],
        )

    def set_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._write_live(
            trial_values,
            {"trial_id": trial_id, "step": step, "value": _float_in(value)},
            ["trial_id", "step"],
        )

    def set_trial_attr(
        self, trial_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        self._write_live(
            trial_attrs,
            {"trial_id": trial_id, "system": system, "key": key, "value": value},
            ["trial_id", "system", "key"],
        )

    def finish_trial(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> FrozenTrial:
        stored = None if values is None else [float(v) for v in values]

        done = _now()

        def work(conn: Connection) -> FrozenTrial:
            if self._returning and state.is_finished():
                row = conn.execute(
                    _FINISH,
                    {
                        "tid": trial_id,
                        "new_state": state.value,
                        "new_values": stored,
                        "done": done,
                    },
                ).first()
                if row is not None:  # it was RUNNING: now finished, in one statement
                    return self._build(
                        conn, trial_id, row.number, state, stored, row.datetime_start, done
                    )
            query = select(trials.c.state, trials.c.number).where(trials.c.trial_id == trial_id)
            if self._db.dialect == "postgresql":
                query = query.with_for_update()  # one winner when two workers finish it
            row = conn.execute(query).first()
            if row is None:
                raise TrialNotFoundError(f"no trial with id {trial_id}")
            check_transition(row.number, TrialState(row.state), state)
            check_finish_state(state)
            conn.execute(
                update(trials)
                .where(trials.c.trial_id == trial_id)
                .values(state=state.value, objective_values=stored, datetime_complete=done)
            )
            return self._load_one(conn, trial_id)

        trial = self._db.write(work)
        self._remember(trial)
        return trial

    # -- reads ---------------------------------------------------------------------------

    def _remember(self, trial: FrozenTrial) -> None:
        with self._lock:
            self._finished[trial.trial_id] = trial

    def _build(
        self,
        conn: Connection,
        trial_id: int,
        number: int,
        state: TrialState,
        values: Sequence[float] | None,
        start: datetime | None,
        complete: datetime | None,
    ) -> FrozenTrial:
        """A trial snapshot from its row's fields plus its children (one query)."""
        params: dict[str, Any] = {}
        dists: dict[str, BaseDistribution] = {}
        steps: dict[int, float] = {}
        attrs: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        for kind, key, num, txt, aux in conn.execute(_CHILDREN, {"tid": trial_id}):
            if kind == 0:
                dist = self._distribution(txt)
                params[key] = dist.to_external(num)
                dists[key] = dist
            elif kind == 1:
                steps[aux] = _float_out(num)
            else:
                attrs[1 if aux else 0][key] = None if txt is None else json.loads(txt)
        return FrozenTrial(
            trial_id=trial_id,
            number=number,
            state=state,
            values=None if values is None else tuple(values),
            params=params,
            distributions=dists,
            intermediate_values=steps,
            user_attrs=attrs[0],
            system_attrs=attrs[1],
            datetime_start=_utc(start),
            datetime_complete=_utc(complete),
        )

    def _load_one(self, conn: Connection, trial_id: int) -> FrozenTrial:
        row = conn.execute(_TRIAL, {"tid": trial_id}).first()
        if row is None:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        return self._build(
            conn,
            trial_id,
            row.number,
            TrialState(row.state),
            row.objective_values,
            row.datetime_start,
            row.datetime_complete,
        )

    def _load(
        self,
        conn: Connection,
        ids: list[int],
        *,
        study_id: int | None = None,
        min_number: int = 0,
    ) -> list[FrozenTrial]:
        """Full snapshots of the given trials, in the order of ``ids``.

        With ``study_id``, the rows are read by study (``number >= min_number``) in one
        query per table instead of by id, which is much faster for large loads; ``ids``
        must then lie within that range.
        """
        rows: dict[int, tuple[Any, ...]] = {}
        params: dict[int, tuple[dict[str, Any], dict[str, BaseDistribution]]] = {}
        steps: dict[int, dict[int, float]] = {}
        attrs: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        if study_id is not None:
            in_range = (trials.c.study_id == study_id) & (trials.c.number >= min_number)
            queries = tuple(
                query
                if table is trials
                else query.join(trials, trials.c.trial_id == table.c.trial_id)
                for table, query in zip(_LOAD_TABLES, _LOAD_COLUMNS, strict=True)
            )
            chunks: list[tuple[Any, ...]] = [
                tuple((query.where(in_range), {}) for query in queries)
            ]
        else:
            chunks = [
                tuple((query, {"ids": ids[start : start + _CHUNK]}) for query in _BY_IDS)
                for start in range(0, len(ids), _CHUNK)
            ]
        known = self._distributions
        for trial_query, param_query, value_query, attr_query in chunks:
            # Rows are fetched at once and unpacked as tuples: attribute access on
            # 100,000 rows costs more than the query.
            for row in conn.execute(*trial_query).all():
                rows[row[0]] = tuple(row)
            for trial_id, name, internal, blob in conn.execute(*param_query).all():
                dist = known.get(blob) or self._distribution(blob)
                entry = params.get(trial_id)
                if entry is None:
                    entry = params[trial_id] = ({}, {})
                entry[0][name] = dist.to_external(internal)
                entry[1][name] = dist
            for trial_id, step, value in conn.execute(*value_query).all():
                steps.setdefault(trial_id, {})[step] = _float_out(value)
            for trial_id, system, key, value in conn.execute(*attr_query).all():
                attrs.setdefault(trial_id, ({}, {}))[1 if system else 0][key] = value
        out = []
        empty: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        for trial_id in ids:
            found = rows.get(trial_id)
            if found is None:
                raise TrialNotFoundError(f"no trial with id {trial_id}")
            _, number, state, values, start, complete = found
            p, d = params.get(trial_id, empty)
            user, system = attrs.get(trial_id, empty)
            out.append(
                FrozenTrial(
                    trial_id=trial_id,
                    number=number,
                    state=TrialState(state),
                    values=None if values is None else tuple(values),
                    params=p,
                    distributions=d,
                    intermediate_values=steps.get(trial_id, {}),
                    user_attrs=user,
                    system_attrs=system,
                    datetime_start=_utc(start),
                    datetime_complete=_utc(complete),
                )
            )
        return out

    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._finished.get(trial_id)
        if cached is not None:
            return cached
        trial = self._db.read(lambda conn: self._load_one(conn, trial_id))
        if trial.state.is_finished():
            self._remember(trial)
        return trial

    def get_trial_by_number(self, study_id: int, number: int) -> FrozenTrial:
        def work(conn: Connection) -> int | None:
            self._require_study(conn, study_id)
            return conn.execute(
                select(trials.c.trial_id).where(
                    trials.c.study_id == study_id, trials.c.number == number
                )
            ).scalar()

        trial_id = self._db.read(work)
        if trial_id is None:
            raise TrialNotFoundError(f"study {study_id} has no trial number {number}")
        return self.get_trial(int(trial_id))

    def get_trials(
        self,
        study_id: int,
        *,
        states: Collection[TrialState] | None = None,
        min_number: int = 0,
    ) -> list[FrozenTrial]:
        # Trials 0..len(prefix)-1 are all finished and cached: only later ones are read.
        with self._lock:
            prefix = self._prefix.setdefault(study_id, [])
            start = max(min_number, 0)
            if start <= len(prefix):
                head, start = prefix[start:], len(prefix)
            else:
                head = []

        def work(conn: Connection) -> list[FrozenTrial]:
            index = conn.execute(
                select(trials.c.trial_id)
                .where(trials.c.study_id == study_id, trials.c.number >= start)
                .order_by(trials.c.number)
            ).all()
            if not index and not head:
                self._require_study(conn, study_id)
            cached = self._finished
            missing = [r.trial_id for r in index if r.trial_id not in cached]
            if len(missing) > _CHUNK:
                fresh = self._load(conn, missing, study_id=study_id, min_number=start)
            else:
                fresh = self._load(conn, missing) if missing else []
            loaded = {t.trial_id: t for t in fresh}
            return [cached.get(r.trial_id) or loaded[r.trial_id] for r in index]

        tail = self._db.read(work)
        with self._lock:
            for trial in tail:
                if trial.state.is_finished():
                    self._finished[trial.trial_id] = trial
            if start == len(prefix):  # grow the all-finished prefix
                for trial in tail:
                    if not trial.state.is_finished() or trial.number != len(prefix):
                        break
                    prefix.append(trial)
        result = head + tail
        if states is None:
            return result
        wanted = frozenset(states)
        return [t for t in result if t.state in wanted]

    def count_trials(self, study_id: int, *, states: Collection[TrialState] | None = None) -> int:
        def work(conn: Connection) -> int:
            self._require_study(conn, study_id)
            query = select(func.count()).select_from(trials).where(trials.c.study_id == study_id)
            if states is not None:
                query = query.where(trials.c.state.in_([s.value for s in states]))
            return int(conn.execute(query).scalar() or 0)

        return self._db.read(work)

    # -- liveness ------------------------------------------------------------------------

    def record_heartbeat(self, trial_id: int, worker_id: str) -> None:
        self._db.write(
            lambda conn: conn.execute(
                update(trials)
                .where(trials.c.trial_id == trial_id, trials.c.state == TrialState.RUNNING.value)
                .values(heartbeat=_now(), worker_id=worker_id)
            )
        )

    def fail_stale_trials(self, study_id: int, grace_period: float) -> list[FrozenTrial]:
        def work(conn: Connection) -> list[int]:
            cutoff = _now() - timedelta(seconds=grace_period)
            stale = [
                int(i)
                for i in conn.execute(
                    select(trials.c.trial_id).where(
                        trials.c.study_id == study_id,
                        trials.c.state == TrialState.RUNNING.value,
                        trials.c.heartbeat < cutoff,
                    )
                ).scalars()
            ]
            stale = [  # claim them: only this transaction moves them to FAIL
                i
                for i in stale
                if conn.execute(
                    update(trials)
                    .where(trials.c.trial_id == i, trials.c.state == TrialState.RUNNING.value)
                    .values(state=TrialState.FAIL.value, datetime_complete=_now())
                ).rowcount
                == 1
            ]
            for trial_id in stale:
                self._upsert(
                    conn,
                    trial_attrs,
                    {
                        "trial_id": trial_id,
                        "system": True,
                        "key": _FAIL_REASON,
                        "value": stale_reason(grace_period),
                    },
                    ["trial_id", "system", "key"],
                )
            return stale

        return [self.get_trial(i) for i in self._db.write(work)]


def _primary_key(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise StorageError("the database did not return the new row's id")
    return int(key[0])


def _reopen(url: str, engine_kwargs: dict[str, Any], retry_seconds: float) -> RDBStorage:
    return RDBStorage(url, engine_kwargs=engine_kwargs, retry_seconds=retry_seconds)
