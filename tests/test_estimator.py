"""DeepFeatureImportance as a scikit-learn estimator: conventions, selection, pipelines, persistence."""

import copy
import doctest
import pickle
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from deepfeat import DeepFeatureImportance, DeepFeatureImportanceRegressor
from deepfeat import estimator as estimator_module
from deepfeat.config import Settings
from deepfeat.ensemble import TrainingOptions
from deepfeat.experiment import estimator_for

# A few networks, a few epochs: the paper's learning rate would need hundreds of epochs to
# learn anything, and check_classifiers_train wants > 83% training accuracy on blobs.
FAST = {"n_models": 2, "learning_rate": 1e-2, "max_epochs": 3, "patience": 1, "random_state": 0}
# Networks that learn (FAST's barely do), whose outputs must still not depend on the order of the rows.
LEARNING = {"n_models": 2, "learning_rate": 1e-2, "max_epochs": 10, "random_state": 0}


@parametrize_with_checks([DeepFeatureImportance(**LEARNING), DeepFeatureImportanceRegressor(**LEARNING)])
def test_sklearn_conventions(estimator, check):
    check(estimator)


def test_repeated_predictions_trace_the_network_once(fitted, wine):
    from deepfeat.stacked import _predictor

    X, _ = wine
    for rows in (1, 7, 50, len(X)):
        fitted.predict_proba(X[:rows])
    assert _predictor(fitted.ensemble_.spec, fitted.ensemble_.encoding.layout).experimental_get_tracing_count() == 1
    proba = fitted.predict_proba(X)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(fitted.predict_proba(X.iloc[order]), proba[order])  # bit for bit


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True, as_frame=True)
    return X, y.map({0: "barolo", 1: "grignolino", 2: "barbera"})


@pytest.fixture(scope="module")
def fitted(wine):
    X, y = wine
    return DeepFeatureImportance(**FAST).fit(X, y)


@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer(return_X_y=True)


@pytest.mark.parametrize("name", ["DeepFeatureImportance", "DeepFeatureImportanceRegressor"])
def test_class_docstring_example_runs(name):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(getattr(estimator_module, name), globs={}):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0
    assert failed == 0


def test_fitted_attributes(fitted, wine):
    X, y = wine
    n_features = X.shape[1]
    assert fitted.n_features_in_ == n_features
    assert list(fitted.classes_) == ["barbera", "barolo", "grignolino"]
    assert fitted.importances_.shape == (2, n_features)
    np.testing.assert_allclose(fitted.importances_.sum(axis=1), 1.0)
    assert fitted.feature_importances_.shape == (n_features,)
    assert fitted.feature_importances_.sum() == pytest.approx(1.0)
    assert np.all(fitted.feature_importances_ >= 0)
    np.testing.assert_allclose(fitted.importances_std_, fitted.importances_.std(axis=0))
    assert isinstance(fitted.stability_, float)
    assert len(fitted.history_) == 2
    assert {"seed", "best_epoch", "epochs_run", "loss", "val_loss"} <= set(fitted.history_[0])
    assert set(fitted.predict(X)) <= set(fitted.classes_)


def test_dataframe_input_names_features(fitted, wine):
    X, _ = wine
    assert list(fitted.feature_names_in_) == list(X.columns)
    selected = fitted.get_feature_names_out()
    assert list(selected) == [name for name, keep in zip(X.columns, fitted.get_support()) if keep]
    assert list(fitted.ranking()["attribute"]) != []
    assert set(fitted.ranking()["attribute"]) == set(X.columns)


def test_selection_rules(fitted):
    importances = fitted.feature_importances_
    order = np.argsort(-importances, kind="stable")
    cases = [
        ({}, importances >= importances.mean() * (1 - 1e-9)),
        ({"threshold": "median"}, importances >= np.median(importances)),
        ({"threshold": 0.0}, np.ones(len(importances), dtype=bool)),
        ({"n_features_to_select": 3}, np.isin(np.arange(len(importances)), order[:3])),
        ({"n_features_to_select": 0.5}, np.isin(np.arange(len(importances)), order[:6])),
        ({"n_features_to_select": 1.0}, np.ones(len(importances), dtype=bool)),
        ({"n_features_to_select": 10, "threshold": "median"}, importances >= np.median(importances)),
    ]
    for params, expected in cases:
        # Selection happens at transform time, so a fitted copy can take new selection parameters.
        estimator = copy.deepcopy(fitted).set_params(**params)
        np.testing.assert_array_equal(estimator.get_support(), expected, err_msg=str(params))


def test_pickle_and_clone_round_trip(fitted, wine):
    X, y = wine
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(restored.get_support(), fitted.get_support())
    # The same random_state trains the same networks again.
    refitted = clone(fitted).fit(X, y)
    assert refitted.get_params() == fitted.get_params()
    np.testing.assert_array_equal(refitted.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(refitted.importances_, fitted.importances_)


def test_select_from_model_pipeline_scores_well(breast_cancer):
    X, y = breast_cancer
    pipeline = make_pipeline(
        StandardScaler(),
        SelectFromModel(DeepFeatureImportance(**FAST)),
        LogisticRegression(),
    )
    scores = cross_validate(pipeline, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0), return_estimator=True)
    assert scores["test_score"].mean() > 0.9
    for fold in scores["estimator"]:
        assert 0 < len(fold[:-1].get_feature_names_out()) < X.shape[1]


def test_grid_search_over_selected_features(breast_cancer):
    X, y = breast_cancer
    pipeline = make_pipeline(StandardScaler(), DeepFeatureImportance(**FAST), LogisticRegression())
    search = GridSearchCV(pipeline, {"deepfeatureimportance__n_features_to_select": [2, 10]}, cv=2)
    search.fit(X, y)
    assert search.best_score_ > 0.9
    k = search.best_params_["deepfeatureimportance__n_features_to_select"]
    assert search.best_estimator_[:-1].transform(X).shape == (len(X), k)


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"n_models": 0}, "Got 0"),
        ({"learning_rate": -1.0}, "Got -1.0"),
        ({"validation_fraction": 1.0}, "Got 1.0"),
        ({"normalization": "zscore"}, "'zscore'"),
        ({"trainer": "torch"}, "'torch'"),
        ({"n_features_to_select": 1.5}, "Got 1.5"),
        ({"threshold": "max"}, "'max'"),
    ],
)
def test_invalid_parameters_are_named(params, bad):
    X, y = np.zeros((4, 2)), [0, 1, 0, 1]
    (name,) = params
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter.*{bad}"):
        DeepFeatureImportance(**params).fit(X, y)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((4, 2)), [0, 0, 0, 0], "only one class"),
        (scipy.sparse.csr_matrix(np.eye(4)), [0, 1, 0, 1], "dense data is required"),
        (np.array([[0.0, np.nan], [1.0, np.nan]]), [0, 1], "'x1' is missing in every row"),
        (np.array([[0.0, np.inf], [1.0, 1.0]]), [0, 1], "infinity"),
        (np.array([[0.0, 1e300], [1.0, 1.0]]), [0, 1], "float32 range"),
        (np.zeros((1, 2)), [0], "minimum of 2"),
        (np.zeros((4, 2)), [0.5, 1.5, 0.5, 2.5], "Unknown label type"),
        (np.zeros((4, 2)), np.array([[0, 1], [1, 2], [0, 0], [1, 1]]), "multi-label indicator"),
    ],
)
def test_unusable_data_is_rejected_clearly(X, y, message):
    with pytest.raises((TypeError, ValueError), match=message):
        DeepFeatureImportance(**FAST).fit(X, y)


def test_too_many_features_to_select_fails_before_training():
    with pytest.raises(ValueError, match="n_features_to_select=3 is more than the 2 features"):
        DeepFeatureImportance(n_features_to_select=3).fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_defaults_match_the_runner_settings():
    """The estimator's knobs are the runner's settings: same names, same defaults."""
    params = DeepFeatureImportance().get_params()
    settings = Settings(data_file=Path("unused.csv"))
    shared = set(params) - {"n_models", "n_features_to_select", "threshold", "categorical_features", "random_state"}
    assert shared <= {f.name for f in fields(Settings)}
    assert {name: params[name] for name in shared} == {name: getattr(settings, name) for name in shared}
    built = estimator_for(Settings(data_file=Path("unused.csv"), seed=7, learning_rate=0.01), 3).get_params()
    assert (built["n_models"], built["random_state"], built["learning_rate"]) == (3, 7, 0.01)
    regressor = estimator_for(Settings(data_file=Path("unused.csv")), 3, task="regression")
    assert isinstance(regressor, DeepFeatureImportanceRegressor) and regressor.get_params() == {
        **params,
        "n_models": 3,
    }
    # ... and the library's: the estimator's defaults train as TrainingOptions' defaults do.
    assert DeepFeatureImportance()._training_options() == TrainingOptions()
    constraints = DeepFeatureImportance._parameter_constraints
    assert set(constraints) == set(params)
    with pytest.raises(InvalidParameterError, match="'hidden_units' parameter.*Got 0"):
        DeepFeatureImportance(hidden_units=0).fit(np.zeros((4, 2)), [0, 1, 0, 1])
