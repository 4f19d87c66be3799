"""Training checkpoints (model, optimizer, schedule) and safetensors files, saved without pickle."""

import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
import nn

DATA = Path(__file__).parent / "data"


def make_model() -> nn.Module:
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))


def batches(count: int):
    rng = np.random.default_rng(7)
    for _ in range(count):
        x = rng.standard_normal((16, 3)).astype(np.float32)
        yield ag.tensor(x), ag.tensor(np.sin(x).sum(axis=1, keepdims=True))


OPTIMIZERS = {
    "SGD momentum": lambda params: nn.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "Adam": lambda params: nn.optim.Adam(params, lr=0.01, amsgrad=True),
    "AdamW": lambda params: nn.optim.AdamW(params, lr=0.01, weight_decay=0.1),
    "RMSprop": lambda params: nn.optim.RMSprop(params, lr=0.01, momentum=0.5),
    "Adagrad": lambda params: nn.optim.Adagrad(params, lr=0.1, lr_decay=0.01),
}
SCHEDULES = {
    "StepLR": lambda optimizer: nn.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5),
    "CosineAnnealingLR": lambda optimizer: nn.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8),
}


def train(model, optimizer, schedule, data) -> None:
    for x, y in data:
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        schedule.step()


@pytest.mark.parametrize("schedule_name", SCHEDULES)
@pytest.mark.parametrize("optimizer_name", OPTIMIZERS)
def test_resuming_from_a_checkpoint_follows_the_same_trajectory(tmp_path, optimizer_name,
                                                                 schedule_name):
    data = list(batches(12))
    model = make_model()
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    schedule = SCHEDULES[schedule_name](optimizer)
    train(model, optimizer, schedule, data)

    interrupted = make_model()
    optimizer = OPTIMIZERS[optimizer_name](interrupted.parameters())
    schedule = SCHEDULES[schedule_name](optimizer)
    train(interrupted, optimizer, schedule, data[:5])
    nn.save({"model": interrupted.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": schedule.state_dict(), "epoch": 5}, tmp_path / "checkpoint.npz")

    checkpoint = nn.load(tmp_path / "checkpoint.npz")
    resumed = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))  # other initial values
    resumed.load_state_dict(checkpoint["model"])
    optimizer = OPTIMIZERS[optimizer_name](resumed.parameters())
    schedule = SCHEDULES[schedule_name](optimizer)
    optimizer.load_state_dict(checkpoint["optimizer"])  # PyTorch's order: build, then load
    schedule.load_state_dict(checkpoint["scheduler"])
    train(resumed, optimizer, schedule, data[checkpoint["epoch"]:])

    for (name, expected), actual in zip(model.state_dict().items(),
                                        resumed.state_dict().values()):
        np.testing.assert_array_equal(actual.data, expected.data, err_msg=name)


def test_checkpoint_keeps_nesting_types_and_values(tmp_path):
    state = {"step": 3, "lr": 0.5, "name": "run-1", "nothing": None, "flag": True,
             "betas": (0.9, 0.999), "history": [1.5, float("inf")],
             "by_index": {0: {"moment": np.arange(3.0)}, 1: {}},
             "weights": {"w": ag.tensor([[1.0, 2.0]]), "count": np.int64(7)}}
    nn.save(state, tmp_path / "state.npz")
    loaded = nn.load(tmp_path / "state.npz")
    assert list(loaded) == list(state)
    assert loaded["step"] == 3 and type(loaded["step"]) is int
    assert loaded["lr"] == 0.5 and loaded["name"] == "run-1" and loaded["nothing"] is None
    assert loaded["flag"] is True and loaded["betas"] == (0.9, 0.999)
    assert loaded["history"] == [1.5, float("inf")]
    assert list(loaded["by_index"]) == [0, 1] and loaded["by_index"][1] == {}
    moment = loaded["by_index"][0]["moment"]
    assert type(moment) is np.ndarray
    np.testing.assert_array_equal(moment, [0.0, 1.0, 2.0])
    weight = loaded["weights"]["w"]
    assert isinstance(weight, ag.Tensor) and weight.dtype == np.float32
    np.testing.assert_array_equal(weight.data, [[1.0, 2.0]])
    assert loaded["weights"]["count"] == 7 and loaded["weights"]["count"].dtype == np.int64


def test_checkpoint_arrays_are_ordinary_npz_members(tmp_path):
    nn.save({"model": {"0.weight": ag.tensor([1.0, 2.0])}, "epoch": 2}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as archive:
        assert sorted(archive.namelist()) == ["model/0.weight.npy", "structure.json"]
        assert json.loads(archive.read("structure.json")) == {"dict": [
            ["model", {"dict": [["0.weight", {"tensor": "model/0.weight"}]]}],
            ["epoch", {"value": 2}]]}


def test_checkpoint_refuses_what_needs_pickle_naming_where(tmp_path):
    with pytest.raises(TypeError, match=r"save: 'optimizer/hook' is a function, which cannot be "
                                        r"saved without pickle"):
        nn.save({"optimizer": {"hook": lambda: None}}, tmp_path / "c.npz")
    with pytest.raises(TypeError, match=r"the key \(1, 2\) in 'state' is a tuple; keys must be "
                                        r"strings or integers"):
        nn.save({"state": {(1, 2): 3}}, tmp_path / "c.npz")
    with pytest.raises(TypeError, match="save: entry 'state/w' has dtype object"):
        nn.save({"state": {"w": np.array([{}], dtype=object)}}, tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


@pytest.mark.parametrize("structure, problem", [
    (b"{not json", "description of the nesting is damaged"),
    (b'{"dict": [["w", {"tensor": "missing"}]]}', "names the array 'missing', which the file "
                                                   "does not hold"),
    (b'{"dict": [["w", {"eval": "os.system"}]]}', "description of the nesting is damaged"),
    (b'{"list": 3}', "description of the nesting is damaged"),
    (b"[" * 100_000 + b"]" * 100_000, "description of the nesting is damaged"),
], ids=["not JSON", "missing array", "unknown kind", "malformed list", "too deep"])
def test_load_damaged_checkpoint_description_names_the_file(tmp_path, structure, problem):
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("structure.json", structure)
    with pytest.raises(ValueError, match=problem) as raised:
        nn.load(path)
    assert repr(str(path)) in str(raised.value)


def test_datasets_still_refuse_a_structure_member(tmp_path):
    path = tmp_path / "c.npz"
    nn.save({"x": {"y": np.zeros(2)}}, path)
    with pytest.raises(ValueError, match="member 'structure.json', which is not a .npy array"):
        nn.npz_io.read_npz(path, "mnist", "an MNIST archive")


# --- safetensors --------------------------------------------------------------------------


def read_safetensors_by_the_format(path: Path) -> dict[str, np.ndarray]:
    """An independent reader of the safetensors layout: an 8-byte little-endian header length,
    a JSON header of {name: {dtype, shape, data_offsets}}, then the raw little-endian bytes."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    header.pop("__metadata__", None)
    data = raw[8 + length:]
    dtypes = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "BOOL": "?", "U8": "u1"}
    arrays = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        arrays[name] = np.reshape(np.frombuffer(data[begin:end], dtypes[entry["dtype"]]),
                                  tuple(entry["shape"]))
    return arrays


def test_safetensors_file_is_in_the_format_pytorch_reads(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    state = model.state_dict()
    nn.save(state, tmp_path / "model.safetensors")
    on_disk = read_safetensors_by_the_format(tmp_path / "model.safetensors")
    assert set(on_disk) == {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                            "1.running_var", "1.num_batches_tracked"}
    for name, tensor in state.items():
        assert on_disk[name].dtype == tensor.dtype and on_disk[name].shape == tensor.shape
        np.testing.assert_array_equal(on_disk[name], tensor.data)


def test_safetensors_round_trip_keeps_dtypes_and_loads_into_the_model(tmp_path):
    arrays = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3)[:, ::2],  # not contiguous
              "f64": np.array([1e-300, -2.5]), "i64": np.array([3, -4]), "flag": np.array(True)}
    nn.save(arrays, tmp_path / "a.safetensors")
    loaded = nn.load(tmp_path / "a.safetensors")
    assert set(loaded) == set(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name].data, array)


def test_safetensors_file_written_by_pytorch_runs_here():
    # tests/data/torch_mlp.safetensors: PyTorch's safetensors.torch.save_file of the state dict
    # of Sequential(Linear(3, 2), ReLU(), Linear(2, 1)) with the weights written out below.
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    model.load_state_dict(nn.load(DATA / "torch_mlp.safetensors"))
    w0 = np.arange(6.0).reshape(2, 3) / 4 - 0.5
    np.testing.assert_array_equal(model[0].weight.data, w0)
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    hidden = np.maximum(x @ w0.T + [0.25, -0.75], 0)
    expected = hidden @ np.array([[1.5, -2.0]]).T + 0.125
    np.testing.assert_allclose(model(ag.tensor(x, dtype="float32")).numpy(), expected,
                               rtol=1e-6)
    assert float(expected[0, 0]) == -5.375  # what PyTorch printed for the same model


def test_safetensors_refuses_nesting_and_damaged_files(tmp_path):
    with pytest.raises(TypeError, match="entry 'optimizer' is a dict; a .safetensors file holds "
                                        "only tensors, arrays and numbers"):
        nn.save({"optimizer": {"lr": 0.1}}, tmp_path / "c.safetensors")
    path = tmp_path / "m.safetensors"
    nn.save({"w": np.ones(100)}, path)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ValueError, match="is not a readable safetensors file") as raised:
        nn.load(path)
    assert repr(str(path)) in str(raised.value)
    with pytest.raises(FileNotFoundError, match="load: no file at"):
        nn.load(tmp_path / "missing.safetensors")


def test_safetensors_with_bfloat16_says_how_to_convert(tmp_path):
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
    with pytest.raises(ValueError, match=r"dtype NumPy cannot represent .*\.float\(\)"):
        nn.load(path)
