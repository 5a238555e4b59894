"""deepfeat: global feature importance from ensembles of importance-gated neural networks.

>>> from deepfeat import DeepFeatureImportance, DeepFeatureImportanceRegressor  # doctest: +SKIP
"""

__version__ = "0.1.0"

__all__ = ["DeepFeatureImportance", "DeepFeatureImportanceRegressor", "__version__"]


def __getattr__(name):
    # The estimator pulls in TensorFlow; load it on first use so that `deepfeat --help` is quick.
    if name in ("DeepFeatureImportance", "DeepFeatureImportanceRegressor"):
        from . import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'deepfeat' has no attribute {name!r}")
