import keras
import numpy as np
import pytest

from deepfeat.ensemble import TrainingOptions
from deepfeat.model import build_network
from deepfeat.tasks import soft_f1_loss


def _hand_soft_f1(y, p):
    """The loss written out per head, in plain Python."""
    total = 0.0
    for k in range(y.shape[1]):
        tp = sum(p[i, k] * y[i, k] for i in range(len(y)))
        fp = sum(p[i, k] * (1 - y[i, k]) for i in range(len(y)))
        fn = sum((1 - p[i, k]) * y[i, k] for i in range(len(y)))
        tn = sum((1 - p[i, k]) * (1 - y[i, k]) for i in range(len(y)))
        f1_pos = 2 * tp / (2 * tp + fn + fp)
        f1_neg = 2 * tn / (2 * tn + fn + fp)
        total += ((1 - f1_pos) + (1 - f1_neg)) / 2
    return total


def test_soft_f1_matches_hand_computation():
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype="float32")
    p = np.array([[0.9, 0.2, 0.1], [0.3, 0.6, 0.2], [0.1, 0.1, 0.7], [0.4, 0.5, 0.3]], dtype="float32")
    assert float(soft_f1_loss(y, p)) == pytest.approx(_hand_soft_f1(y, p), rel=1e-5)


def test_soft_f1_is_zero_when_perfect_and_largest_when_inverted():
    y = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    assert float(soft_f1_loss(y, y)) == pytest.approx(0.0, abs=1e-6)
    assert float(soft_f1_loss(y, 1 - y)) == pytest.approx(2.0, abs=1e-6)  # 1 per head, summed


def test_network_has_the_papers_layers():
    model = build_network(13, 5, TrainingOptions())
    names = [layer.name for layer in model.layers]
    assert names == [
        "attributes",
        "importance",
        "dense_0", "noise_0", "dropout_0",
        "dense_1", "noise_1", "dropout_1",
        "dense_2", "dropout_2",
        "heads",
    ]  # fmt: skip
    dense = model.get_layer("dense_0")
    assert dense.units == 128 and dense.activation.__name__ == "relu"
    assert dense.kernel_regularizer.l2 == pytest.approx(1e-3) and dense.bias_regularizer.l2 == pytest.approx(1e-3)
    assert model.get_layer("noise_0").stddev == pytest.approx(0.005)
    assert model.get_layer("dropout_2").rate == pytest.approx(0.5)
    assert model.get_layer("heads").units == 5 and model.get_layer("heads").activation.__name__ == "sigmoid"
    assert model.get_layer("heads").kernel_regularizer is None


def test_built_in_normalisation_takes_raw_attributes(tmp_path):
    shift, scale = np.array([10.0, -1.0], "float32"), np.array([2.0, 4.0], "float32")
    model = build_network(2, 2, TrainingOptions(), encoding={"shift": shift, "scale": scale}, row_l2=True)
    x = np.array([[3.0, 4.0]], dtype="float32")
    unit = x / 5.0
    np.testing.assert_allclose(model.get_layer("normalization")(unit).numpy(), (unit - shift) / scale, rtol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
