"""The training and analysis protocol of the published study, as one named object.

Freedman & Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs",
arXiv:2509.12326 (2025). Estimators' defaults, the experiments, the report and the command line
all read :data:`PAPER_PROTOCOL`; nothing else writes these numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PaperProtocol:
    """The published protocol (see the user guide's training and observables pages).

    Attributes
    ----------
    batch_size : int
        The critical batch size of the published xor runs.
    max_epochs, patience : int
        At most this many epochs; early stopping after ``patience`` epochs without improvement.
    learning_rate : float
        Adam's learning rate (betas ``(0.9, 0.999)``).
    n_samples, n_features : int
        Training examples (and as many independent test examples), input dimension.
    hidden_units : tuple of int
        The widths of the static comparison.
    n_seeds : int
        Seeds per (function, width).
    false_positive_rates : tuple of float
        The rates ``q1`` of size-1 zero rows.
    n_rotations : int
        Haar rotations of the literal rotation-ratio estimate.
    consistent_fraction : float
        A row zero at this fraction of the examples is consistently zero.
    """

    batch_size: int = 250
    max_epochs: int = 10000
    patience: int = 50
    learning_rate: float = 0.01
    n_samples: int = 1000
    n_features: int = 3
    hidden_units: tuple = (4, 8, 16, 32)
    n_seeds: int = 4
    false_positive_rates: tuple = (1e-4, 1e-3, 1e-2)
    n_rotations: int = 400
    consistent_fraction: float = 0.99

    def training(self) -> dict:
        """The estimator parameters of the protocol: ``batch_size``, ``max_epochs``, ``patience``."""
        return {"batch_size": self.batch_size, "max_epochs": self.max_epochs, "patience": self.patience}

    def as_dict(self) -> dict:
        """Every field, for settings files and reports."""
        return asdict(self)


#: The protocol of the published runs.
PAPER_PROTOCOL = PaperProtocol()
