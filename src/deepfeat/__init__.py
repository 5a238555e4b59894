"""deepfeat: global feature importance from ensembles of importance-gated neural networks.

>>> from deepfeat import DeepFeatureImportance  # doctest: +SKIP
"""

__version__ = "0.1.0"

__all__ = ["DeepFeatureImportance", "__version__"]


def __getattr__(name):
    # The estimator pulls in TensorFlow; load it on first use so that `deepfeat --help` is quick.
    if name == "DeepFeatureImportance":
        from .estimator import DeepFeatureImportance

        return DeepFeatureImportance
    raise AttributeError(f"module 'deepfeat' has no attribute {name!r}")
