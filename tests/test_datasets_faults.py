"""read_idx and mnist(root) on damaged files: each a ValueError naming the file and the problem.

The tests write the damaged files themselves; nothing is downloaded.
"""

import gzip
from pathlib import Path

import numpy as np
import pytest

import nn

IMAGES = (np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28)
LABELS = np.array([7, 0, 9], np.uint8)


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file written from the format's definition: magic, big-endian sizes, data."""
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(">u1").tobytes()


def write_idx_pair(root: Path, images: bytes, labels: bytes, compress: bool = False
                   ) -> tuple[Path, Path]:
    paths = []
    for name, data in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        path = root / (name + ".gz" if compress else name)
        path.write_bytes(gzip.compress(data) if compress else data)
        paths.append(path)
    return paths[0], paths[1]


def assert_names(error: pytest.ExceptionInfo, path: Path) -> None:
    assert repr(str(path)) in str(error.value)


def test_valid_files_still_load(tmp_path):
    write_idx_pair(tmp_path, idx_bytes(IMAGES), idx_bytes(LABELS), compress=True)
    x, y = nn.datasets.mnist(tmp_path)
    np.testing.assert_array_equal(x, IMAGES / np.float32(255))
    assert y.tolist() == [7, 0, 9]


@pytest.mark.parametrize("length", [2, 4, 9], ids=["in the magic", "no sizes", "half a size"])
def test_truncated_header(tmp_path, length):
    path = tmp_path / "cut"
    path.write_bytes(idx_bytes(IMAGES)[:length])
    with pytest.raises(ValueError) as error:
        nn.datasets.read_idx(path)
    expected = ("too short to be an IDX file (2 bytes" if length < 4
                else "cut short in its header: 3 dimensions need 16")
    assert expected in str(error.value)
    assert_names(error, path)


def test_unknown_magic(tmp_path):
    path = tmp_path / "pic.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ValueError, match=r"not an IDX file \(bad magic number 89504e47") as error:
        nn.datasets.read_idx(path)
    assert_names(error, path)


def test_unknown_type_code_lists_the_known_ones(tmp_path):
    path = tmp_path / "odd"
    path.write_bytes(idx_bytes(LABELS, type_code=0x0A))
    with pytest.raises(ValueError, match=r"unknown IDX type code 0x0a .*0x08 \(uint8\), 0x09 "
                                         r"\(int8\), 0x0b \(int16\), 0x0c \(int32\), 0x0d "
                                         r"\(float32\), 0x0e \(float64\)") as error:
        nn.datasets.read_idx(path)
    assert_names(error, path)


@pytest.mark.parametrize("damage", ["truncated", "not gzip", "bad crc"])
def test_corrupt_gz(tmp_path, damage):
    images, labels = write_idx_pair(tmp_path, idx_bytes(IMAGES), idx_bytes(LABELS), True)
    data = bytearray(labels.read_bytes())
    if damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "not gzip":
        data = bytearray(idx_bytes(LABELS))  # plain IDX bytes under a .gz name
    else:
        data[-8] ^= 0xFF  # the stored CRC-32 of the uncompressed data
    labels.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="read_idx: .* is not a valid gzip file") as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, labels)


def test_missing_gz_is_still_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.datasets.read_idx(tmp_path / "missing.gz")


def test_images_file_where_labels_belong(tmp_path):
    images, labels = write_idx_pair(tmp_path, idx_bytes(IMAGES), idx_bytes(IMAGES))
    with pytest.raises(ValueError, match=r"labels in .* have shape \(3, 28, 28\); labels are "
                                         r"\(N,\) \(an images file in place of the labels\?\)"
                       ) as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, labels)


def test_labels_file_where_images_belong(tmp_path):
    images, labels = write_idx_pair(tmp_path, idx_bytes(LABELS), idx_bytes(LABELS))
    with pytest.raises(ValueError, match=r"images in .* have shape \(3,\)") as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, images)


def test_labels_outside_0_to_9(tmp_path):
    images, labels = write_idx_pair(tmp_path, idx_bytes(IMAGES),
                                    idx_bytes(np.array([7, 12, 3])))
    with pytest.raises(ValueError, match=r"labels in .* lie in 3\.\.12; MNIST labels are digits "
                                         r"0\.\.9") as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, labels)


def test_different_numbers_of_images_and_labels_name_both_files(tmp_path):
    images, labels = write_idx_pair(tmp_path, idx_bytes(IMAGES), idx_bytes(LABELS[:2]))
    with pytest.raises(ValueError, match="3 images in .* but 2 labels in") as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, images)
    assert_names(error, labels)


def test_garbage_mnist_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(ValueError, match="mnist: .* is not an MNIST archive .*not a complete "
                                         "zip archive") as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, path)
    assert "allow_pickle" not in str(error.value)


def test_mnist_npz_without_y_train(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=IMAGES, x_test=IMAGES, y_test=LABELS)
    with pytest.raises(ValueError, match="has no array 'y_train' \\(it holds x_train, x_test, "
                                         "y_test\\)") as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, path)


@pytest.mark.parametrize("labels, problem", [
    (np.array([7, 0, 9], dtype=object),
     "entry 'y_train' of .* has dtype object, which cannot be read without pickle"),
    (np.array([7.0, 0.5, 9.0]), "labels in .* have dtype float64; labels are integers 0..9"),
], ids=["object (refused without unpickling)", "float"])
def test_mnist_npz_with_labels_of_a_wrong_dtype(tmp_path, labels, problem):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=IMAGES, y_train=labels)
    with pytest.raises(ValueError, match=problem) as error:
        nn.datasets.mnist(tmp_path)
    assert_names(error, path)
