"""scikit-learn's estimator checks, whole, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ka import ShallowMLPClassifier, ShallowMLPRegressor


@parametrize_with_checks([
    ShallowMLPRegressor(hidden_units=8, max_epochs=100, patience=10, random_state=0),
    ShallowMLPClassifier(hidden_units=8, max_epochs=100, patience=10, random_state=0),
])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
