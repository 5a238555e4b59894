"""The ranking's uncertainty: the bootstrap interval of the mean importance."""

import tracemalloc

import numpy as np

from deepfeat.importance import bootstrap_interval


def test_the_bootstrap_interval_is_the_percentiles_of_the_resampled_means():
    importances = np.random.default_rng(1).dirichlet(np.ones(600), size=12)
    low, high = bootstrap_interval(importances, n_boot=500, level=0.9, seed=4)
    weights = np.random.default_rng(4).multinomial(12, np.full(12, 1 / 12), size=500) / 12
    means = weights @ importances
    np.testing.assert_allclose(low, np.percentile(means, 5, axis=0), rtol=1e-12)
    np.testing.assert_allclose(high, np.percentile(means, 95, axis=0), rtol=1e-12)
    assert (low <= importances.mean(axis=0)).all() and (importances.mean(axis=0) <= high).all()


def test_the_bootstrap_of_a_wide_table_holds_a_few_columns_of_means_at_a_time():
    # 20,000 attributes: all the resampled means at once (and percentile's sorted copy) are 160 MB each.
    importances = np.random.default_rng(2).random((20, 20_000))
    tracemalloc.start()
    try:
        bootstrap_interval(importances)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
