"""The prediction methods every fairrep classifier shares: the softmax over each task's
logits, and the labels of the ``classes_`` that fit kept (:mod:`fairrep._targets`)."""

from __future__ import annotations

import numpy as np
import torch


class InvariantClassifierMixin:
    """Prediction methods of fairrep classifiers (softmax over each task's logits)."""

    def _proba(self, X):
        logits = self._apply(X, lambda module, Xb: [torch.softmax(t, dim=1)
                                                    for t in module.predict_logits(Xb)])
        return logits

    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or a list of such arrays (one per
            task) when ``y`` had several columns.
        """
        proba = [p.astype(np.float64) for p in self._proba(X)]
        return proba[0] if self.n_tasks_ == 1 else proba

    def predict(self, X):
        """Predicted labels, of the same type as the ``y`` given to ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,), or (n_samples, n_tasks) for several tasks.
        """
        proba = self._proba(X)
        if self.n_tasks_ == 1:
            pred = self.classes_[np.argmax(proba[0], axis=1)]
            return pred.reshape(-1, 1) if self._y_was_2d else pred
        return np.stack([c[np.argmax(p, axis=1)] for c, p in zip(self.classes_, proba)], axis=1)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy; with several tasks, the share of rows with every task right."""
        from sklearn.metrics import accuracy_score

        y_pred = self.predict(X)
        y = np.asarray(y)
        if self.n_tasks_ == 1:
            return accuracy_score(y.reshape(-1), y_pred.reshape(-1), sample_weight=sample_weight)
        correct = np.all(y == y_pred, axis=1)
        return float(np.average(correct, weights=sample_weight))
