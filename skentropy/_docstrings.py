"""Docstring fragments shared by the estimators (one text, many classes).

A class docstring names a fragment by a placeholder line such as
``    {training_parameters}``; :func:`fill_doc` replaces it with the fragment,
indented as the placeholder is. Only exact placeholders are replaced, so
the braces of ``{"sgd", "adam"}`` in the rest of a docstring are safe.
A default that differs between classes is written ``$name$`` in the
fragment and filled from the class's ``_doc_defaults`` (else
:data:`_DEFAULTS`), so the text states each class's own default.
"""

import textwrap

__all__ = ["fill_doc"]

# The defaults the fragments state unless a class's _doc_defaults differ.
_DEFAULTS = {
    "n_iter_no_change": "10",
    "max_grad_norm": "None",
    "learning_rate_init": "0.01",
}

_FRAGMENTS = {
    # The feed-forward estimators' network, solver and fitted-layer entries.
    "network_parameters": """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
    The ith element is the number of neurons in the ith hidden layer.
activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
    Activation function of the hidden layers.""",
    "solver_parameters": """\
solver : {"lbfgs", "sgd", "adam"}, default="adam"
    Weight optimiser: L-BFGS (full batch, SciPy), mini-batch SGD or Adam.
alpha : float, default=0.0001
    Strength of the L2 penalty, divided by the (weighted) sample count.""",
    "lbfgs_parameters": """\
max_fun : int, default=15000
    Maximum number of loss evaluations of L-BFGS.""",
    "layer_attributes": """\
coefs_ : list of ndarray
    Weight matrix of each layer, shape (fan_in, fan_out).
intercepts_ : list of ndarray
    Bias vector of each layer.""",
    "input_attributes": """\
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Feature names seen during fit, when X is a DataFrame with string
    column names.""",
    # The training parameters of BaseStochasticEstimator whose defaults
    # every subclass shares (MLPClassifier's names, defaults and meanings).
    "training_parameters": """\
learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    Step-size schedule of ``solver="sgd"``: ``invscaling`` divides by
    ``t^power_t``, ``adaptive`` by 5 whenever ``n_iter_no_change`` epochs
    fail to improve.
power_t : float, default=0.5
    Exponent of the ``invscaling`` schedule.
max_iter : int, default=200
    Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
shuffle : bool, default=True
    Shuffle the samples every epoch (stochastic solvers).
random_state : int, RandomState instance or None, default=None
    Seeds the weight initialisation, the validation split and shuffling.
    An int gives the same result, bit for bit, on every fit.
tol : float, default=1e-4
    Improvement below which an epoch counts as no improvement; for
    L-BFGS the projected-gradient tolerance.
verbose : bool, default=False
    Print one line per epoch: its loss, the validation score (with
    ``early_stopping``) and the time since ``fit`` started. For progress
    bars and per-epoch scores, scikit-learn >= 1.9's callbacks
    (``set_callbacks(ProgressBar())``, ``ScoringMonitor``) see one task
    per epoch.
warm_start : bool, default=False
    Start the next ``fit`` from the current weights (the network must be
    the same).
momentum : float, default=0.9
    Momentum of ``sgd``.
nesterovs_momentum : bool, default=True
    Use Nesterov's momentum in ``sgd``.
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified as
    in MLPClassifier), stop when its accuracy stops improving and restore
    the best weights. Stochastic solvers only.
validation_fraction : float, default=0.1
    Fraction of the training data held out for early stopping.
beta_1 : float, default=0.9
    Decay rate of Adam's first-moment estimate.
beta_2 : float, default=0.999
    Decay rate of Adam's second-moment estimate.
epsilon : float, default=1e-8
    Numerical-stability term of Adam.
n_iter_no_change : int or np.inf, default=$n_iter_no_change$
    Epochs without ``tol`` improvement before stopping (``np.inf``:
    never stop early).""",
    # The first parameters of the LSTM estimators.
    "lstm_layout_parameters": """\
hidden_size : int, default=32
    LSTM cells.
n_channels : int, default=1
    Channels per time step of 2-D input (ignored for 3-D input and lists,
    whose arrays give them).
layout : {"ntc", "nct"}, default="ntc"
    Axis order of the sequences. ``"ntc"``: 3-D arrays (n_samples,
    n_timesteps, n_channels), list items (n_timesteps, n_channels), 2-D
    tables time-major (``n_channels`` columns per step, oldest first).
    ``"nct"``, channels first as aeon and sktime store collections: 3-D
    arrays (n_samples, n_channels, n_timesteps), list items (n_channels,
    n_timesteps) (aeon's "np-list"), 2-D tables channel-major
    (``n_timesteps`` columns per channel). Fitting warns when the data
    look transposed (one time step of many channels, or ten times more
    channels than steps). One sequence ``X[i]`` of 4 steps and 2 channels::

        layout="ntc": X[i] is (4, 2)        layout="nct": X[i] is (2, 4)
                  ch 0  ch 1                           t0   t1   t2   t3
            t0  [ a0    b0 ]               ch 0  [ a0   a1   a2   a3 ]
            t1  [ a1    b1 ]               ch 1  [ b0   b1   b2   b3 ]
            t2  [ a2    b2 ]
            t3  [ a3    b3 ]               2-D row, "ntc": a0 b0 a1 b1 ...
                                           2-D row, "nct": a0 a1 a2 a3 b0 ...""",
    # The parameters the LSTM estimators share (after their own first ones).
    "lstm_parameters": """\
eem_objective : {"log", "ip"}, default="log"
    Minimise ``-log V`` (scale-free) or ``-V`` (gradient ascent on the
    information potential, as the paper did).
forget_gate : bool, default=True
    Modern LSTM cell; False gives the 1997 cell of the paper.
solver : {"sgd", "adam"}, default="adam"
    Optimiser: mini-batch SGD or Adam.
alpha : float, default=0.0
    Strength of the L2 penalty on the weights (not the biases), divided
    by the (weighted) sample count.
batch_size : int or "auto", default=32
    Sequences per update (1 = online training, as in the paper);
    ``"auto"`` is ``min(200, n_samples)``.
learning_rate_init : float, default=$learning_rate_init$
    Initial step size.
max_grad_norm : float or None, default=$max_grad_norm$
    Clip each mini-batch's gradient (of the whole objective, the L2 term
    included) to this Euclidean norm before the solver's update, as
    PyTorch's ``clip_grad_norm_`` does; None: no clipping. It tames the
    exploding gradients of a recurrent network on long sequences. The
    classifier's defaults (clipping at 1.0, ``n_iter_no_change=50``,
    ``learning_rate_init=0.003``) were chosen on five UCR/UEA datasets
    (``benchmarks/lstm_training_defaults.py``, 3-5 seeds): clipping with
    patience 50 raised the mean test accuracy from 0.70 to 0.79 with cross
    entropy (GunPoint from 0.50 to 0.95) and from 0.68 to 0.72 with eem;
    the rate 0.003 then took it from 0.82 to 0.86 (cross entropy) and from
    0.75 to 0.85 (eem), and the seeds at chance from 6 to 2 and from 7 to 3
    of 25, all of those on ArrowHead, where every LSTM fails.""",
    # The fitted attributes the LSTM estimators share.
    "lstm_attributes": """\
kernel_width_ : float or None
    Kernel width used (resolved from a rule name); None unless
    ``loss="eem"``.
n_timesteps_ : int
    Sequence length seen during fit.
n_channels_ : int
    Channels per step seen during fit.
n_features_in_ : int
    Columns of the (2-D) input seen during fit: ``n_timesteps_ * n_channels_``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Column names of a DataFrame seen during fit.
params_ : ndarray
    The flat parameter vector (LSTM block, output weights, output biases).""",
    # The history attributes BaseStochasticEstimator writes.
    "training_attributes": """\
loss_ : float
    Training loss of the last epoch (or of the L-BFGS solution).
best_loss_ : float or None
    Lowest training loss; None when early stopping is on.
loss_curve_ : list of float
    Training loss per epoch (per L-BFGS iteration for ``lbfgs``).
validation_scores_ : list of float or None
    Validation accuracy per epoch when early stopping is on.
validation_loss_curve_ : list of float or None
    Validation loss (same objective as ``loss_curve_``) per epoch when
    early stopping is on.
best_validation_score_ : float or None
    Best validation accuracy when early stopping is on.
t_ : int
    Number of training samples seen by the stochastic solver.
n_iter_ : int
    Number of epochs (or L-BFGS iterations) run by the last call.""",
}


def fill_doc(cls):
    """Class decorator: replace the fragment placeholders of ``cls.__doc__``."""
    doc = cls.__doc__
    for name, text in _FRAGMENTS.items():
        placeholder = "{" + name + "}"
        for line in doc.splitlines():
            if line.strip() == placeholder:
                indent = line[: len(line) - len(line.lstrip())]
                doc = doc.replace(line, textwrap.indent(text, indent))
    for name, value in {**_DEFAULTS, **getattr(cls, "_doc_defaults", {})}.items():
        doc = doc.replace(f"${name}$", value)
    cls.__doc__ = doc
    return cls
