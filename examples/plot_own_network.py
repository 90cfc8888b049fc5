"""
Analysing your own network: scikit-learn, torch, and precomputed Jacobians
==========================================================================

:func:`sklearn_ka.analyze` measures the Kolmogorov-Arnold geometry of any network's inner map
(input to its first hidden layer, or another layer with ``layer=``) against the network at its
initialisation, in one call. Here: a scikit-learn ``MLPRegressor``, a torch MLP trained by hand,
and a precomputed Jacobian. The networks are tiny so that the example runs in seconds; see the
user guide, :ref:`own-network`.
"""

# %%
# A scikit-learn MLP
# ------------------
# Fitted with an integer ``random_state``, an ``MLPRegressor`` has its initial weights redrawn
# exactly by its own initialiser, so the default baseline (``"initial"``) is its own
# initialisation. The summary states, for each minor size, whether the zero rows, the
# participation ratio and the rotation ratio moved away from the baseline, with a bootstrap
# interval over the examples.
import copy
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.neural_network import MLPRegressor

from sklearn_ka import analyze, make_ka_regression
from sklearn_ka.jacobians import inner_jacobian

pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 90)

X, y = make_ka_regression("xor", n_samples=300, n_features=3, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # a short training: scikit-learn warns that it did not converge
    mlp = MLPRegressor(hidden_layer_sizes=(12,), activation="tanh", max_iter=300, random_state=0).fit(X, y)

result = analyze(mlp, X, n_rotations=100, random_state=0)
print(result)
print(result.summary()[["observable", "k", "normalized", "low", "high", "statement"]].to_string(index=False))

# %%
# The tidy frame holds every observable: one row per observable, minor size ``k`` and rate ``q``,
# with the trained value, the baseline's and their ratio.
frame = result.to_frame()
print(frame[frame["k"] == 3][["observable", "q", "value", "baseline", "normalized", "n_excluded"]]
      .to_string(index=False))

# %%
# ``plot`` draws each observable, trained / baseline, against ``k``.
result.plot()
plt.tight_layout()

# %%
# A torch MLP, with ``layer=``
# ----------------------------
# A torch module does not remember its initialisation: keep a copy before training and pass it as
# the baseline. For a whole ``nn.Sequential`` the inner map ends at the first hidden layer's
# activation by default; ``layer`` picks another end, by index or by submodule name (a module
# whose layers are ambiguous is refused with the list of candidates).
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 12), torch.nn.GELU(), torch.nn.Linear(12, 12), torch.nn.GELU(),
                          torch.nn.Linear(12, 1))
initial = copy.deepcopy(net)
Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
for _ in range(300):
    optimizer.zero_grad()
    loss = torch.mean((net(Xt).squeeze(1) - yt) ** 2)
    loss.backward()
    optimizer.step()
print(f"training loss {loss.item():.4f}")

first = analyze(net, X, baseline=initial, minor_sizes=(1, 2), n_rotations=100, random_state=0)
second = analyze(net, X, baseline=initial, layer="3", minor_sizes=(1, 2), n_rotations=100, random_state=0)
for name, res in (("first hidden layer", first), ("second hidden layer (layer='3')", second)):
    row = res.summary().query("observable == 'pr' and k == 2").iloc[0]
    print(f"{name}: {row.statement}")

# %%
# A precomputed Jacobian
# ----------------------
# Any Jacobians of shape ``(n_samples, m, n)`` can be analysed, with the initial model's on the
# same examples as the baseline: here those of the first hidden layer, computed by
# :func:`~sklearn_ka.jacobians.inner_jacobian` (or by your own code).
J, J0 = inner_jacobian(net, X), inner_jacobian(initial, X)
precomputed = analyze(J, baseline=J0, minor_sizes=(1, 2), n_rotations=100, random_state=0)
assert precomputed.as_dict() == first.as_dict()  # the same numbers as from the module
print(precomputed.to_frame().query("observable == 'rotation_ratio'")[["k", "value", "baseline", "normalized"]])
plt.show()
