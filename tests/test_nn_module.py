"""Module system: registration, naming, walking, modes, state dicts, save/load and scopes."""

import threading
import zipfile

import numpy as np
import pytest

import autograd_lite as ag
import nn
from autograd_lite.viz.core import describe


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.layers = nn.Sequential(nn.ReLU(), nn.Linear(3, 1))
        self.scale = nn.Parameter([2.0])
        self.register_buffer("steps", ag.zeros(1))

    def forward(self, x):
        return self.layers(self.hidden(x)) * self.scale


def test_named_parameters_are_dotted_and_in_definition_order():
    names = [name for name, _ in TwoLayer().named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "layers.1.weight",
                     "layers.1.bias"]


def test_named_modules_children_and_modules():
    model = TwoLayer()
    assert [name for name, _ in model.named_modules()] == [
        "", "hidden", "layers", "layers.0", "layers.1"]
    assert [name for name, _ in model.named_children()] == ["hidden", "layers"]
    assert list(model.children()) == [model.hidden, model.layers]
    assert len(list(model.modules())) == 5


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    assert len(list(model.parameters())) == 2
    assert model.num_parameters() == 6


def test_num_parameters_counts_scalars_and_trainable_only():
    model = TwoLayer()
    assert model.num_parameters() == 1 + 6 + 3 + 3 + 1
    model.hidden.requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == 1 + 3 + 1


def test_parameter_requires_grad_and_rejects_integer_data():
    assert nn.Parameter([1.0, 2.0]).requires_grad
    with pytest.raises(TypeError, match="only float tensors can require grad"):
        nn.Parameter(np.array([1, 2]))


def test_assigning_a_plain_tensor_to_a_parameter_name_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign a Tensor to parameter 'weight'; wrap it "
                                        r"in nn.Parameter"):
        layer.weight = ag.zeros(2, 2)


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(RuntimeError, match=r"Broken: call super\(\).__init__\(\)"):
        Broken()


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(1)


def test_train_and_eval_reach_every_descendant():
    model = TwoLayer().eval()
    assert not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())


def test_zero_grad_clears_every_parameter_gradient():
    model = TwoLayer()
    model(ag.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_gradients_accumulate_across_backward_calls():
    model = nn.Linear(2, 1)
    x = ag.tensor([[1.0, 2.0]])
    model(x).sum().backward()
    model(x).sum().backward()
    np.testing.assert_array_equal(model.weight.grad.data, [[2.0, 4.0]])


def test_requires_grad_false_freezes_parameters():
    model = TwoLayer().requires_grad_(False)
    assert not model(ag.randn(1, 2)).requires_grad


def test_repr_is_a_pytorch_like_tree():
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "  )\n"
        ")")


def test_sequential_indexing_slicing_iteration_and_append():
    first, second, third = nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)
    model = nn.Sequential(first, second)
    model.append(third)
    assert len(model) == 3 and model[-1] is third and list(model) == [first, second, third]
    assert list(model[1:]) == [second, third]
    assert [name for name, _ in model.named_parameters()][-1] == "2.bias"
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 3 modules"):
        model[3]
    with pytest.raises(TypeError, match="Sequential: expected an nn.Module, got int"):
        nn.Sequential(nn.ReLU(), 3)


def test_sequential_from_a_dict_uses_its_names():
    model = nn.Sequential({"fc": nn.Linear(1, 1), "act": nn.Tanh()})
    assert [name for name, _ in model.named_children()] == ["fc", "act"]


def test_module_list_registers_its_modules():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    blocks[1] = nn.Linear(2, 2, bias=False)
    assert len(blocks) == 3 and blocks.num_parameters() == 6 + 4 + 6
    assert [name for name, _ in blocks.named_parameters()][2] == "1.weight"


def test_module_dict_registers_and_looks_up_by_name():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Linear(2, 3)
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert [name for name, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight",
                                                               "b.bias"]
    with pytest.raises(KeyError, match="ModuleDict: no module named 'c'"):
        heads["c"]


def test_to_float64_converts_parameters_and_buffers():
    model = TwoLayer().to("float64")
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.steps.dtype == np.float64


def test_to_converts_existing_gradients_as_pytorch():
    model = nn.Linear(2, 1)
    model(ag.ones(3, 2)).sum().backward()
    expected = model.weight.grad.data.astype(np.float64)
    model.to("float64")
    assert model.weight.grad.dtype == np.float64
    np.testing.assert_array_equal(model.weight.grad.data, expected)
    assert model.weight.grad.data.tolist() == [[3.0, 3.0]]


# --- name scopes ---------------------------------------------------------------------------


def test_call_records_qualified_module_names_on_every_op():
    model = TwoLayer()
    out = model(ag.randn(1, 2, requires_grad=True))
    assert out._scope == (("", "TwoLayer"),)
    linear_output = out._inputs[0]
    assert linear_output._scope == (("", "TwoLayer"), ("layers", "Sequential"),
                                    ("layers.1", "Linear"))


def test_scope_is_restored_after_a_call_and_after_an_error():
    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        nn.Sequential(Failing())(ag.zeros(1))
    assert ag.grad_mode.STATE.scope == ()
    nn.Linear(1, 1)(ag.zeros(1, 1))
    assert ag.grad_mode.STATE.scope == ()


def test_child_called_on_its_own_is_the_outermost_module():
    model = TwoLayer()
    out = model.hidden(ag.randn(1, 2, requires_grad=True))
    assert out._scope == (("", "Linear"),)


def _op_scopes(*outputs):
    """The scope of every op node in the drawing of ``outputs``, by op name, in drawing order."""
    graph = describe(list(outputs), {})
    return [(node.fields["op"], node.scope) for node in graph.nodes if node.kind == "op"]


class Twice(nn.Module):
    """Calls the same child twice, with an op of its own in between."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Tanh()

    def forward(self, x):
        return self.shared(self.shared(x) * 3.0)


def test_a_module_call_tags_no_op_and_turns_no_per_op_work_on():
    class Probe(nn.Module):
        def forward(self, x):
            self.tagging = ag.grad_mode.STATE.tagging
            self.inner = x * 2.0
            return self.inner + 1.0

    probe = Probe()
    out = probe(ag.tensor([1.0], requires_grad=True))
    assert probe.tagging is False
    assert probe.inner._scope is None
    assert out._scope == (("", "Probe"),)
    assert _op_scopes(out) == [("mul", (("", "Probe"),)), ("add", (("", "Probe"),))]


def test_drawing_derives_the_scopes_of_nested_and_repeated_calls():
    model = nn.Sequential(Twice(), nn.Tanh())
    out = model(ag.tensor([0.5], requires_grad=True)) * 2.0
    top, twice, shared = ("", "Sequential"), ("0", "Twice"), ("0.shared", "Tanh")
    assert _op_scopes(out) == [("tanh", (top, twice, shared)), ("mul", (top, twice)),
                               ("tanh", (top, twice, shared)), ("tanh", (top, ("1", "Tanh"))),
                               ("mul", ())]


@pytest.mark.parametrize("pack", [lambda a, b: (a, [b]), lambda a, b: {"a": a, "b": b}])
def test_scopes_reach_the_drawing_through_tuple_list_and_dict_outputs(pack):
    class Pair(nn.Module):
        def forward(self, x):
            hidden = x * 2.0
            return pack(hidden + 1.0, hidden.exp())

    out = Pair()(ag.tensor([0.5], requires_grad=True))
    second = out[1][0] if isinstance(out, tuple) else out["b"]
    assert _op_scopes(second) == [("mul", (("", "Pair"),)), ("exp", (("", "Pair"),))]


def test_ops_after_a_call_that_raised_are_drawn_outside_it():
    class Failing(nn.Module):
        def forward(self, x):
            self.partial = x * 2.0
            raise ValueError("boom")

    failing, x = Failing(), ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="boom"):
        failing(x)
    after = nn.Tanh()(failing.partial + 1.0)
    assert _op_scopes(after) == [("mul", ()), ("add", ()), ("tanh", (("", "Tanh"),))]


def test_name_scope_around_and_inside_module_calls_nests_with_them():
    class Named(nn.Module):
        def forward(self, x):
            with ag.name_scope("inside", "Block"):
                return x * 2.0

    with ag.name_scope("encoder", "Stage"):
        out = nn.Sequential(Named())(ag.tensor([1.0], requires_grad=True)) + 1.0
    stage = ("encoder", "Stage")
    assert _op_scopes(out) == [
        ("mul", (stage, ("", "Sequential"), ("0", "Named"), ("inside", "Block"))),
        ("add", (stage,))]


def test_a_drawing_made_inside_forward_sees_the_open_calls():
    class Drawing(nn.Module):
        def forward(self, x):
            hidden = x * 2.0
            self.scopes = _op_scopes(hidden)
            return hidden

    model = nn.Sequential(Drawing())
    model(ag.tensor([1.0], requires_grad=True))
    assert model[0].scopes == [("mul", (("", "Sequential"), ("0", "Drawing")))]


def test_a_forward_may_take_keywords_named_like_the_scope_arguments():
    class Keywords(nn.Module):
        def forward(self, x, name="", label="", function=None):
            return x * len(name + label)

    out = Keywords()(ag.tensor([1.0]), name="ab", label="c", function=print)
    np.testing.assert_array_equal(out.data, [3.0])


def test_calls_overlapping_in_another_thread_do_not_relabel_this_graphs_ops():
    # The clock is shared: the worker's call is open while the main thread's op `inner` is
    # made, and the worker's result flows into the main thread's graph.
    inner_made, worker_done, results = threading.Event(), threading.Event(), {}

    class Worker(nn.Module):
        def forward(self, x):
            first = x * 2.0
            worker_started.set()
            inner_made.wait(5)
            return first.exp()

    class Main(nn.Module):
        def forward(self, x):
            worker_started.wait(5)
            inner = x * 3.0
            inner_made.set()
            worker_done.wait(5)
            return inner + results["worker"]

    worker_started = threading.Event()

    def work():
        results["worker"] = Worker()(ag.tensor([1.0], requires_grad=True))
        worker_done.set()

    thread = threading.Thread(target=work)
    thread.start()
    out = Main()(ag.tensor([1.0], requires_grad=True))
    thread.join()
    main, worker = (("", "Main"),), (("", "Worker"),)
    assert _op_scopes(out) == [("mul", worker), ("mul", main), ("exp", worker), ("add", main)]


# --- state dicts ---------------------------------------------------------------------------


def test_state_dict_holds_copies_of_parameters_and_buffers_in_order():
    model = TwoLayer()
    state = model.state_dict()
    assert list(state) == ["scale", "steps", "hidden.weight", "hidden.bias", "layers.1.weight",
                           "layers.1.bias"]
    model.hidden.weight.data[...] = 7.0
    assert not np.any(state["hidden.weight"].data == 7.0)


def test_load_state_dict_round_trip_restores_values():
    source, target = TwoLayer(), TwoLayer()
    source.steps.data[...] = 5.0
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    x = ag.randn(3, 2)
    np.testing.assert_array_equal(source(x).data, target(x).data)


def _assert_unchanged(model, before):
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, before[name].data, err_msg=name)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.pop("hidden.bias"), r"missing key 'hidden.bias' \(shape \(3,\)\)"),
    (lambda s: s.update(extra=ag.zeros(1)), r"unexpected key 'extra'"),
    (lambda s: s.update({"hidden.weight": ag.zeros(2, 3)}),
     r"'hidden.weight' has shape \(2, 3\) in the state dict but \(3, 2\) in the module"),
])
def test_load_state_dict_errors_change_nothing(edit, message):
    model = TwoLayer()
    before = model.state_dict()
    state = {name: ag.zeros(value.shape) for name, value in before.items()}
    edit(state)
    with pytest.raises(RuntimeError, match=message + r".*Nothing was changed"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_load_state_dict_reports_every_problem_at_once():
    model = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match=r"missing key 'weight'.*unexpected key 'w'"):
        model.load_state_dict({"w": np.zeros((1, 2)), "bias": np.zeros(1)})


def test_non_strict_loading_skips_missing_and_unexpected_but_not_bad_shapes():
    model = nn.Linear(2, 1)
    result = model.load_state_dict({"bias": np.array([4.0]), "other": np.zeros(3)},
                                   strict=False)
    assert result.missing_keys == ["weight"] and result.unexpected_keys == ["other"]
    assert model.bias.data[0] == 4.0
    with pytest.raises(RuntimeError, match="'bias' has shape"):
        model.load_state_dict({"bias": np.zeros(2)}, strict=False)


def test_load_state_dict_casts_to_the_parameter_dtype():
    model = nn.Linear(1, 1)
    model.load_state_dict({"weight": np.array([[0.5]]), "bias": np.array([1.5])})
    assert model.weight.dtype == np.float32 and model.weight.data[0, 0] == 0.5


# --- save / load ---------------------------------------------------------------------------


def test_save_and_load_round_trip_keeps_names_values_and_dtypes(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model(ag.randn(4, 2))
    path = tmp_path / "model.ckpt"
    nn.save(model.state_dict(), path)
    assert path.exists()
    loaded = nn.load(path)
    assert list(loaded) == list(model.state_dict())
    for name, value in model.state_dict().items():
        assert loaded[name].dtype == value.dtype and loaded[name].shape == value.shape
        np.testing.assert_array_equal(loaded[name].data, value.data)
    fresh = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    fresh.load_state_dict(loaded)
    assert int(fresh[1].num_batches_tracked.data) == 1


def test_save_rejects_object_values_and_non_mappings(tmp_path):
    with pytest.raises(TypeError, match="save: entry 'a' has dtype object"):
        nn.save({"a": np.array([{}, 1], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="save: expected a mapping"):
        nn.save([1, 2], tmp_path / "x.npz")


def test_load_rejects_object_arrays_without_unpickling(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="load: entry 'a' of .* cannot be read without pickle"):
        nn.load(path)


def test_load_rejects_bad_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="is not a state dict written by nn.save"):
        nn.load(garbage)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="holds a single array, not a state dict"):
        nn.load(single)
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("a.npy", b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="load: entry 'a'"):
        nn.load(broken)
    with pytest.raises(FileNotFoundError, match="load: no file at"):
        nn.load(tmp_path / "missing.npz")
