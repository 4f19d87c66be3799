"""Data loading, splits, preprocessing helpers and the built-in data sets."""

import gzip
import hashlib
import sys

import numpy as np
import pytest

import autograd_lite as ag
import nn
from nn.data import DataLoader, TensorDataset

# --- DataLoader -------------------------------------------------------------------------------


def numbered_dataset(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


def epoch_order(loader):
    return np.concatenate([yb.numpy() for _, yb in loader]).tolist()


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_appears_exactly_once_per_epoch(shuffle):
    loader = DataLoader(numbered_dataset(10), batch_size=3, shuffle=shuffle, seed=0)
    for _ in range(3):
        batches = list(loader)
        assert [len(yb) for _, yb in batches] == [3, 3, 3, 1]
        assert sorted(epoch_order(batches)) == list(range(10))
    assert len(loader) == 4


def test_without_shuffle_the_order_is_the_data_sets():
    assert epoch_order(DataLoader(numbered_dataset(5), batch_size=2)) == [0, 1, 2, 3, 4]


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(numbered_dataset(10), batch_size=3, drop_last=True)
    assert len(loader) == 3 and [len(yb) for _, yb in loader] == [3, 3, 3]


def test_shuffling_is_reproducible_with_a_seed():
    first = DataLoader(numbered_dataset(20), batch_size=4, shuffle=True, seed=7)
    second = DataLoader(numbered_dataset(20), batch_size=4, shuffle=True, seed=7)
    epochs = [epoch_order(first), epoch_order(first)]
    assert epochs == [epoch_order(second), epoch_order(second)]
    assert epochs[0] != epochs[1]  # a new order every epoch
    assert epoch_order(DataLoader(numbered_dataset(20), shuffle=True, seed=8)) != epochs[0]


def test_without_a_seed_manual_seed_fixes_the_order():
    loader = DataLoader(numbered_dataset(20), batch_size=5, shuffle=True)
    ag.manual_seed(3)
    first = epoch_order(loader)
    ag.manual_seed(3)
    assert epoch_order(loader) == first


def test_batches_are_tensors_that_keep_their_dtypes():
    x = np.ones((4, 2), np.float32)
    y = np.array([0, 1, 1, 0])
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    assert isinstance(xb, ag.Tensor) and isinstance(yb, ag.Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64 and xb.shape == (4, 2)
    assert not xb.requires_grad


def test_a_custom_dataset_is_batched_field_by_field():
    class Squares(nn.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.float32([i, i * i]), i % 2

    xb, yb = list(DataLoader(Squares(), batch_size=2))[1]
    np.testing.assert_array_equal(xb.numpy(), [[2, 4], [3, 9]])
    np.testing.assert_array_equal(yb.numpy(), [0, 1])


def test_dataloader_misuse():
    with pytest.raises(TypeError, match="wrap arrays in nn.data.TensorDataset"):
        DataLoader(np.ones((3, 2)))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(numbered_dataset(), batch_size=0)
    with pytest.raises(ValueError, match=r"same first dimension.*\(3, 2\), \(4,\)"):
        TensorDataset(np.ones((3, 2)), np.ones(4))


# --- splits and preprocessing -----------------------------------------------------------------


def test_random_split_by_counts_and_fractions():
    data = numbered_dataset(10)
    parts = nn.data.random_split(data, [7, 3], seed=0)
    assert [len(p) for p in parts] == [7, 3]
    labels = [epoch_order(DataLoader(p, batch_size=10)) for p in parts]
    assert sorted(labels[0] + labels[1]) == list(range(10))
    assert [len(p) for p in nn.data.random_split(data, [0.5, 0.3, 0.2], seed=0)] == [5, 3, 2]
    again = nn.data.random_split(data, [7, 3], seed=0)
    assert epoch_order(DataLoader(again[0], batch_size=10)) == labels[0]
    assert parts[1][0][1] == labels[1][0]
    with pytest.raises(ValueError, match="summing to the data set's length 10"):
        nn.data.random_split(data, [5, 4])


def test_standardize_centres_and_scales_each_column():
    x = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]], np.float32)
    scaled, mean, std = nn.data.standardize(x)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(scaled.std(axis=0), [1, 0, 1], rtol=1e-5)  # constant column: 0
    np.testing.assert_allclose(mean, [3, 5, 5])
    assert scaled.dtype == np.float32 and std[1] == 1
    test, _, _ = nn.data.standardize(np.float32([[3, 6, 5]]), mean, std)
    np.testing.assert_allclose(test, [[0, 1, 0]], atol=1e-6)


def test_one_hot():
    np.testing.assert_array_equal(nn.data.one_hot(np.array([2, 0]), 3),
                                  [[0, 0, 1], [1, 0, 0]])
    assert nn.data.one_hot(np.array([1, 1])).shape == (2, 2)
    assert nn.data.one_hot(np.array([0])).dtype == np.float32
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        nn.data.one_hot(np.array([0, 2]), 2)
    with pytest.raises(TypeError, match="one_hot: expected integer indices, got dtype float64"):
        nn.data.one_hot(np.array([0.5]))


def test_train_test_split_keeps_rows_paired():
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    x_train, x_test, y_train, y_test = nn.data.train_test_split(x, y, test_size=0.3, seed=1)
    assert len(x_test) == 3 and len(x_train) == 7
    np.testing.assert_array_equal(x_train[:, 0] // 2, y_train)
    np.testing.assert_array_equal(x_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    again = nn.data.train_test_split(x, y, test_size=0.3, seed=1)
    np.testing.assert_array_equal(again[3], y_test)
    with pytest.raises(ValueError, match="same number of rows"):
        nn.data.train_test_split(x, y[:5])


# --- built-in data sets -----------------------------------------------------------------------


def test_xor():
    x, y = nn.datasets.xor()
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.logical_xor(x[:, 0], x[:, 1]))


def test_sine_without_noise_is_exact():
    x, y = nn.datasets.sine(n=50, low=-1, high=2, seed=0)
    assert x.shape == y.shape == (50, 1) and x.dtype == np.float32
    assert x.min() >= -1 and x.max() < 2
    np.testing.assert_allclose(y, np.sin(x), atol=1e-6)


def test_moons_has_sklearns_shape_and_balance():
    sklearn = pytest.importorskip("sklearn.datasets")
    x, y = nn.datasets.moons(n=501, noise=0.1, seed=0)
    x_ref, y_ref = sklearn.make_moons(n_samples=501, noise=0.1, random_state=0)
    assert x.shape == x_ref.shape and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == np.bincount(y_ref).tolist() == [250, 251]


def test_moons_without_noise_lie_on_sklearns_curves():
    sklearn = pytest.importorskip("sklearn.datasets")
    x, y = nn.datasets.moons(n=40, noise=0.0, seed=0)
    x_ref, y_ref = sklearn.make_moons(n_samples=40, noise=0.0, shuffle=False)
    for label in (0, 1):
        ours = sorted(map(tuple, np.round(x[y == label], 5).tolist()))
        theirs = sorted(map(tuple, np.round(x_ref[y_ref == label], 5).tolist()))
        np.testing.assert_allclose(ours, theirs, atol=2e-5)


def test_moons_noise_has_sklearns_statistics():
    sklearn = pytest.importorskip("sklearn.datasets")
    x, y = nn.datasets.moons(n=4000, noise=0.3, seed=1)
    x_ref, y_ref = sklearn.make_moons(n_samples=4000, noise=0.3, random_state=1)
    for label in (0, 1):
        np.testing.assert_allclose(x[y == label].mean(axis=0), x_ref[y_ref == label].mean(axis=0),
                                   atol=0.05)
        np.testing.assert_allclose(x[y == label].std(axis=0), x_ref[y_ref == label].std(axis=0),
                                   atol=0.05)


def test_moons_is_reproducible_with_a_seed():
    np.testing.assert_array_equal(nn.datasets.moons(100, seed=3)[0],
                                  nn.datasets.moons(100, seed=3)[0])


def test_spirals():
    x, y = nn.datasets.spirals(n=301, classes=3, noise=0.0, seed=0)
    assert x.shape == (301, 2) and np.bincount(y).tolist() == [101, 100, 100]
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[:101], np.linspace(0, 1, 101), atol=1e-6)


def test_wine_and_digits_from_sklearn():
    pytest.importorskip("sklearn")
    x, y = nn.datasets.wine()
    assert x.shape == (178, 13) and x.dtype == np.float32 and set(y.tolist()) == {0, 1, 2}
    x, y = nn.datasets.digits()
    assert x.shape == (1797, 64) and y.dtype == np.int64 and x.max() == 16


def test_wine_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install autograd_lite\[examples\]"):
        nn.datasets.wine()


# --- IDX files and MNIST ----------------------------------------------------------------------


def idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    return header + array.astype(dtype).tobytes()


IMAGES = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
LABELS = np.array([7, 0, 9])


def write_mnist(root, compress, split="train"):
    for name, array in ((f"{split}-images-idx3-ubyte", IMAGES),
                        (f"{split}-labels-idx1-ubyte", LABELS)):
        data = idx_bytes(array)
        if compress:
            (root / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (root / name).write_bytes(data)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    write_mnist(tmp_path, compress, split="t10k")
    x, y = nn.datasets.mnist(tmp_path, train=False)
    assert x.shape == (3, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x, IMAGES / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, LABELS)


def test_read_idx_handles_other_type_codes(tmp_path):
    values = np.array([[-5, 70000], [3, -1]])
    (tmp_path / "ints").write_bytes(idx_bytes(values, 0x0C))
    result = nn.datasets.read_idx(tmp_path / "ints")
    np.testing.assert_array_equal(result, values)
    assert result.dtype == np.int32 and result.dtype.isnative
    (tmp_path / "floats").write_bytes(idx_bytes(np.float32([1.5, -2.25]), 0x0D))
    np.testing.assert_array_equal(nn.datasets.read_idx(tmp_path / "floats"), [1.5, -2.25])


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01rest")
    with pytest.raises(ValueError, match="bad magic number 01020801"):
        nn.datasets.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(idx_bytes(np.arange(4))[:-1])
    with pytest.raises(ValueError, match=r"declares shape \(4,\) \(4 bytes.*holds 3 bytes"):
        nn.datasets.read_idx(tmp_path / "short")


def test_mnist_reads_an_npz(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=IMAGES.astype(np.uint8), y_train=LABELS,
             x_test=IMAGES[:1].astype(np.uint8), y_test=LABELS[:1])
    x, y = nn.datasets.mnist(tmp_path)
    np.testing.assert_allclose(x, IMAGES / 255.0, rtol=1e-6)
    assert nn.datasets.mnist(tmp_path, train=False)[1].tolist() == [7]


def test_mnist_missing_files_and_download_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        nn.datasets.mnist(tmp_path)
    with pytest.raises(ValueError, match="needs the url of an mnist.npz file and its sha256"):
        nn.datasets.mnist(tmp_path, download=True)


def test_mnist_download_verifies_the_sha256(tmp_path):
    source = tmp_path / "source.npz"
    np.savez(source, x_train=IMAGES.astype(np.uint8), y_train=LABELS,
             x_test=IMAGES.astype(np.uint8), y_test=LABELS)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    root = tmp_path / "root"
    with pytest.raises(ValueError, match="has SHA-256 .* expected 00"):
        nn.datasets.mnist(root, download=True, url=source.as_uri(), sha256="00" * 32)
    assert list(root.iterdir()) == []
    x, y = nn.datasets.mnist(root, download=True, url=source.as_uri(), sha256=digest)
    assert x.shape == (3, 28, 28) and (root / "mnist.npz").exists()


# --- generators -------------------------------------------------------------------------------


def test_dataloader_draws_its_orders_from_a_given_generator():
    loader = DataLoader(numbered_dataset(12), batch_size=5, shuffle=True,
                        generator=np.random.default_rng(4))
    reference = np.random.default_rng(4)
    assert epoch_order(loader) == reference.permutation(12).tolist()
    assert epoch_order(loader) == reference.permutation(12).tolist()


def test_dataloader_without_seed_follows_use_generator_at_each_epoch():
    loader = DataLoader(numbered_dataset(12), batch_size=5, shuffle=True)
    with ag.random.use_generator(6):
        order = epoch_order(loader)
    assert order == np.random.default_rng(6).permutation(12).tolist()


def test_splits_take_a_generator():
    subsets = nn.data.random_split(numbered_dataset(6), [4, 2],
                                   generator=np.random.default_rng(3))
    order = np.random.default_rng(3).permutation(6)
    assert [s.indices.tolist() for s in subsets] == [order[:4].tolist(), order[4:].tolist()]
    x_train, x_test = nn.data.train_test_split(np.arange(8), test_size=2,
                                               generator=np.random.default_rng(5))
    order = np.random.default_rng(5).permutation(8)
    assert x_test.tolist() == order[:2].tolist() and x_train.tolist() == order[2:].tolist()


@pytest.mark.parametrize("call, name", [
    (lambda g: DataLoader(numbered_dataset(4), seed=1, generator=g), "DataLoader"),
    (lambda g: nn.data.random_split(numbered_dataset(4), [2, 2], seed=1, generator=g),
     "random_split"),
    (lambda g: nn.data.train_test_split(np.arange(4), seed=1, generator=g), "train_test_split"),
])
def test_seed_and_generator_together_are_refused(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: give seed or generator, not both"):
        call(np.random.default_rng(0))


def test_the_data_sets_have_one_home():
    assert {"xor", "sine", "moons", "spirals", "wine", "digits", "mnist"} <= set(
        nn.datasets.__all__)
    assert not {"xor", "moons", "mnist"} & set(dir(nn.data))
