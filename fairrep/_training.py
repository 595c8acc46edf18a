"""The one skorch net subclass every fairrep estimator trains with.

It adds to skorch's :class:`~skorch.NeuralNet`:

- a batched data path: the training tensors live on the device for the whole fit and each batch
  is a slice of them (skorch's default per-sample ``Dataset`` + ``collate`` costs several times
  a plain torch loop on small tabular networks);
- ``s`` travelling with its rows batch by batch;
- an optional adversary optimizer updated ``adversary_steps`` times per model update;
- every loss term recorded per epoch in ``history`` (``train_<term>``);
- a guard that stops training with :class:`TrainingDivergedError` naming the first non-finite
  loss term.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import math
from collections import defaultdict

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PrintLog

from .exceptions import TrainingDivergedError
from .nn._base import multi_head_cross_entropy

DIVERGED = (
    "training diverged at epoch {epoch}: the {term!r} loss is {value}. Lower lr "
    "(now {lr}), scale the inputs, or reduce the weight of that term."
)
EXPLODED = (
    "training diverged at epoch {epoch}: the {term!r} loss is {value:.3g}, more than "
    "{factor:.0e} times its size on the first batch of this fit ({first:.3g}). Lower lr "
    "(now {lr}), scale the inputs, or reduce the weight of that term."
)
#: A loss term whose magnitude exceeds this many times (1 + its magnitude on the first batch
#: of the fit) has exploded: finite, but no training that still learns gets there (lr=1e6
#: reaches 1e12-1e28 within a few epochs; a sane cross-entropy stays within a few nats, and
#: a KL between sharpening posteriors, CVIB's pairwise_kl, may grow 1e4-fold).
EXPLOSION_FACTOR = 1e6


class TensorBatches:
    """Training tensors (X, y, s) kept on one device and served as slices.

    Parameters
    ----------
    X : Tensor of shape (n, ...)
    y, s : LongTensor of shape (n, k) or None
    """

    def __init__(self, X, y=None, s=None):
        self.X, self.y, self.s = X, y, s

    def __len__(self):
        return self.X.shape[0]

    @property
    def index_device(self):
        """Where the batch positions are drawn (the device of the tensors)."""
        return self.X.device

    def batch(self, index):
        return (self.X[index],
                None if self.y is None else self.y[index],
                None if self.s is None else self.s[index])


class BatchIterator:
    """Shuffled mini-batches of a :class:`TensorBatches` (or of a
    :class:`fairrep._streaming.StreamBatches`), one permutation per epoch.

    With ``world_size`` > 1 (data-parallel training), every process draws the same
    permutation and takes every ``world_size``-th position of it from ``rank`` on (padded
    with its first positions to equal length, so every process makes the same number of
    steps): step k of the processes together covers the rows of step k of a single process
    with ``world_size`` times the batch size.
    """

    def __init__(self, data, batch_size, shuffle=True, generator=None, rank=0, world_size=1):
        self.data, self.batch_size, self.shuffle, self.generator = (
            data, batch_size, shuffle, generator)
        self.rank, self.world_size = rank, world_size

    def _n_rows(self):
        return math.ceil(len(self.data) / self.world_size)

    def __len__(self):
        return math.ceil(self._n_rows() / self.batch_size)

    def __iter__(self):
        if getattr(self.data, "keyed_order", False):
            yield from self._keyed_batches()
            return
        n = len(self.data)
        device = self.data.index_device
        # int32 positions: the same permutation as int64 in a quarter of randperm's memory
        # (15 MB -> 4 MB at 10**6 rows)
        dtype = torch.int32 if n < 2**31 else torch.int64
        if self.shuffle:
            generator = self.generator
            order = torch.randperm(n, generator=generator, device=generator.device,
                                   dtype=dtype).to(device)
        else:
            order = torch.arange(n, device=device, dtype=dtype)
        if self.world_size > 1:
            padding = self._n_rows() * self.world_size - n
            order = torch.cat([order, order[:padding]])[self.rank::self.world_size]
        for start in range(0, order.shape[0], self.batch_size):
            yield self.data.batch(order[start:start + self.batch_size])

    def _keyed_batches(self):
        """Streamed data: the epoch's order as a :class:`~fairrep._streaming.FeistelOrder`,
        evaluated a batch of positions at a time (memory in the batch, not in n); the same
        positions per process and padding as the stored permutation above."""
        from ._streaming import FeistelOrder

        n, per_process = len(self.data), self._n_rows()
        order = FeistelOrder(n, self.generator) if self.shuffle else None
        for start in range(0, per_process, self.batch_size):
            positions = self.rank + self.world_size * np.arange(
                start, min(start + self.batch_size, per_process), dtype=np.int64)
            positions = np.where(positions >= n, positions - n, positions)
            index = positions if order is None else order(positions)
            yield self.data.batch(torch.from_numpy(index))


#: The label a caller gives the progress bars of the fits inside :func:`progress_label`.
_PROGRESS_LABEL = contextvars.ContextVar("fairrep_progress_label", default=None)


@contextlib.contextmanager
def progress_label(label):
    """Label the epoch progress bars (``verbose=1``) of the fits inside this block.

    ``with progress_label("plain network"): clf.fit(X, y)`` shows that label instead of the
    estimator's class name, so two fits of one class can be told apart.
    """
    token = _PROGRESS_LABEL.set(label)
    try:
        yield
    finally:
        _PROGRESS_LABEL.reset(token)


class EpochProgressBar(Callback):
    """A tqdm progress bar over epochs showing the last epoch's loss terms.

    Its label is ``desc``, or the one a caller set with :func:`progress_label`.
    """

    def __init__(self, desc=None):
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc=_PROGRESS_LABEL.get() or self.desc,
                         unit="epoch", leave=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix({k[6:]: f"{v:.3g}" for k, v in row.items()
                               if k.startswith("train_") and isinstance(v, float)
                               and k != "train_batch_count"}, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_


@contextlib.contextmanager
def evaluating(module):
    """``module`` in eval mode and without gradients inside the block, as ``predict`` runs
    it, for a look at held-out rows during ``fit``; its training mode is restored after."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield module
    finally:
        module.train(was_training)


def predicted_task_loss(module, X, codes, rows=4096):
    """Summed over tasks, the mean cross-entropy of ``module``'s predictions
    (``predict_logits`` under :func:`evaluating`; ``rows`` rows at a time) on the rows ``X``
    against ``codes``, an (n, k) array of label codes."""
    parameter = next(module.parameters())
    with evaluating(module):
        targets = torch.as_tensor(codes, dtype=torch.long, device=parameter.device)
        total = 0.0
        for start in range(0, len(X), rows):
            inputs = torch.as_tensor(X[start:start + rows], dtype=parameter.dtype,
                                     device=parameter.device)
            logits = torch.cat(module.predict_logits(inputs), dim=1)
            total += float(multi_head_cross_entropy(
                logits, targets[start:start + rows], module.n_classes)) * inputs.shape[0]
    return total / len(X)


class EarlyStopping(Callback):
    """Keep the weights of the epoch with the lowest task cross-entropy on held-out rows, and
    stop after ``patience`` epochs without a lower one.

    After each epoch the module (in eval mode) predicts the held-out rows ``X``
    (``module.predict_logits``, a batch of ``rows`` at a time) and their cross-entropy
    against ``codes`` (an (n, k) array of label codes, one column per task) is recorded as
    ``valid_task`` in the history; at the end of training the weights of the epoch with the
    lowest one are loaded back (``best_epoch_``).
    """

    def __init__(self, X, codes, patience, rows=4096):
        self.X, self.codes, self.patience, self.rows = X, codes, int(patience), int(rows)

    def on_train_begin(self, net, **kwargs):
        self.best_, self.best_epoch_, self.state_, self.waited_ = math.inf, None, None, 0

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        loss = predicted_task_loss(module, self.X, self.codes, self.rows)
        net.history.record("valid_task", loss)
        if loss < self.best_:
            self.best_, self.best_epoch_, self.waited_ = loss, len(net.history), 0
            self.state_ = copy.deepcopy(module.state_dict())
        else:
            self.waited_ += 1
            if self.waited_ >= self.patience:
                raise KeyboardInterrupt  # skorch ends the fit loop and calls on_train_end

    def on_train_end(self, net, **kwargs):
        if self.state_ is not None:
            net.module_.load_state_dict(self.state_)
        # the held-out rows and the saved weights are not pickled with the fitted net
        self.X = self.codes = self.state_ = None


class InvariantNet(NeuralNet):
    """skorch net over an :class:`fairrep.nn.InvariantModule`.

    Parameters (beyond skorch's)
    ----------------------------
    adversary_steps : int
        Adversary updates per model update (k of the adversarial methods).
    seed : int
        Seed of the parameter initialisation, the batch order and every random draw in training.
    mixed_precision : bool
        Run the training forward passes under ``torch.autocast`` in bfloat16 (which needs no
        loss scaling); parameters, gradients and optimizer state stay float32.
    """

    def __init__(self, *args, adversary_steps=0, seed=0, mixed_precision=False, **kwargs):
        kwargs.setdefault("criterion", None)
        kwargs.setdefault("train_split", None)
        super().__init__(*args, **kwargs)
        self.adversary_steps = adversary_steps
        self.seed = seed
        self.mixed_precision = mixed_precision

    # -- components ----------------------------------------------------------------------
    def initialize_module(self):
        # Parameter initialisation draws from the global RNG inside nn.Linear; fork it so the
        # seed never leaks into (or depends on) the user's global state.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            super().initialize_module()
        return self

    def initialize_criterion(self):
        # Each method's loss lives in its module (``loss_terms``); there is no criterion.
        self.criterion_ = None
        return self

    def initialize_optimizer(self, triggered_directly=None):
        kwargs = self.get_params_for("optimizer")
        kwargs.setdefault("lr", self.lr)
        self.optimizer_ = self.optimizer(self.module_.model_parameters(), **kwargs)
        adversary = list(self.module_.adversary_parameters())
        if adversary:
            self.adversary_optimizer_ = self.optimizer(adversary, **kwargs)
        return self

    def get_all_learnable_params(self):
        yield from self.module_.named_parameters()

    # -- data path -----------------------------------------------------------------------
    def get_dataset(self, X, y=None):
        if hasattr(X, "batch") and hasattr(X, "index_device"):
            return X
        raise TypeError("InvariantNet trains on the batches object built by the estimator")

    def get_iterator(self, dataset, training=False):
        generator = self.generator_
        if (self.world_size_ > 1
                or generator.device.type != torch.device(dataset.index_device).type):
            # Streamed data, or several processes (which must draw the same positions while
            # their generator_ differs): batch positions from the CPU index generator.
            generator = self.index_generator_
        return BatchIterator(dataset, self.batch_size, shuffle=training, generator=generator,
                             rank=self.rank_, world_size=self.world_size_)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.rank_, self.world_size_ = process_group()
        # A fresh fit seeds the generators; a partial_fit after it continues their streams, so
        # N partial_fit calls on the same data train exactly as one fit of N epochs.
        # generator_ serves the draws inside the loss (different in each process) and, in a
        # single process with data on its device, the batch positions; index_generator_
        # serves the positions otherwise, from the same seed, so they are the same in every
        # process and the same as a single process draws (when the loss draws nothing).
        self.generator_ = torch.Generator(device=torch.device(self.device))
        self.index_generator_ = torch.Generator()
        saved = self.__dict__.get("generator_states_")
        if len(self.history) and saved is not None:
            self.generator_.set_state(saved[0])
            self.index_generator_.set_state(saved[1])
        else:
            self.generator_.manual_seed(self.seed + 1 + 7919 * self.rank_)
            self.index_generator_.manual_seed(self.seed + 1)
        self.steps_this_fit_ = 0
        self.first_magnitudes_ = {}  # the explosion guard's reference (see _check_finite)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # torch.Generator does not pickle; its state (a CPU tensor) does.
        self.generator_states_ = (self.generator_.get_state(),
                                  self.index_generator_.get_state())
        del self.generator_, self.index_generator_
        if self.world_size_ > 1:
            _average_buffers(self.module_, self.world_size_)

    # -- data parallel -------------------------------------------------------------------
    def _average_gradients(self, optimizer):
        """Average the gradients of ``optimizer``'s parameters over the processes."""
        if self.world_size_ == 1:
            return
        from torch import distributed as dist

        grads = [p.grad for group in optimizer.param_groups for p in group["params"]
                 if p.grad is not None]  # the same parameters in every process
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size_
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def _after_step(self):
        # Data-dependent initialisation (ActNorm) happens in the first forward pass, on each
        # process's own batch: after the first step every process takes process 0's weights.
        self.steps_this_fit_ += 1
        if self.world_size_ > 1 and self.steps_this_fit_ == 1:
            from torch import distributed as dist

            for tensor in self.module_.state_dict().values():
                dist.broadcast(tensor, src=0)

    # -- training ------------------------------------------------------------------------
    def _check_finite(self, names, values):
        """Raise :class:`TrainingDivergedError` naming the first non-finite or exploded term.

        Exploded: finite, but above :data:`EXPLOSION_FACTOR` times (1 + its magnitude on the
        first batch of this fit), which only a runaway optimiser reaches.
        """
        first = self.__dict__.setdefault("first_magnitudes_", {})
        for name, value in zip(names, values):
            if not math.isfinite(value):
                raise TrainingDivergedError(DIVERGED.format(
                    epoch=len(self.history), term=name, value=value, lr=self.lr))
            reference = first.setdefault(name, abs(value))
            if abs(value) > EXPLOSION_FACTOR * (1.0 + reference):
                raise TrainingDivergedError(EXPLODED.format(
                    epoch=len(self.history), term=name, value=value, first=reference,
                    factor=EXPLOSION_FACTOR, lr=self.lr))

    def _autocast(self):
        return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16,
                              enabled=bool(self.mixed_precision))

    def train_step(self, batch, **fit_params):
        # skorch's train_step runs one optimizer through a closure; the adversarial methods
        # alternate two (k adversary updates, then the model's), which skorch's docs do by
        # overriding train_step. The model's half is skorch's train_step_single.
        X, y, s = batch
        module = self.module_
        module.train()
        terms = {}
        # adversary_steps is 0 where the method has no adversary, or where it reads s and the
        # fit has none (the estimator decides: BaseInvariantEstimator._adversary_reads_s)
        if self.adversary_steps and hasattr(self, "adversary_optimizer_"):
            with torch.no_grad(), self._autocast():
                inputs = module.adversary_inputs(X, generator=self.generator_)
            for _ in range(self.adversary_steps):
                self.adversary_optimizer_.zero_grad(set_to_none=True)
                with self._autocast():
                    adversary_terms = module.adversary_loss_terms(inputs, s)
                adversary_terms["loss"].backward()
                self._average_gradients(self.adversary_optimizer_)
                self.adversary_optimizer_.step()
            terms.update((k, v) for k, v in adversary_terms.items() if k != "loss")
        self.optimizer_.zero_grad(set_to_none=True)
        model_terms = self.train_step_single(batch)
        self._average_gradients(self.optimizer_)
        self.optimizer_.step()
        self._after_step()
        terms.update(model_terms)
        return terms

    def train_step_single(self, batch, **fit_params):
        """The model's loss terms on ``batch`` (the method's ``loss_terms``), with the
        gradient of their ``loss`` computed; skorch's hook, without ``get_loss``: a method's
        loss is a dict of named terms over (X, y, s) and the training generator, which
        skorch's ``get_loss(y_pred, y_true)`` cannot carry."""
        X, y, s = batch
        self.module_.train()
        with self._autocast():
            terms = self.module_.loss_terms(X, y, s, generator=self.generator_)
        terms["loss"].backward()
        return terms

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop records every batch in history (see below); this one records the
        # epoch means of every loss term, checks each batch's terms for divergence, and
        # keeps skorch's on_batch_begin / on_batch_end notifications for callbacks.
        if iterator is None:
            return
        sums = defaultdict(float)
        n_seen = 0
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            terms = step_fn(batch)
            names = list(terms)
            # one device->host transfer per batch for all terms
            values = torch.stack([terms[k].detach().float() for k in names]).tolist()
            self._check_finite(names, values)
            size = batch[0].shape[0]
            n_seen += size
            for name, value in zip(names, values):
                sums[name] += value * size
            self.notify("on_batch_end", batch=batch, training=training)
            batch_count += 1
        # Per epoch only: skorch's per-batch history entries hold ~216 bytes a step in
        # memory (20 pickled), which grows with n: 10^6 rows x 100 epochs of batch 1024 is
        # ~21 MB. The row-weighted epoch means are what skorch reports from them.
        for name, total in sums.items():
            key = f"{prefix}_{name}"
            self.history.record(key, total / n_seen)
            if name == "loss":
                earlier = [row[key] for row in self.history[:-1] if key in row]
                self.history.record(key + "_best", not earlier or total / n_seen < min(earlier))
        self.history.record(prefix + "_batch_count", batch_count)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        # skorch opens a per-batch history entry here; fairrep records per epoch only.
        pass

    def get_default_callbacks(self):
        # skorch's train_loss / valid_loss PassthroughScoring average per-batch entries,
        # which run_single_epoch does not record: it records the epoch means itself.
        return [("epoch_timer", EpochTimer()), ("print_log", PrintLog())]

    # -- inference -----------------------------------------------------------------------
    def apply_batches(self, X, fn, batch_size=None):
        """``fn(module, X_batch)`` over ``X`` in eval mode, concatenated as numpy.

        ``X`` is a numpy array or a :class:`fairrep._streaming.RowSource` (read a batch at a
        time). ``fn`` may return a tensor or a list of tensors (then a list of arrays is
        returned).
        """
        module = self.module_
        module.eval()
        batch_size = batch_size or max(self.batch_size, 1024)
        outputs = []
        dtype = next(module.parameters()).dtype
        rows = X.rows if hasattr(X, "rows") else X.__getitem__
        n_samples = X.n_samples if hasattr(X, "rows") else X.shape[0]
        with torch.inference_mode():
            for start in range(0, n_samples, batch_size):
                Xb = to_tensor(rows(slice(start, start + batch_size)), dtype, self.device)
                outputs.append(fn(module, Xb))
        if isinstance(outputs[0], (list, tuple)):
            return [torch.cat(parts).cpu().numpy() for parts in zip(*outputs)]
        return torch.cat(outputs).cpu().numpy()


def process_group():
    """(rank, world size) of an initialised torch.distributed process group, else (0, 1)."""
    from torch import distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _average_buffers(module, world_size):
    """Average floating buffers (BatchNorm running statistics) over the processes."""
    from torch import distributed as dist

    for buffer in module.buffers():
        if buffer.is_floating_point():
            dist.all_reduce(buffer)
            buffer /= world_size


def to_tensor(array, dtype, device):
    """A tensor copy of a numpy array on ``device`` (None stays None)."""
    if array is None:
        return None
    return torch.tensor(np.ascontiguousarray(array), dtype=dtype, device=device)
