"""Attribute encoders: each attribute of the table becomes a block of network inputs, under one gate.

An :class:`EncodingLayout` says which inputs each attribute becomes; it is the same for every
model of an ensemble. What the encoders learn from the data (medians, quantile bins, the
levels a model has seen, and the scaling of every block) is fitted per model on its own
training rows by :func:`fit_encoding`. Encoders:

- a numeric attribute, ``linear``: its value (the paper);
- a numeric attribute, ``piecewise``: a piecewise-linear encoding of its value over quantile
  bins (Gorishniy, Rubachev and Babenko, NeurIPS 2022): bin ``t`` with edges ``b[t-1] < b[t]``
  gives 0 below the bin, 1 above it and ``(x - b[t-1]) / (b[t] - b[t-1])`` inside; the first bin
  is open below and the last above, so the encoding extrapolates linearly;
- a numeric attribute with missing cells also gets an indicator column, the cells the median of
  the model's training rows;
- a categorical attribute: one column per level of the data (a missing cell is a level of its
  own), zero for every level the model's training rows do not hold, plus one column that is 1
  for such an unseen level.

Each block of ``k`` inputs is centred column by column and divided by one number, so that the
block's total variance over the model's training rows is ``k`` (``"standard"``) or its total
sum of squares over the file is ``k`` (``"column-l2"``), one per input on average: a block of
one numeric column is scaled exactly as before, and an irrelevant wide block gets no larger a
gate than an irrelevant numeric column (see :func:`_block_norm`). Without categorical
attributes, missing cells or piecewise encoding the layout is *plain*: the inputs are the
attributes themselves.

NumPy only: :func:`deepfeat.layers.encode` computes the same in ``keras.ops``.
"""

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import DataError
from .settings import encoding_problem, setting

__all__ = [
    "EncodingLayout",
    "InputEncoding",
    "NUMERIC_ENCODINGS",
    "check_attributes",
    "encode_rows",
    "fit_encoding",
]

#: How numeric attributes are encoded.
NUMERIC_ENCODINGS = setting("numeric_encoding").choices
#: A block whose deviation (or L2 norm) is at most this is left unscaled: it counts as constant.
MIN_SCALE = 1e-12
# The piecewise bins' parameters: per numeric attribute, one value per bin.
_BIN_PARAMS = ("left", "inv_width", "low", "high")
# An attribute outside a round of elimination: scaled by 1, clipped to [0, 1] (see InputEncoding.widened).
_WIDE_DEFAULTS = {"scale": 1.0, "high": 1.0}


def check_attributes(X, categorical, names):
    """Refuse attributes the encoders cannot use, naming the first such column.

    An attribute missing in every row has nothing to learn from; a categorical attribute with
    more distinct levels than half the rows names rows (an identifier) rather than groups of
    them, and a network would only learn the rows by heart.

    Raises
    ------
    deepfeat.errors.DataError
    """
    X = np.asarray(X, dtype=np.float64)
    absent = np.isnan(X).all(axis=0) if len(X) else np.zeros(X.shape[1], bool)
    if absent.any():
        name = names[int(np.flatnonzero(absent)[0])]
        raise DataError(f"column {name!r} is missing in every row: nothing can be learnt from it; drop it")
    for a in np.flatnonzero(categorical):
        values = X[:, a][~np.isnan(X[:, a])]
        distinct = len(np.unique(values))
        if 2 * distinct > len(X):
            raise DataError(
                f"categorical column {names[a]!r} has {distinct} distinct values in {len(X)} rows: it identifies "
                "rows rather than grouping them, so no network can learn from it; drop the column"
            )


@dataclass(frozen=True)
class EncodingLayout:
    """Which network inputs each attribute becomes, in four parts in this order.

    1. numeric values: ``width`` columns per numeric attribute (1, or the piecewise bins), in
       attribute order;
    2. one missing-value indicator per numeric attribute in ``indicated``;
    3. one column per level of each categorical attribute (its ``levels``, then a column for a
       missing cell where ``missing_level`` says so);
    4. one "level not seen in the model's training rows" column per categorical attribute.

    Attributes
    ----------
    n_attributes : int
    numeric : tuple of int
        The numeric attributes.
    n_bins : int
        Piecewise-linear bins per numeric attribute; 0 for the linear encoding.
    indicated : tuple of int
        The numeric attributes with a missing cell somewhere in the data.
    categorical : tuple of int
        The categorical attributes.
    levels : tuple of tuple of float
        Per categorical attribute, its distinct values in the data (the codes of a text
        column's levels), sorted.
    missing_level : tuple of bool
        Per categorical attribute, whether it has a missing cell somewhere in the data.
    """

    n_attributes: int
    numeric: tuple
    n_bins: int = 0
    indicated: tuple = ()
    categorical: tuple = ()
    levels: tuple = ()
    missing_level: tuple = ()
    blocks: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        parts = [np.repeat(self.numeric, self.width), self.indicated]
        parts += [
            [a] * (len(levels) + missing)
            for a, levels, missing in zip(self.categorical, self.levels, self.missing_level)
        ]
        parts.append(self.categorical)
        object.__setattr__(self, "blocks", tuple(int(a) for part in parts for a in part))

    @classmethod
    def plain(cls, n_attributes):
        """The layout whose inputs are the ``n_attributes`` attributes themselves."""
        return cls(n_attributes, tuple(range(n_attributes)))

    @classmethod
    def of(cls, X, categorical=None, numeric_encoding="linear", n_bins=8):
        """The layout for the attributes ``X`` (NaN for a missing cell).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_attributes)
        categorical : array of bool of shape (n_attributes,), optional
            Which attributes are categorical; their values are level codes (any numbers).
        numeric_encoding : {"linear", "piecewise"}
        n_bins : int
            Bins of the piecewise encoding.
        """
        if numeric_encoding not in NUMERIC_ENCODINGS:
            raise ValueError(f"numeric encoding {numeric_encoding!r} must be one of: {', '.join(NUMERIC_ENCODINGS)}")
        X = np.asarray(X, dtype=np.float64)
        n_attributes = X.shape[1]
        categorical = np.zeros(n_attributes, bool) if categorical is None else np.asarray(categorical, bool)
        missing = np.isnan(X).any(axis=0)
        numeric = np.flatnonzero(~categorical)
        levels = tuple(
            tuple(float(v) for v in np.unique(X[~np.isnan(X[:, a]), a])) for a in np.flatnonzero(categorical)
        )
        return cls(
            n_attributes,
            tuple(int(a) for a in numeric),
            n_bins if numeric_encoding == "piecewise" else 0,
            tuple(int(a) for a in numeric if missing[a]),
            tuple(int(a) for a in np.flatnonzero(categorical)),
            levels,
            tuple(bool(missing[a]) for a in np.flatnonzero(categorical)),
        )

    @property
    def width(self):
        """Input columns per numeric value: the bins, or 1."""
        return self.n_bins or 1

    @property
    def is_plain(self):
        """Whether the inputs are the attributes themselves."""
        return not (self.n_bins or self.indicated or self.categorical)

    @property
    def n_inputs(self):
        return len(self.blocks)

    @property
    def block_sizes(self):
        """Input columns per attribute."""
        return np.bincount(np.asarray(self.blocks, dtype=np.int64), minlength=self.n_attributes)

    @property
    def n_level_columns(self):
        return sum(len(levels) + missing for levels, missing in zip(self.levels, self.missing_level))

    def indicator_positions(self):
        """For each missing-indicator column: its attribute's position among the numeric ones."""
        return [self.numeric.index(a) for a in self.indicated]

    def level_columns(self):
        """For each level column: its categorical attribute's position, its value (NaN: the missing cell)."""
        owners, values = [], []
        for position, (levels, missing) in enumerate(zip(self.levels, self.missing_level)):
            owners += [position] * (len(levels) + missing)
            values += [*levels, *([math.nan] * missing)]
        return np.array(owners, dtype=np.int64), np.array(values, dtype=np.float64)

    def columns_of(self, attributes):
        """The input columns of the ``attributes``, in input order."""
        return np.flatnonzero(np.isin(self.blocks, attributes))

    def param_shapes(self):
        """The shape, per model, of each parameter the encoders fit (see :func:`fit_encoding`)."""
        sizes = {"inputs": self.n_inputs, "numeric": len(self.numeric), "levels": self.n_level_columns}
        shapes = {name: (sizes[axis], *([self.n_bins] if name in _BIN_PARAMS else [])) for name, axis in self._axes()}
        return shapes

    def _axes(self):
        """Each parameter the encoders fit, with what its first axis indexes."""
        axes = [("shift", "inputs"), ("scale", "inputs")]
        axes += [("fill", "numeric")] if self.indicated else []
        axes += [(name, "numeric") for name in _BIN_PARAMS] if self.n_bins else []
        axes += [("seen", "levels")] if self.categorical else []
        return axes

    def _keys(self):
        """Per input column, what it holds: ``(attribute, part, which)``."""
        keys = [(a, "value", t) for a in self.numeric for t in range(self.width)]
        keys += [(a, "missing", 0) for a in self.indicated]
        for a, levels, missing in zip(self.categorical, self.levels, self.missing_level):
            keys += [(a, "level", v) for v in levels] + [(a, "level", "missing")] * missing
        return keys + [(a, "unseen", 0) for a in self.categorical]

    def positions(self, sub, features):
        """Where the inputs, numeric attributes and level columns of ``sub`` lie in this layout.

        ``sub`` is the layout of this data's attributes ``features`` (in that order), as
        recursive elimination trains on them. Returns a dict from ``"inputs"``, ``"numeric"``
        and ``"levels"`` to index arrays.
        """
        features = np.asarray(features)
        inputs = {key: j for j, key in enumerate(self._keys())}
        levels = {key: j for j, key in enumerate(k for k in self._keys() if k[1] == "level")}
        sub_keys = [(int(features[a]), part, which) for a, part, which in sub._keys()]
        return {
            "inputs": np.array([inputs[key] for key in sub_keys], dtype=np.int64),
            "numeric": np.array([self.numeric.index(int(features[a])) for a in sub.numeric], dtype=np.int64),
            "levels": np.array([levels[key] for key in sub_keys if key[1] == "level"], dtype=np.int64),
        }

    def describe(self, names):
        """Per attribute, what its block is, e.g. ``"categorical, 4 levels"`` or ``"numeric, 8 bins + missing"``."""
        indicated = set(self.indicated)
        text = {}
        for a in self.numeric:
            text[a] = (
                "numeric" + (f", {self.n_bins} bins" if self.n_bins else "") + (" + missing" if a in indicated else "")
            )
        for a, levels, missing in zip(self.categorical, self.levels, self.missing_level):
            text[a] = f"categorical, {len(levels)} levels" + (" + missing" if missing else "")
        return {names[a]: text[a] for a in range(self.n_attributes)}


@dataclass(frozen=True)
class InputEncoding:
    """How the models of an ensemble see the data: ``layout`` with each model's fitted ``params``.

    Attributes
    ----------
    layout : EncodingLayout
    params : dict of str to ndarray, float32
        Each parameter of :meth:`EncodingLayout.param_shapes`, model axis first: ``shift`` and
        ``scale`` of every input (``(encoded - shift) / scale``), the median ``fill`` of each
        numeric attribute, the piecewise bins' ``left`` edges, ``inv_width`` (0 for an unused
        bin) and clipping bounds ``low`` and ``high``, and ``seen`` (1 for a level in the
        model's training rows).
    row_l2 : bool
        Whether each sample is first scaled to unit L2 norm (plain layouts only).
    """

    layout: EncodingLayout
    params: dict
    row_l2: bool = False

    @property
    def shift(self):
        return self.params["shift"]

    @property
    def scale(self):
        return self.params["scale"]

    def rows(self, X):
        """Apply the step shared by all models (the row normalisation, if any) to ``X``.

        A normalised table comes back as float32; any other as it is, for the callers to convert
        (the trainers' data once, predictions and checks chunk by chunk: no float32 copy of a wide table).
        """
        from .preprocessing import unit_rows  # TensorFlow, only where rows are normalised

        return unit_rows(X) if self.row_l2 else X

    def subset(self, models):
        """The encoding of the ``models`` (an index or slice of the model axis) only."""
        return replace(self, params={name: value[models] for name, value in self.params.items()})

    def model(self, i):
        """Model ``i``'s parameters, without the model axis."""
        return {name: value[i] for name, value in self.params.items()}

    def widened(self, layout, features):
        """This encoding of the attributes ``features`` of some data, in that data's full ``layout``.

        The other attributes' inputs are 0 whatever their values (shift 0, scale 1, no bins,
        no level seen), so that a network whose gates and first-layer rows for them are 0
        computes what it computed on ``features`` alone.
        """
        positions = layout.positions(self.layout, features)
        n_models = len(self.shift)
        params = {}
        for name, axis in layout._axes():
            wide = np.full((n_models, *layout.param_shapes()[name]), _WIDE_DEFAULTS.get(name, 0.0), np.float32)
            if name in self.params:  # absent when the part's attributes all left before the last round
                wide[:, positions[axis]] = self.params[name]
            params[name] = wide
        return InputEncoding(layout, params, self.row_l2)


def encode_rows(X, params, layout):
    """Encode the attribute rows ``X`` (NaN for a missing cell) with one model's ``params``, in float64.

    The NumPy reference of :func:`deepfeat.layers.encode`; without ``shift`` and ``scale`` in
    ``params`` the encoded columns are returned unscaled.
    """
    X = np.asarray(X, dtype=np.float64)
    parts = []
    values = X[:, list(layout.numeric)]
    missing = np.isnan(values)
    if layout.indicated:
        values = np.where(missing, params["fill"], values)
    if layout.n_bins:
        ramps = (values[:, :, None] - params["left"]) * params["inv_width"]
        values = np.minimum(np.maximum(ramps, params["low"]), params["high"]).reshape(len(X), -1)
    parts.append(values)
    parts.append(missing[:, layout.indicator_positions()].astype(np.float64))
    if layout.categorical:
        owners, level_values = layout.level_columns()
        codes = X[:, list(layout.categorical)][:, owners]
        hits = np.where(np.isnan(level_values), np.isnan(codes), codes == level_values) * params["seen"]
        unseen = 1.0 - np.stack([hits[:, owners == p].sum(axis=1) for p in range(len(layout.categorical))], axis=1)
        parts += [hits, unseen]
    encoded = np.concatenate(parts, axis=1)
    if "shift" in params:
        encoded = (encoded - params["shift"]) / params["scale"]
    return encoded


def fit_encoding(method, X, train_indices, layout=None):
    """Fit every model's encoders and block scaling on its training rows.

    Parameters
    ----------
    method : str
        The normalisation: ``"standard"`` (each block centred and scaled to a total variance of
        its width on the model's training rows), ``"column-l2"`` (each block scaled to a
        total sum of squares of its width over all rows, the 2021 code's column L2 norm for
        a one-column block),
        ``"row-l2"`` (each row scaled to unit L2 norm first; plain layouts only) or ``"none"``.
    X : ndarray of shape (n_samples, n_attributes)
        All samples, as loaded (NaN for a missing cell).
    train_indices : sequence of index arrays
        Each model's training rows.
    layout : EncodingLayout, optional
        Plain when not given.

    Returns
    -------
    InputEncoding
    """
    normalizations = setting("normalization").choices
    if method not in normalizations:
        raise ValueError(f"normalization {method!r} must be one of: {', '.join(normalizations)}")
    X = np.asarray(X, dtype=np.float64)
    layout = EncodingLayout.plain(X.shape[1]) if layout is None else layout
    problem = encoding_problem(
        method, "piecewise" if layout.n_bins else "linear", bool(layout.categorical), bool(layout.indicated)
    )
    if problem is not None:
        raise ValueError(problem)
    n_models = len(train_indices)
    fitted = [_fit_encoders(X, rows, layout) for rows in train_indices]
    shift = np.zeros((n_models, layout.n_inputs))
    scale = np.ones((n_models, layout.n_inputs))
    blocks = np.asarray(layout.blocks, dtype=np.int64)
    shared = None  # plain encoders fit nothing per model: the encoded file is the same for all
    buffer = None
    for m, rows in enumerate(train_indices):
        if method == "standard":
            if layout.is_plain:  # one buffer for every model's rows: no fresh memory per model
                buffer = _rows_buffer(buffer, len(rows), X.shape[1])
                # mode "clip" (the rows are valid): the default "raise" would copy through a temporary
                encoded = np.take(X, rows, axis=0, out=buffer[: len(rows)], mode="clip")
            else:
                encoded = encode_rows(X[rows], fitted[m], layout)
            shift[m], variance = _mean_and_variance(encoded)
            scale[m] = _block_norm(variance, blocks, layout)
        elif method == "column-l2":
            if shared is None or not layout.is_plain:
                encoded = encode_rows(X, fitted[m], layout) if not layout.is_plain else X
                shared = _block_norm((encoded**2).sum(axis=0), blocks, layout)
            scale[m] = shared
    params = {name: np.stack([f[name] for f in fitted]).astype(np.float32) for name in fitted[0]}
    params.update(shift=shift.astype(np.float32), scale=scale.astype(np.float32))
    return InputEncoding(layout, params, row_l2=method == "row-l2")


def _rows_buffer(buffer, n_rows, n_columns):
    """``buffer`` if it holds ``n_rows`` rows of ``n_columns``, else a new one that does."""
    if buffer is None or len(buffer) < n_rows:
        buffer = np.empty((n_rows, n_columns))
    return buffer


def _mean_and_variance(values):
    """Per column, the mean and the (population) variance of ``values``, overwritten in the process.

    The same numbers as ``values.mean(axis=0)`` and ``values.var(axis=0)``, without their
    temporaries of the size of ``values``.
    """
    mean = values.mean(axis=0)
    values -= mean
    np.multiply(values, values, out=values)
    return mean, values.sum(axis=0) / len(values)


def _block_norm(squares, blocks, layout):
    """Per input, its block's scale: the root of the block's total of ``squares`` over the root of its width.

    That leaves a block of ``k`` inputs a total of ``k``, one per input on average, as if each
    were standardised; a one-input block is scaled as a standardised column, 1 for a constant
    block. Measured (BENCHMARKS.md, 100 networks): with a total of ``sqrt(k)`` or less an
    irrelevant 20-level attribute's gate came above irrelevant numeric ones' (a wider block
    offers its gate more directions in which to fit noise); with ``k`` irrelevant attributes of
    3 to 20 levels rank below them and the relevant ones first.
    """
    totals = np.sqrt(np.bincount(blocks, weights=squares, minlength=layout.n_attributes))
    scales = np.where(totals > MIN_SCALE, totals / layout.block_sizes**0.5, 1.0)
    return scales[blocks]


def _fit_encoders(X, rows, layout):
    """One model's medians, bins and seen levels, from its training ``rows`` of ``X``."""
    params = {}
    values = X[np.ix_(rows, layout.numeric)] if layout.indicated or layout.n_bins else None
    if layout.indicated:
        observed = ~np.isnan(values)
        # An attribute missing on all of a model's training rows takes the whole file's median.
        params["fill"] = np.where(
            observed.any(axis=0),
            _nan_median(values),
            _nan_median(X[:, list(layout.numeric)]),
        )
        params["fill"] = np.nan_to_num(params["fill"])  # a numeric attribute without any missing cell
    if layout.n_bins:
        params.update(_bins(values, layout.n_bins))
    if layout.categorical:
        owners, level_values = layout.level_columns()
        codes = X[np.ix_(rows, layout.categorical)][:, owners]
        hits = np.where(np.isnan(level_values), np.isnan(codes), codes == level_values)
        params["seen"] = hits.any(axis=0).astype(np.float64)
    return params


def _nan_median(values):
    """Column medians over the observed values; NaN for a column with none (no warning)."""
    medians = np.full(values.shape[1], np.nan)
    for column in range(values.shape[1]):
        observed = values[:, column][~np.isnan(values[:, column])]
        if len(observed):
            medians[column] = np.median(observed)
    return medians


def _bins(values, n_bins):
    """The piecewise-linear bins of each column of ``values``: quantile edges, repeated ones merged."""
    n_columns = values.shape[1]
    left = np.zeros((n_columns, n_bins))
    inv_width = np.zeros((n_columns, n_bins))
    low = np.zeros((n_columns, n_bins))
    high = np.ones((n_columns, n_bins))
    quantiles = np.linspace(0.0, 1.0, n_bins + 1)
    for column in range(n_columns):
        observed = values[:, column][~np.isnan(values[:, column])]
        if not len(observed):
            continue
        edges = np.unique(np.quantile(observed, quantiles))
        used = len(edges) - 1  # bins past these stay 0: a column of few values has fewer bins
        if used < 1:
            continue
        left[column, :used] = edges[:-1]
        inv_width[column, :used] = 1.0 / np.diff(edges)
        low[column, 0] = -np.inf
        high[column, used - 1] = np.inf
    return {"left": left, "inv_width": inv_width, "low": low, "high": high}
