"""
KA geometry on real data: digits and diabetes
=============================================

Does a shallow MLP that learns *real* data develop Kolmogorov-Arnold geometry in its first layer?
Two datasets that ship with scikit-learn (no download):

- ``load_digits``: 8x8 images, ``n = 64`` inputs, 10 classes, learned with
  :class:`~sklearn_ka.ShallowMLPClassifier` (softmax read-out, cross-entropy; the inner map
  ``sigma(x A + a)`` is the same as the regressor's, so the analysis is unchanged);
- ``load_diabetes``: ``n = 10`` clinical inputs, a noisy regression target, learned with
  :class:`~sklearn_ka.ShallowMLPRegressor`.

Each trained model is compared with its own initialisation on the same examples, as in
:doc:`/user_guide/observables`. Inputs are scaled to ``[-1, 1]`` (the domain of the paper's
targets). To keep this example to a few seconds, the analysis uses a subsample of the training
examples and 50 rotations (``rotation_method="sampled"``); the findings are discussed in
:doc:`/user_guide/real_data`.
"""

# %%
# Digits: training
# ----------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPClassifier, ShallowMLPRegressor

t0 = time.perf_counter()
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
scaler = MinMaxScaler(feature_range=(-1, 1)).fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

clf = ShallowMLPClassifier(hidden_units=32, batch_size=64, max_epochs=300, patience=20,
                           random_state=0)
clf.fit(X_train, y_train, eval_set=(X_test, y_test))
print(f"digits: {clf.n_epochs_} epochs, accuracy train {clf.score(X_train, y_train):.3f}, "
      f"test {clf.score(X_test, y_test):.3f} (initial model: "
      f"{clf.initial_model().score(X_test, y_test):.3f}, chance 0.1)")

# %%
# Digits: analysis
# ----------------
# With ``n = 64`` inputs and ``m = 32`` hidden units the size-1 minors are cheap, but the size-2
# minor matrix has ``C(32, 2) x C(64, 2) = 496 x 2016`` entries per example, and the rotation
# ratio recomputes it for every rotation. We therefore analyse size 1 on all 64 pixels, and sizes
# 1 and 2 on a central 4x4 patch of pixels (``input_columns``: 16 inputs, 120 column pairs), the
# way studies of image models restrict to a patch.
X_ka = X_train[:150]
ka_all = KAGeometryAnalyzer(minor_sizes=(1,), n_rotations=50, rotation_method="sampled",
                            random_state=0).fit(clf.initial_model(), X_ka)
digits_all = ka_all.score(clf, X_ka)

patch = np.array([8 * row + col for row in range(2, 6) for col in range(2, 6)])
ka_patch = KAGeometryAnalyzer(minor_sizes=(1, 2), n_rotations=50, rotation_method="sampled",
                              input_columns=patch, random_state=0).fit(clf.initial_model(), X_ka)
digits_patch = ka_patch.score(clf, X_ka)

# %%
# Diabetes: training
# ------------------
# The target is standardised. Diabetes is small (309 training examples) and noisy: early stopping
# on the held-out set stops after a few dozen epochs, close to the initialisation. We also train
# the same network for 1000 epochs without early stopping, until it memorises the training set,
# to see what the observables do when the fit is pushed far from the initialisation.
X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
scaler = MinMaxScaler(feature_range=(-1, 1)).fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
mu, sd = y_train.mean(), y_train.std()
y_train, y_test = (y_train - mu) / sd, (y_test - mu) / sd

early = ShallowMLPRegressor(hidden_units=16, batch_size=64, max_epochs=2000, patience=50,
                            random_state=0).fit(X_train, y_train, eval_set=(X_test, y_test))
long = ShallowMLPRegressor(hidden_units=16, batch_size=64, max_epochs=1000, patience=1000,
                           random_state=0).fit(X_train, y_train)
for name, reg in (("early-stopped", early), ("1000 epochs", long)):
    print(f"diabetes, {name}: {reg.n_epochs_} epochs, R² train {reg.score(X_train, y_train):.3f}, "
          f"test {reg.score(X_test, y_test):.3f}")

# %%
# Diabetes: analysis, k = 1, 2, 3
# -------------------------------
# Both models start from the same initialisation (same seed), so one fitted analyzer serves both.
X_ka = X_train[:100]
ka_diab = KAGeometryAnalyzer(minor_sizes=(1, 2, 3), n_rotations=50, rotation_method="sampled",
                             random_state=0).fit(early.initial_model(), X_ka)
diab = {"early-stopped": ka_diab.score(early, X_ka), "1000 epochs": ka_diab.score(long, X_ka)}

# %%
# The observables, trained against initial
# ----------------------------------------
# Zero rows (q1 = 1%) are shown beside the rate expected at initialisation, ``100 q(k)``; the
# participation ratio and the rotation ratio as trained / initial (1 = unchanged; KA geometry is
# a PR well below 1 and a rotation ratio well above 1).
rows = [("digits, 64 px", ka_all, digits_all, 1)]
rows += [("digits, 4x4 patch", ka_patch, digits_patch, k) for k in (1, 2)]
rows += [(f"diabetes, {name}", ka_diab, s, k) for name, s in diab.items() for k in (1, 2, 3)]

print(f"{'model':28s} k  zero%  100q(k)  PR/PR0  rot/rot0  KL")
labels, zero, expected, pr, rot = [], [], [], [], []
for name, ka, s, k in rows:
    labels.append(f"{name}\nk={k}")
    zero.append(100 * s[f"zero_rows_k{k}_q0.01"])
    expected.append(100 * ka.false_positive_rates_[k, 0.01])
    pr.append(s[f"pr_normalized_k{k}"])
    rot.append(s[f"rotation_ratio_normalized_k{k}"])
    print(f"{name:28s} {k}  {zero[-1]:5.1f}  {expected[-1]:6.1f}  {pr[-1]:6.3f}  {rot[-1]:7.3f}  "
          f"{s[f'column_kl_k{k}']:.4f}")

fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
x = np.arange(len(labels))
axes[0].bar(x - 0.2, zero, 0.4, label="trained")
axes[0].bar(x + 0.2, expected, 0.4, label="expected at init, 100·q(k)")
axes[0].set_ylabel("zero rows (%)")
axes[0].legend(fontsize=8)
axes[1].bar(x, pr, 0.5, color="C2")
axes[1].set_ylabel("PR / PR(initial)")
axes[2].bar(x, rot, 0.5, color="C3")
axes[2].set_ylabel("rotation ratio\n/ initial")
for ax in axes[1:]:
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
axes[2].set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
fig.suptitle("KA geometry observables on real data, trained vs initial")
fig.tight_layout()
print(f"total time: {time.perf_counter() - t0:.1f} s")
plt.show()
