"""Pin the public surface: a change here is a deliberate API change."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "tunelab": [
        "FixedTrial",
        "FrozenStudy",
        "FrozenTrial",
        "Isolation",
        "RetryFailedTrialCallback",
        "Study",
        "StudyDirection",
        "StudyView",
        "Trial",
        "TrialPruned",
        "TrialState",
        "__version__",
        "callbacks",
        "create_study",
        "create_trial",
        "delete_study",
        "distributions",
        "exceptions",
        "execution",
        "get_all_study_names",
        "load_study",
        "pruners",
        "samplers",
        "schedulers",
        "storages",
        "study",
        "trial",
    ],
    "tunelab.callbacks": ["Callback", "MaxTrialsCallback"],
    "tunelab.schedulers": ["PBT", "lineage"],
    "tunelab.sklearn": ["TuneSearchCV"],
    "tunelab.distributions": [
        "BaseDistribution",
        "CategoricalDistribution",
        "FloatDistribution",
        "IntDistribution",
        "distribution_from_json",
    ],
    "tunelab.exceptions": [
        "DuplicatedStudyError",
        "InvalidTransitionError",
        "SearchSpaceExhausted",
        "StorageError",
        "StudyNotFoundError",
        "TrialFinishedError",
        "TrialLimitReached",
        "TrialNotFoundError",
        "TrialPruned",
        "TunelabError",
    ],
    "tunelab.execution": [
        "Budget",
        "Executor",
        "ProcessExecutor",
        "RemoteTrialLoop",
        "SequentialExecutor",
        "ThreadExecutor",
        "TrialLoop",
    ],
    "tunelab.pruners": [
        "BasePruner",
        "CurvePruner",
        "HyperbandPruner",
        "MedianPruner",
        "NopPruner",
        "PairedFoldPruner",
        "PatientPruner",
        "PercentilePruner",
        "PruneDecision",
        "SuccessiveHalvingPruner",
        "ThresholdPruner",
    ],
    "tunelab.samplers": [
        "AutoSampler",
        "BaseSampler",
        "CmaEsSampler",
        "GPSampler",
        "GridSampler",
        "QMCSampler",
        "RandomSampler",
        "TPEOptions",
        "TPESampler",
        "WaitingBatch",
    ],
    "tunelab.storages": [
        "BaseStorage",
        "InMemoryStorage",
        "copy_study",
        "export_study",
        "get_storage",
        "import_study",
    ],
    "tunelab.study": [
        "Isolation",
        "RetryFailedTrialCallback",
        "Study",
        "TrialProcessError",
        "create_study",
        "create_trial",
        "delete_study",
        "get_all_study_names",
        "load_study",
    ],
    "tunelab.trial": ["FixedTrial", "FrozenTrial", "Trial", "TrialState"],
    "tunelab.cli": ["main"],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_pinned_and_sorted(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__ == PUBLIC[module_name]
    assert module.__all__ == sorted(module.__all__)


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_every_public_name_exists_and_is_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj) and not name.startswith("__"):
            assert (obj.__doc__ or "").strip(), f"{module_name}.{name} has no docstring"
