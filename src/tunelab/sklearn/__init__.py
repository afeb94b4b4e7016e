"""scikit-learn integration: :class:`TuneSearchCV`, a drop-in for ``RandomizedSearchCV``.

Needs scikit-learn (``pip install tunelab[sklearn]``).

Example:
    >>> from tunelab.sklearn import TuneSearchCV
    >>> TuneSearchCV.__name__
    'TuneSearchCV'
"""

try:
    import sklearn  # noqa: F401
except ImportError:  # pragma: no cover - exercised without scikit-learn installed
    raise ImportError(
        "tunelab.sklearn needs scikit-learn: pip install 'tunelab[sklearn]'"
    ) from None

from tunelab.sklearn._search import TuneSearchCV

__all__ = ["TuneSearchCV"]
