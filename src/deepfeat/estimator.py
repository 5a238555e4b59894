"""scikit-learn interface: a classifier and a regressor that also select features.

:class:`DeepFeatureImportance` (one class label, or several 0/1 labels) and
:class:`DeepFeatureImportanceRegressor` (one numeric target) share one base, as scikit-learn's
forests do: the base trains the ensemble and selects, each subclass reads its target into a
task (:mod:`deepfeat.tasks`) and predicts.
"""

import inspect
import textwrap
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .elimination import train_eliminating
from .encoding import check_attributes
from .errors import NoSkillWarning
from .importance import mean_importance, ranking_table, split_half_stability
from .settings import TrainingOptions, by_scope, combination_problem, min_models, null_models, setting
from .tasks import CLASSIFICATION, MULTILABEL, REGRESSION

# The networks compute in float32: larger magnitudes would become inf and poison training.
_FLOAT32_MAX = float(np.finfo(np.float32).max)

#: The runner's settings that are also the estimator's parameters, with the same names and defaults.
SHARED_SETTINGS = by_scope("training", "ensemble")


def _constraint(spec):
    """The scikit-learn parameter constraint of the setting ``spec`` (None allowed where it is the default)."""
    unset = [None] if spec.default is None else []
    if spec.kind == "choice":
        return [StrOptions(set(spec.choices)), *unset]
    if spec.kind == "bool":
        return ["boolean", *unset]
    # Whole numbers excluded from the range split it in two: [low, e - 1] and [e + 1, high].
    edges = [(spec.low, spec.closed in ("left", "both"))]
    for value in spec.excluded:
        edges += [(value - 1, True), (value + 1, True)]
    edges.append((spec.high, spec.closed in ("right", "both")))
    kind = Integral if spec.kind == "int" else Real
    intervals = [
        Options(kind, {low})  # Interval takes no single value
        if low is not None and low == high
        else Interval(kind, low, high, closed=_closed(low is not None and left, high is not None and right))
        for (low, left), (high, right) in zip(edges[::2], edges[1::2])
    ]
    return [*intervals, *unset]


def _closed(left, right):
    return {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "neither"}[left, right]


def _parameter_doc(spec):
    kind = "{" + ", ".join(f'"{c}"' for c in spec.choices) + "}" if spec.kind == "choice" else spec.kind
    default = f'"{spec.default}"' if isinstance(spec.default, str) else spec.default_text()
    allowed = f" ({spec.range_text()})" if spec.kind != "choice" and spec.range_text() else ""
    text = textwrap.fill(
        spec.help[0].upper() + spec.help[1:] + allowed + ".", 88, initial_indent=" " * 8, subsequent_indent=" " * 8
    )
    return f"    {spec.name} : {kind}, default={default}\n{text}\n"


def _storing_init(signature):
    """An ``__init__`` with ``signature`` that stores every argument, unchanged, as an attribute.

    The training parameters come from :data:`deepfeat.settings.SETTINGS`, so the signature is
    made from it rather than written out; scikit-learn reads it with ``inspect.signature``.
    """

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


class _DeepFeatureImportanceBase(SelectorMixin, BaseEstimator):
    """What the classifier and the regressor share: the parameters, training, ranking, selection.

    A subclass reads its target in ``_task_for(y)`` (validated ``y`` in, task and the ``y`` the
    task encodes out) and predicts from ``_outputs(X)``, the networks' mean outputs.
    """

    _parameter_constraints = {
        "n_models": _constraint(setting("n_models")),
        **{spec.name: _constraint(spec) for spec in SHARED_SETTINGS},
        "n_features_to_select": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            StrOptions({"confirmed"}),
            None,
        ],
        "threshold": [Interval(Real, None, None, closed="neither"), StrOptions({"mean", "median"}), None],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "random_state": ["random_state"],
    }

    __init__ = _storing_init(
        inspect.Signature(
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                inspect.Parameter("n_models", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=100),
                *(
                    inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=spec.default)
                    for spec in SHARED_SETTINGS
                ),
                *(
                    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
                    for name in ("n_features_to_select", "threshold", "categorical_features", "random_state")
                ),
            ]
        )
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # imputed by each network (see ``missing``)
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, progress=None, checkpoint=None, stop=None):
        """Train the ensemble on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features: numbers, or text (a column holding any text is categorical, its levels
            in ``categories_``); NaN (or None) for a missing value (see ``missing``). A pandas
            DataFrame's column names become ``feature_names_in_``. Sparse matrices and
            infinite values are rejected.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The target: for the classifier class labels (integers or strings, at least two
            distinct ones) or a 0/1 matrix of several labels; for the regressor numbers that
            are not all equal.
        progress : callable, optional
            Called after every epoch as ``progress(finished, n_models, epoch, n_training)``.
        checkpoint : deepfeat.checkpoint.RunCheckpoint, optional
            Saves progress as training goes and resumes an interrupted fit with the same data
            and parameters (``random_state`` must then be an int); see
            :func:`deepfeat.ensemble.train_ensemble`.
        stop : deepfeat.training.StopRequest, optional
            A stop requested through it ends training at the end of the epoch, after saving
            to ``checkpoint``, with :class:`deepfeat.training.Interrupted`.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` or ``y`` is unusable (see above), ``n_features_to_select`` asks for more
            features than ``X`` has or for the confirmed ones without decisions,
            ``elimination_keep`` < 1 meets "row-l2", or ``decisions=True`` has too few
            ``n_models`` (see :func:`deepfeat.settings.min_models`).
        """
        dtypes = getattr(X, "dtypes", None)  # before validation makes a DataFrame an array
        X, y = validate_data(
            self, X, y, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=2, **self._y_validation
        )
        X = self._attributes(X, fitting=True)
        self.is_categorical_ = self._categorical_mask(dtypes)
        if self.missing == "drop":
            kept = ~np.isnan(X).any(axis=1)
            X, y = X[kept], y[kept]
            if len(X) < 2:
                raise ValueError(f"missing='drop' leaves {len(X)} of {len(kept)} rows without a missing value; need 2.")
        check_attributes(X, self.is_categorical_, self.get_feature_names_in())
        task, y = self._task_for(y)
        self._n_selected(X.shape[1])  # fail before training, not at the first transform
        problem = combination_problem(self.get_params())
        if problem is not None:
            raise ValueError(problem + ".")
        if self.n_features_to_select == "confirmed" and not self.decisions:
            raise ValueError(
                "n_features_to_select='confirmed' needs decisions: set decisions=True (with n_models >= "
                f"{min_models(self.alpha)} at alpha={self.alpha:g})."
            )
        self.seed_ = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.elimination_ = train_eliminating(
            X,
            y,
            self.n_models,
            self._training_options(),
            self.seed_,
            self.elimination_keep,
            task=task,
            progress=progress,
            checkpoint=checkpoint,
            stop=stop,
            n_jobs=self.n_jobs,
            null_models=null_models(self.n_models) if self.decisions else 0,
            categorical=self.is_categorical_,
        )
        self.ensemble_ = self.elimination_.final_ensemble()
        self.importances_ = self.elimination_.importances
        self.feature_importances_ = mean_importance(self.importances_)
        self.importances_std_ = self.importances_.std(axis=0)
        self.stability_ = split_half_stability(self.importances_)
        self.history_ = self.ensemble_.records
        self.decision_result_ = self.elimination_.decisions(self.alpha)
        made = self.decision_result_ is not None
        self.decisions_ = self.decision_result_.decisions if made else None
        self.p_values_ = self.decision_result_.p_values if made else None
        self.validation_skill_ = skill = self.ensemble_.skill
        if skill.at_chance:
            warnings.warn(
                f"The networks predict their validation rows no better than chance ({skill.metric} "
                f"{skill.value:.3f}; chance {skill.chance:g} +/- {skill.sd:.3f}): "
                "feature_importances_ may be noise. See validation_skill_.",
                NoSkillWarning,
                stacklevel=3,  # the caller of fit, past scikit-learn's wrapper
            )
        return self

    def _attributes(self, X, fitting):
        """The validated ``X`` as the networks take it: numbers, text columns' level codes, NaN for a missing value.

        Fitting, a column holding any text gets its sorted levels in ``categories_``; later an
        unknown level becomes -1, a code of no level (the networks' "unseen level" input).
        """
        if X.dtype.kind in "biuf":
            if fitting:
                self.categories_ = [None] * X.shape[1]
            X = X.astype(np.float64, copy=False)  # read, never written: no copy of a float64 table
            _check_float32_range(X, "X")
            return X
        columns = []
        categories = [] if fitting else self.categories_
        for j in range(X.shape[1]):
            column = X[:, j]
            odd = next((v for v in column if not isinstance(v, str | Real | None)), None)
            if odd is not None:
                raise TypeError(f"X column {j}: argument must be a string or a number, not {type(odd).__name__}.")
            missing = np.array([v is None or (isinstance(v, float) and v != v) for v in column])
            numbers = _numbers(column, missing) if fitting or categories[j] is None else None
            if fitting:
                levels = (
                    None if numbers is not None else np.array(sorted({str(v) for v in column[~missing]}), dtype=object)
                )
                categories.append(levels)
            if categories[j] is None:
                if numbers is None:
                    raise ValueError(
                        f"X column {j} held numbers in fit but has text now, such as {column[~missing][0]!r}."
                    )
                columns.append(numbers)
            else:
                code = {level: i for i, level in enumerate(categories[j])}
                columns.append(
                    np.array([np.nan if m else code.get(str(v), -1) for v, m in zip(column, missing)], dtype=np.float64)
                )
        if fitting:
            self.categories_ = categories
        X = np.column_stack(columns) if columns else np.empty((len(X), 0))
        _check_float32_range(X, "X")
        return X

    def _categorical_mask(self, dtypes):
        """Which features are categorical: those ``categorical_features`` names, and every text column."""
        n_features = self.n_features_in_
        text = np.array([levels is not None for levels in self.categories_], dtype=bool)
        asked = self.categorical_features
        if asked is None:
            return text
        if isinstance(asked, str):  # "from_dtype"
            kinds = [] if dtypes is None else [str(dtype) == "category" for dtype in dtypes]
            return text | np.array(kinds or [False] * n_features, dtype=bool)
        asked = np.asarray(asked)
        if asked.dtype == bool:
            if asked.shape != (n_features,):
                raise ValueError(
                    f"categorical_features as a boolean mask needs {n_features} values (one per feature), "
                    f"got {asked.size}."
                )
            return text | asked
        mask = np.zeros(n_features, dtype=bool)
        names = list(getattr(self, "feature_names_in_", []))
        for value in asked.ravel():
            if isinstance(value, str | np.str_):
                if value not in names:
                    raise ValueError(f"categorical_features names {str(value)!r}, which is not a feature of X.")
                mask[names.index(value)] = True
            elif isinstance(value, Integral | np.integer) and 0 <= value < n_features:
                mask[int(value)] = True
            else:
                raise ValueError(
                    f"categorical_features holds {value!r}: give feature indices in [0, {n_features - 1}], "
                    "feature names, or a boolean mask."
                )
        return text | mask

    def _training_options(self):
        return TrainingOptions(**{spec.name: getattr(self, spec.name) for spec in by_scope("training")})

    def _outputs(self, X):
        """The networks' mean outputs for ``X`` in the target's units, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = self._attributes(validate_data(self, X, dtype=None, ensure_all_finite="allow-nan", reset=False), False)
        layout = self.ensemble_.encoding.layout
        unfilled = sorted(set(np.flatnonzero(np.isnan(X).any(axis=0))) & set(layout.numeric) - set(layout.indicated))
        if unfilled:
            raise ValueError(
                f"X has missing values in feature {self.get_feature_names_in()[unfilled[0]]!r}, which had none in fit "
                f"(or missing={self.missing!r} dropped them): the networks have no missing-value input for it."
            )
        return self.ensemble_.predict_outputs(X).mean(axis=0).astype(np.float64)

    def ranking(self, feature_names=None):
        """The ranking table of the fitted ensemble, most important feature first.

        Parameters
        ----------
        feature_names : sequence of str, optional
            Names for the features; defaults to :meth:`get_feature_names_in`.

        Returns
        -------
        pandas.DataFrame
            See :func:`deepfeat.importance.ranking_table`.
        """
        check_is_fitted(self)
        names = self.get_feature_names_in() if feature_names is None else feature_names
        return ranking_table(self.importances_, names, seed=self.seed_, decisions=self.decision_result_)

    def get_feature_names_in(self):
        """Input feature names: ``feature_names_in_`` if known, else ``x0``, ``x1``, ...

        Returns
        -------
        list of str
        """
        check_is_fitted(self)
        if hasattr(self, "feature_names_in_"):
            return list(self.feature_names_in_)
        return [f"x{i}" for i in range(self.n_features_in_)]

    def _n_selected(self, n_features):
        """How many features ``n_features_to_select`` allows, or None for no limit."""
        k = self.n_features_to_select
        if k is None or k == "confirmed":
            return None
        if not isinstance(k, Integral):
            return max(1, int(round(k * n_features)))
        if k > n_features:
            raise ValueError(f"n_features_to_select={k} is more than the {n_features} features of X.")
        return int(k)

    def _get_support_mask(self):
        check_is_fitted(self)
        if self.n_features_to_select == "confirmed":
            return self.decisions_ == "confirmed"
        importances = self.feature_importances_
        k = self._n_selected(len(importances))
        threshold = self.threshold if self.threshold is not None or k is not None else "mean"
        if threshold == "mean":
            threshold = importances.mean()
        elif threshold == "median":
            threshold = np.median(importances)
        if threshold is None:
            mask = np.ones(len(importances), dtype=bool)
        else:
            # Equal importances sit at the mean up to rounding; keep them all rather than none.
            mask = importances >= threshold - 1e-9 * abs(threshold)
        if k is not None and mask.sum() > k:
            kept = np.flatnonzero(mask)
            mask = np.zeros(len(importances), dtype=bool)
            mask[kept[np.argsort(-importances[kept], kind="stable")[:k]]] = True
        return mask


class DeepFeatureImportance(ClassifierMixin, _DeepFeatureImportanceBase):
    """Rank features for a class label (or several labels) with an ensemble of importance-gated networks.

    Every attribute passes through its own non-negative, linear gate in front of a small
    network (by default three Dense(128, ReLU) blocks with noise and dropout: ``hidden_layers``,
    ``hidden_units``; one sigmoid head per class, soft-F1 loss). Each of ``n_models`` networks
    trains on its own stratified split with early stopping; its gates, normalised to sum to
    one, are its importances, and the ensemble's average is ``feature_importances_``. The
    estimator predicts with the average of the networks' heads and, as a selector, keeps the
    most important features, so it can stand in a :class:`~sklearn.pipeline.Pipeline` either as
    a classifier or as a feature selection step, or be wrapped in
    :class:`~sklearn.feature_selection.SelectFromModel`.

    Given a 2-D ``y`` of 0 and 1 (one column per label, as scikit-learn's multi-label
    estimators take), each label gets its own sigmoid head (multi-label): a row may have any
    number of labels, and the importances are for predicting all of them.

    The parameters other than ``n_features_to_select`` and ``threshold`` are the command-line
    runner's settings of the same names (``random_state`` is its ``SEED``), with the same
    defaults: the paper's. ``importance_init="glorot-relu"`` reproduces the 2021 code: its start
    comes with a ReLU after the gates, which leaves many gates stuck at exactly 0.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels; for multi-label ``y``, the label columns' indices.
    {attributes}
    history_ : list of dict
        Per network: seed, best and last epoch, losses, each head's precision and recall on
        its training and validation rows (``output_class_k_...``, or ``output_label_k_...``
        for multi-label), and its mean per-head AUROC on its validation rows.
    validation_skill_ : deepfeat.skill.ValidationSkill
        How well the networks of ``ensemble_`` predict their own validation rows: mean macro
        AUROC (chance 0.5) and its no-skill deviation. When ``validation_skill_.at_chance`` is
        true the networks found nothing they could predict with, and ``feature_importances_``
        may be noise, however stable; more networks will not change that. ``fit`` then warns
        with :class:`deepfeat.errors.NoSkillWarning`.
    {more_attributes}

    See Also
    --------
    DeepFeatureImportanceRegressor : The same for a numeric target.
    sklearn.feature_selection.SelectFromModel : Selection by any model's importances.
    deepfeat.importance.ranking_table : The ranking table behind :meth:`ranking`.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from deepfeat import DeepFeatureImportance
    >>> X, y = load_wine(return_X_y=True)
    >>> model = DeepFeatureImportance(n_models=4, max_epochs=3, n_features_to_select=5, random_state=0)
    >>> model = model.fit(X, y)
    >>> model.importances_.shape
    (4, 13)
    >>> float(round(model.feature_importances_.sum(), 6))
    1.0
    >>> model.transform(X).shape
    (178, 5)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    """

    _y_validation = {"multi_output": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags

    def _task_for(self, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    f"a 2-D y must be a multi-label indicator matrix of 0 and 1 (one column per label); got "
                    f"{type_of_target(y)!r} values such as {y.flat[0]!r}."
                )
            self.classes_ = np.arange(y.shape[1])
            return MULTILABEL, y
        check_classification_targets(y)
        self.classes_ = CLASSIFICATION.encode(y).labels
        if len(self.classes_) < 2:
            raise ValueError(f"y has only one class ({self.classes_[0]!r}); at least two are needed.")
        return CLASSIFICATION, y

    def _multilabel(self):
        return self.ensemble_.task == MULTILABEL

    def predict_proba(self, X):
        """Class probabilities: the networks' mean head outputs, scaled to sum to one per row.

        Each class has its own sigmoid head, so the mean outputs need not sum to one; a row
        where every head outputs 0 gets equal probabilities. For multi-label, each label's
        probability is its head's mean output, unscaled.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples with the features seen in fit.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        heads = self._outputs(X)
        if self._multilabel():
            return heads
        totals = heads.sum(axis=1, keepdims=True)
        uniform = np.full_like(heads, 1.0 / heads.shape[1])
        return np.where(totals > 0, heads / np.where(totals > 0, totals, 1.0), uniform)

    def predict(self, X):
        """The class with the highest mean head output (for multi-label: each label whose
        probability is above 0.5).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples with the features seen in fit.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels, drawn from ``classes_``; for multi-label, 0/1 integers.
        """
        proba = self.predict_proba(X)  # first, so that an unfitted estimator raises NotFittedError
        if self._multilabel():
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]


class DeepFeatureImportanceRegressor(RegressorMixin, _DeepFeatureImportanceBase):
    """Rank features for a numeric target with an ensemble of importance-gated networks.

    The networks are those of :class:`DeepFeatureImportance` with one linear head: every
    attribute passes through its own non-negative gate, and each of ``n_models`` networks
    trains, with the mean squared error, on the target standardised on its own training rows
    (a random split that keeps the target's quintiles in proportion), with early stopping.
    Its gates, normalised to sum to one, are its importances, and the ensemble's average is
    ``feature_importances_``. It predicts with the mean of the networks' outputs (in the
    target's units), ``score`` is R², and as a selector it keeps the most important features.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}
    history_ : list of dict
        Per network: seed, best and last epoch, losses (of the standardised target), and RMSE,
        MAE and R² on its training and validation rows, with the validation R²'s standard
        error.
    validation_skill_ : deepfeat.skill.ValidationSkill
        How well the networks of ``ensemble_`` predict their own validation rows: mean R²
        (chance 0, predicting the mean) and its standard error. When
        ``validation_skill_.at_chance`` is true the networks predict no better than the mean,
        and ``feature_importances_`` may be noise; ``fit`` then warns with
        :class:`deepfeat.errors.NoSkillWarning`.
    {more_attributes}

    See Also
    --------
    DeepFeatureImportance : The same for class labels.
    sklearn.feature_selection.SelectFromModel : Selection by any model's importances.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from deepfeat import DeepFeatureImportanceRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = DeepFeatureImportanceRegressor(n_models=4, max_epochs=3, n_features_to_select=4, random_state=0)
    >>> model = model.fit(X, y)
    >>> model.importances_.shape
    (4, 10)
    >>> model.transform(X).shape
    (442, 4)
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _y_validation = {"y_numeric": True}

    def _task_for(self, y):
        y = column_or_1d(y, warn=True)
        _check_float32_range(y, "y")
        if y.min() == y.max():
            raise ValueError(f"y is the same number ({y[0]!r}) on every row; a regression target must vary.")
        return REGRESSION, y

    def predict(self, X):
        """The networks' mean prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples with the features seen in fit.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._outputs(X)[:, 0]


def _numbers(column, missing):
    """An object column as float64 (NaN where ``missing``), or None if it holds text."""
    try:
        return np.array([np.nan if m else float(v) for v, m in zip(column, missing)], dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _check_float32_range(values, name):
    # The two ends rather than np.abs: no temporary of the size of the table.
    if values.size and max(np.nanmax(values, initial=0.0), -np.nanmin(values, initial=0.0)) > _FLOAT32_MAX:
        raise ValueError(
            f"{name} has values beyond the float32 range (|{name.lower()}| > {_FLOAT32_MAX:.3g}); rescale it first."
        )


_PARAMETERS_DOC = """n_models : int, default=100
        Number of networks in the ensemble (the paper trained 100).
{settings}    n_features_to_select : int, float or "confirmed", default=None
        Keep at most this many of the most important features; a float in (0, 1] is a
        fraction of the features (at least one is kept). ``None`` sets no limit.
        ``"confirmed"`` keeps the features whose decision is "confirmed" (possibly none),
        whatever ``threshold`` says; it needs decisions (see ``decisions``).
    categorical_features : array-like of int, str or bool, or "from_dtype", default=None
        Features to one-hot encode over their levels, with one importance gate over all
        of them: their indices, their names (with a DataFrame), a boolean mask, or
        ``"from_dtype"`` for a DataFrame's ``category`` columns. A column holding text is
        categorical anyway; other columns are numeric (integer codes too) unless named.
    threshold : float or {{"mean", "median"}}, default=None
        Keep only features whose importance is at least this. ``None`` means "mean" (at least
        the importance every feature would have if all mattered equally) when
        ``n_features_to_select`` is None, and no threshold otherwise. With both set, the
        features kept are the most important ones among those above the threshold.
    random_state : int, RandomState instance or None, default=None
        Seed for splits, initial weights, batch order, dropout and noise. An int makes fits
        reproducible on the same machine.""".format(settings="".join(_parameter_doc(spec) for spec in SHARED_SETTINGS))

_ATTRIBUTES_DOC = """n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit; only when ``X`` has string column names.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Mean normalised importance; sums to one.
    importances_ : ndarray of shape (n_models, n_features_in_)
        Each network's normalised importances. With recursive elimination, network ``m`` of
        every round scores the features: ``r + v`` for a feature last trained on in round
        ``r`` with normalised gate weight ``v``, the row then normalised to sum to one.
    importances_std_ : ndarray of shape (n_features_in_,)
        Standard deviation of the importances across networks.
    stability_ : float
        Spearman correlation between the mean importances of the two halves of the ensemble;
        NaN for a single network or a single feature.
    decisions_ : ndarray of str of shape (n_features_in_,) or None
        Per feature "confirmed" (more important than noise, at a false-discovery rate of
        ``alpha``), "rejected" (less) or "tentative"; see :mod:`deepfeat.decisions`. All are
        "tentative" when the networks predict no better than chance.
        None without ``decisions``.
    p_values_ : ndarray of shape (n_features_in_,) or None
        Per feature, the Benjamini-Hochberg-adjusted p-value of "more important than
        noise": below ``alpha`` means confirmed. None with ``decisions_``."""

_MORE_ATTRIBUTES_DOC = """is_categorical_ : ndarray of bool of shape (n_features_in_,)
        Which features were encoded as categorical.
    categories_ : list of (ndarray of str or None)
        Per feature, the sorted levels of a column that held text in fit (a later level not
        among them counts as unseen), or None.
    seed_ : int
        The seed the fit used (drawn from ``random_state``).
    ensemble_ : deepfeat.ensemble.EnsembleResult
        The trained weights, for prediction and for exporting Keras models; with recursive
        elimination, the last round's networks, with zero weights for the dropped features.
    elimination_ : deepfeat.elimination.EliminationResult
        Every round's features and ensemble (a single round without elimination).
    decision_result_ : deepfeat.decisions.Decisions or None
        The decisions with their false-discovery rate and, when every feature is tentative
        because the networks learnt nothing, why; from the first round of elimination."""

for _estimator in (DeepFeatureImportance, DeepFeatureImportanceRegressor):
    if _estimator.__doc__:  # None under python -OO
        _estimator.__doc__ = (
            _estimator.__doc__.replace("{parameters}", _PARAMETERS_DOC)
            .replace("{attributes}", _ATTRIBUTES_DOC)
            .replace("{more_attributes}", _MORE_ATTRIBUTES_DOC)
        )
