"""
Many models trained together: widths × seeds with ``fit_many``
==============================================================

``fit_many`` trains a list of :class:`~sklearn_ka.ShallowMLPRegressor` at once on stacked
parameters (one batched matrix product per step for all of them). Each model ends exactly as its
own ``fit`` would have: its own initialisation, its own shuffling, its own early stopping.
Here: xor with m ∈ {4, 8, 16} hidden units × 3 seeds, 200 examples, at most 200 epochs.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd

from sklearn_ka import ShallowMLPRegressor, fit_many, make_ka_regression

X, y = make_ka_regression("xor", n_samples=200, n_features=3, random_state=0)
X_test, y_test = make_ka_regression("xor", n_samples=200, n_features=3, random_state=1)

widths, seeds = (4, 8, 16), (0, 1, 2)
models = fit_many(
    [ShallowMLPRegressor(hidden_units=m, batch_size=50, max_epochs=200, random_state=s)
     for m in widths for s in seeds],
    X, y, eval_set=(X_test, y_test),
)

# %%
# An R² table, mean ± std over seeds
# ----------------------------------
rows = [dict(hidden_units=mdl.hidden_units, seed=mdl.random_state, epochs=mdl.n_epochs_,
             train_r2=mdl.score(X, y), test_r2=mdl.score(X_test, y_test)) for mdl in models]
df = pd.DataFrame(rows)
table = df.groupby("hidden_units")[["train_r2", "test_r2"]].agg(["mean", "std"]).round(3)
print(table)

# %%
# Training curves
# ---------------
# ``history_`` holds the per-epoch losses and R² of each model.
fig, ax = plt.subplots(figsize=(6, 3.6))
colors = dict(zip(widths, ("C0", "C1", "C2")))
for mdl in models:
    ax.plot(mdl.history_["epoch"], mdl.history_["train_r2"], color=colors[mdl.hidden_units], alpha=0.8,
            label=f"m={mdl.hidden_units}" if mdl.random_state == 0 else None)
ax.set_xlabel("epoch")
ax.set_ylabel("training R²")
ax.legend()
fig.tight_layout()
plt.show()
