"""layer=: which map of a larger network is the inner map (defaults, indices, submodule names, ambiguity)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.neural_network import MLPRegressor

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.jacobians import inner_factors, inner_jacobian, layer_jacobian

X = np.random.default_rng(0).uniform(-1, 1, (12, 3))


class Net(torch.nn.Module):
    """An MLP that is not a Sequential: which of its maps is the inner map is ambiguous."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 6)
        self.act = torch.nn.Tanh()
        self.fc2 = torch.nn.Linear(6, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return Net()


def _reference(fn, X):
    """Jacobians by torch.autograd, one example at a time."""
    return np.stack([torch.autograd.functional.jacobian(fn, torch.tensor(x)).numpy() for x in X])


def test_a_whole_sequential_defaults_to_its_first_hidden_layer():
    # the regression: Sequential(Linear -> GELU -> Linear) was taken whole (m = 1)
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU(), torch.nn.Linear(8, 1))
    J = inner_jacobian(seq, X)
    assert J.shape == (12, 8, 3)
    first = torch.nn.Sequential(seq[0], seq[1]).double()
    np.testing.assert_allclose(J, _reference(first, X), atol=1e-12)
    np.testing.assert_array_equal(J, inner_jacobian(seq, X, layer=1))
    np.testing.assert_array_equal(J, inner_jacobian(seq, X, layer="1"))  # the GELU by name
    assert inner_jacobian(seq, X, layer=2).shape == (12, 1, 3)
    assert inner_jacobian(seq, X, layer="").shape == (12, 1, 3)  # the whole module, asked for


def test_a_sequential_whose_first_activation_is_later_takes_it():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Linear(1, 8), torch.nn.GELU())
    np.testing.assert_array_equal(inner_jacobian(seq, X), inner_jacobian(seq, X, layer=""))


def test_a_module_with_one_linear_is_taken_whole():
    torch.manual_seed(0)
    for module in (torch.nn.Linear(3, 4), torch.nn.Tanh()):
        assert inner_jacobian(module, X).shape[1] == (4 if isinstance(module, torch.nn.Linear) else 3)


def test_an_ambiguous_module_lists_its_candidate_layers(net):
    with pytest.raises(InvalidParameterError, match=r"Net has 2 nn.Linear layers.*ambiguous.*'fc1' \(Linear 3->6\), "
                                                    r"'act' \(Tanh\), 'fc2' \(Linear 6->2\)"):
        inner_jacobian(net, X)


def test_a_dotted_submodule_name_ends_the_inner_map(net):
    J = inner_jacobian(net, X, layer="act")
    net64 = Net().double()
    net64.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
    ref = _reference(lambda x: net64.act(net64.fc1(x)), X)
    np.testing.assert_allclose(J, ref, atol=1e-12)
    assert inner_jacobian(net, X, layer="fc1").shape == (12, 6, 3)
    assert all(p.dtype == torch.float32 for p in net.parameters())  # the user's module is untouched
    nested = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU()), torch.nn.Linear(5, 1))
    assert inner_jacobian(nested, X, layer="0.1").shape == (12, 5, 3)


@pytest.mark.parametrize("layer, match", [
    ("ac", r"layer='ac' is not a submodule of the Net\. Did you mean 'act'\?"),
    (2, r"an integer layer=2 counts the layers of a torch.nn.Sequential.*candidate layers"),
    (1.5, r"layer must be None, an integer \(a layer index\) or a string"),
    (True, r"layer must be None, an integer"),
])
def test_bad_layers_of_a_module_are_named(net, layer, match):
    with pytest.raises(InvalidParameterError, match=match):
        inner_jacobian(net, X, layer=layer)


def test_sequential_index_out_of_range():
    seq = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU(), torch.nn.Linear(8, 1))
    with pytest.raises(InvalidParameterError, match=r"layer=3 is out of range: the torch.nn.Sequential has 2 layer"):
        inner_jacobian(seq, X, layer=3)


def test_a_sequential_without_activation_is_ambiguous():
    seq = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Linear(8, 2))
    with pytest.raises(InvalidParameterError, match=r"2 layers and no activation module.*'0' \(Linear 3->8\)"):
        inner_jacobian(seq, X)


def test_sklearn_mlp_layers_by_index():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPRegressor(hidden_layer_sizes=(6, 4), max_iter=5, random_state=0).fit(X, X.sum(1))
    np.testing.assert_array_equal(inner_jacobian(mlp, X), inner_jacobian(mlp, X, layer=1))
    np.testing.assert_array_equal(inner_jacobian(mlp, X, layer=2), layer_jacobian(mlp, X, source=0, target=2))
    assert inner_factors(mlp, X, layer=1) is not None and inner_factors(mlp, X, layer=2) is None
    with pytest.raises(InvalidParameterError, match=r"layer=3 is out of range: the MLPRegressor has 2 hidden layer"):
        inner_jacobian(mlp, X, layer=3)
    with pytest.raises(InvalidParameterError, match=r"layer='act' names a torch submodule, but the model is a "
                                                    r"MLPRegressor; give a hidden-layer index in \[1, 2\]"):
        inner_jacobian(mlp, X, layer="act")


def test_arrays_and_callables_have_no_layers():
    J = np.random.default_rng(0).normal(size=(4, 5, 3))
    with pytest.raises(InvalidParameterError, match="precomputed Jacobian has none"):
        inner_jacobian(J, layer=1)
    with pytest.raises(InvalidParameterError, match="a function has none"):
        inner_jacobian(lambda x: torch.tanh(x), X, layer=1)
