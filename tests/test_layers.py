import keras
import numpy as np
import pytest

from deepfeat.layers import IMPORTANCE_INITS, ImportanceLayer, importance_initializer


def test_output_matches_numpy_reference():
    layer = ImportanceLayer()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    layer.build(x.shape)
    layer.importance.assign(np.array([0.5, 2.0, 0.0], dtype="float32"))
    np.testing.assert_allclose(layer(x).numpy(), x * [0.5, 2.0, 0.0], rtol=1e-6)


def test_relu_variant_clips_negative_products():
    layer = ImportanceLayer(relu=True)
    x = np.array([[1.0, -1.0]], dtype="float32")
    np.testing.assert_allclose(layer(x).numpy(), [[1.0, 0.0]])


def test_starts_at_ones_and_scales_to_many_attributes():
    layer = ImportanceLayer()
    layer.build((None, 10_000))
    assert layer.importance.shape == (10_000,)
    np.testing.assert_array_equal(layer.importance.numpy(), 1.0)


def test_weights_stay_non_negative_under_training():
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1)(ImportanceLayer(name="importance")(inputs))
    model = keras.Model(inputs, outputs)
    # A target that rewards making the gates negative: the constraint must hold them at >= 0.
    x = np.ones((32, 3), dtype="float32")
    model.get_layer("importance").set_weights([np.full(3, 0.01, dtype="float32")])
    model.layers[-1].set_weights([np.ones((3, 1), "float32"), np.zeros(1, "float32")])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    model.fit(x, np.full((32, 1), -100.0, dtype="float32"), epochs=1, verbose=0)
    gates = model.get_layer("importance").get_weights()[0]
    assert (gates >= 0).all()
    assert (gates == 0).any()


@pytest.mark.parametrize("init", IMPORTANCE_INITS)
def test_initializers(init):
    values = keras.ops.convert_to_numpy(importance_initializer(init, seed=1)((1000,)))
    if init == "ones":
        np.testing.assert_array_equal(values, 1.0)
    elif init == "uniform":
        assert values.min() >= 0 and values.max() <= 1
    else:  # GlorotUniform for a 1-in, 1-out unit
        assert values.min() >= -np.sqrt(3) and values.max() <= np.sqrt(3) and values.min() < 0


def test_unknown_initializer_is_rejected():
    with pytest.raises(ValueError, match="'zeros'"):
        importance_initializer("zeros")


def test_save_and_load_round_trip(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, ImportanceLayer(initializer="uniform", relu=True, name="importance")(inputs))
    model.get_layer("importance").set_weights([np.array([0.1, 0.2, 0.3], dtype="float32")])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("importance")
    assert isinstance(layer, ImportanceLayer)
    assert layer.relu is True
    np.testing.assert_allclose(layer.get_weights()[0], [0.1, 0.2, 0.3])
    x = np.array([[1.0, -1.0, 2.0]], dtype="float32")
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy())


def test_config_round_trip():
    layer = ImportanceLayer(initializer="glorot-relu", relu=True, l1=0.01, name="gates")
    clone = ImportanceLayer.from_config(layer.get_config())
    assert (clone.initializer, clone.relu, clone.l1, clone.name) == ("glorot-relu", True, 0.01, "gates")


def test_l1_penalty_is_added_to_the_losses_and_the_input_width_is_checked():
    layer = ImportanceLayer(l1=0.5)
    layer(np.ones((2, 3), dtype="float32"))
    layer.importance.assign(np.array([1.0, 2.0, 0.0], dtype="float32"))
    assert float(keras.ops.sum(layer.losses)) == pytest.approx(0.5 * 3.0)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4), dtype="float32"))
