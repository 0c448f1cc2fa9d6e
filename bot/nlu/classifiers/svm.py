"""A fitted support vector classifier with sigmoid-calibrated probabilities, as plain numpy arrays.

Training picks C, gamma and the kernel by scikit-learn's grid search, then calibrates the best
SVC with `CalibratedClassifierCV(method="sigmoid", ensemble=False)` (scikit-learn's replacement for
the deprecated `SVC(probability=True)`). What inference needs (support vectors, their dual
coefficients, the one-vs-one intercepts and one sigmoid per class) is kept as arrays and applied
here with numpy: the archive holds no pickle and loading imports no scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SvmModel", "numeric_gamma"]

_ARRAYS = ("support_vectors", "dual_coef", "intercept", "n_support", "sigmoid_a", "sigmoid_b")


def numeric_gamma(gamma: float | str, features: np.ndarray) -> float:
    """scikit-learn's value of gamma: a number as is, "scale" = 1 / (width * variance), "auto" = 1 / width."""
    if not isinstance(gamma, str):
        return float(gamma)
    width = features.shape[1]
    if gamma == "auto":
        return 1.0 / width
    variance = float(features.var())
    return 1.0 / (width * variance) if variance > 0 else 1.0


def _kernel(kernel: str, features: np.ndarray, support: np.ndarray, gamma: float, degree: int,
            coef0: float) -> np.ndarray:
    """[messages, support vectors] kernel values."""
    dot = features @ support.T
    if kernel == "linear":
        return dot
    if kernel == "rbf":
        squared = (features**2).sum(1)[:, None] - 2.0 * dot + (support**2).sum(1)[None, :]
        return np.exp(-gamma * np.maximum(squared, 0.0))
    if kernel == "poly":
        return (gamma * dot + coef0) ** degree
    if kernel == "sigmoid":
        return np.tanh(gamma * dot + coef0)
    raise ValueError(f"unknown kernel '{kernel}'")


@dataclass
class SvmModel:
    """Everything `predict_proba` needs; see the module docstring."""

    kernel: str
    gamma: float
    degree: int
    coef0: float
    support_vectors: np.ndarray  # [support vectors, features], grouped by class
    dual_coef: np.ndarray  # [classes - 1, support vectors]
    intercept: np.ndarray  # [pairs of classes] (one value for two classes)
    n_support: np.ndarray  # [classes] support vectors per class
    sigmoid_a: np.ndarray  # [calibrated columns]: p = 1 / (1 + exp(a * decision + b))
    sigmoid_b: np.ndarray

    @classmethod
    def from_fitted(cls, calibrated: Any) -> SvmModel:
        """Reads the arrays of a fitted `CalibratedClassifierCV(SVC, ensemble=False)`."""
        (inner,) = calibrated.calibrated_classifiers_
        svc = inner.estimator
        return cls(
            kernel=str(svc.kernel), gamma=float(svc.gamma), degree=int(svc.degree), coef0=float(svc.coef0),
            support_vectors=np.asarray(svc.support_vectors_, dtype=np.float64),
            dual_coef=np.asarray(svc.dual_coef_, dtype=np.float64),
            intercept=np.asarray(svc.intercept_, dtype=np.float64),
            n_support=np.asarray(svc.n_support_, dtype=np.int64),
            sigmoid_a=np.array([c.a_ for c in inner.calibrators], dtype=np.float64),
            sigmoid_b=np.array([c.b_ for c in inner.calibrators], dtype=np.float64),
        )

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """Two classes: [messages] signed distance (positive = the second class).
        More: [messages, classes] one-vs-rest scores built from the one-vs-one votes, as scikit-learn does."""
        kernel = _kernel(self.kernel, features, self.support_vectors, self.gamma, self.degree, self.coef0)
        n_classes = len(self.n_support)
        if n_classes == 2:
            return kernel @ self.dual_coef[0] + self.intercept[0]
        starts = np.concatenate([[0], np.cumsum(self.n_support)])
        votes = np.zeros((features.shape[0], n_classes))
        margins = np.zeros((features.shape[0], n_classes))
        pair = 0
        for i in range(n_classes):
            for j in range(i + 1, n_classes):
                rows_i, rows_j = slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1])
                # a support vector of class i carries its coefficient against j in row j-1, and vice versa
                decision = (kernel[:, rows_i] @ self.dual_coef[j - 1, rows_i]
                            + kernel[:, rows_j] @ self.dual_coef[i, rows_j] + self.intercept[pair])
                votes[:, i] += decision >= 0
                votes[:, j] += decision < 0
                margins[:, i] += decision
                margins[:, j] -= decision
                pair += 1
        # the summed margins only break ties between equal vote counts
        return votes + margins / (3.0 * (np.abs(margins) + 1.0))

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """[messages, classes] calibrated probabilities, classes in training order."""
        decision = self.decision_function(features)
        if decision.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(self.sigmoid_a[0] * decision + self.sigmoid_b[0]))
            return np.stack([1.0 - positive, positive], axis=1)
        each = 1.0 / (1.0 + np.exp(self.sigmoid_a[None, :] * decision + self.sigmoid_b[None, :]))
        total = each.sum(axis=1, keepdims=True)
        uniform = np.full_like(each, 1.0 / each.shape[1])
        return np.divide(each, total, out=uniform, where=total > 0)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _ARRAYS}

    def settings(self) -> dict[str, Any]:
        return {"kernel": self.kernel, "gamma": self.gamma, "degree": self.degree, "coef0": self.coef0}

    @classmethod
    def restore(cls, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> SvmModel:
        return cls(**settings, **{name: arrays[name] for name in _ARRAYS})
