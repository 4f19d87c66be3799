"""Tutorial 004, multiclass part: digits with softmax and cross-entropy, no derivative by hand.

The lesson recognises handwritten digits with sigmoid hidden layers, a softmax output and the
categorical cross-entropy, whose gradient with softmax it derives by hand as ``a - y``. Here
the network is an ``nn.Sequential`` whose last layer gives logits, ``nn.CrossEntropyLoss``
applies softmax and cross-entropy, and ``backward()`` finds ``a - y`` by itself (checked
below). It trains on scikit-learn's bundled 8x8 digits, or on MNIST with ``--mnist DIR`` when
you have its IDX files; it prints train and test accuracy, draws the confusion matrix, and then
trains a small convolutional network (Conv2d) on the same images.
Run: ``python examples/digits.py [--mnist DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import parse_args, plt, save_figure

import autograd_lite as ag
import nn


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the sigmoid MLP and the CNN; print accuracies; draw the confusion matrix."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0, add_arguments=lambda p:
                      p.add_argument("--mnist", type=Path, metavar="DIR",
                                     help="train on MNIST from the IDX files in DIR"))
    ag.manual_seed(args.seed)
    x_train, x_test, y_train, y_test, side = load(args.mnist, args.seed, args.quick)
    softmax_gradient_error = check_softmax_gradient(x_train[:5], y_train[:5])

    mlp = nn.Sequential(nn.Linear(side * side, 32), nn.Sigmoid(), nn.Linear(32, 16), nn.Sigmoid(),
                        nn.Linear(16, 10))
    mlp_accuracy = train_and_report("sigmoid MLP", mlp, x_train, y_train, x_test, y_test,
                                    epochs=40, seed=args.seed)
    confusion = confusion_matrix(mlp, x_test, y_test)
    figure = plot_confusion(confusion, args.out / "digits_confusion.png")

    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8 * (side // 2) ** 2, 10))
    images_train, images_test = (x.reshape(-1, 1, side, side) for x in (x_train, x_test))
    cnn_accuracy = train_and_report("small CNN", cnn, images_train, y_train, images_test,
                                    y_test, epochs=3 if args.quick else 20, seed=args.seed)
    return {"softmax_gradient_error": softmax_gradient_error, "mlp": mlp_accuracy,
            "confusion_matrix": confusion, "figure": figure, "cnn": cnn_accuracy}


def load(mnist_dir: Path | None, seed: int, quick: bool) -> tuple:
    """Flattened images scaled to [0, 1], integer labels, and the image side (8 or 28)."""
    if mnist_dir is not None:
        (x_train, y_train), (x_test, y_test) = (nn.datasets.mnist(mnist_dir, train=flag)
                                                for flag in (True, False))
        x_train, x_test = (x.reshape(len(x), -1) for x in (x_train, x_test))
        side = 28
    else:
        x, y = nn.datasets.digits()
        x_train, x_test, y_train, y_test = nn.data.train_test_split(x / 16, y, test_size=0.25,
                                                                    seed=seed)
        side = 8
    if quick:
        x_train, y_train, x_test, y_test = x_train[:400], y_train[:400], x_test[:200], y_test[:200]
    print(f"{len(x_train)} training and {len(x_test)} test images of {side}x{side} pixels")
    return x_train, x_test, y_train, y_test, side


def check_softmax_gradient(x: np.ndarray, labels: np.ndarray) -> float:
    """The lesson's formula: d(mean cross-entropy)/d(logits) = (softmax - one_hot) / N."""
    logits = ag.tensor(x[:, :10], requires_grad=True)  # any numbers serve as logits
    nn.CrossEntropyLoss()(logits, labels).backward()
    by_hand = (ag.softmax(logits.detach(), axis=1).numpy()
               - nn.data.one_hot(labels, 10)) / len(labels)
    error = float(np.max(np.abs(logits.grad.numpy() - by_hand)))
    print(f"gradient of cross-entropy(softmax) from backward() vs the lesson's (a - y) / N: "
          f"largest difference {error:.1e}")
    return error


def train_and_report(name: str, model: nn.Module, x_train: np.ndarray, y_train: np.ndarray,
                     x_test: np.ndarray, y_test: np.ndarray, epochs: int, seed: int
                     ) -> dict[str, float]:
    """Momentum SGD on the cross-entropy with ``nn.fit``; print train and test accuracy."""
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, (x_train, y_train), epochs=epochs,
                     val_data=(x_test, y_test), batch_size=32, seed=seed)
    train_accuracy = nn.evaluate(model, (x_train, y_train), nn.CrossEntropyLoss())["accuracy"]
    test_accuracy = history["val_accuracy"][-1]
    print(f"{name}: {epochs} epochs in {sum(history.time):.1f} s, train accuracy "
          f"{train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")
    return {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy}


def confusion_matrix(model: nn.Module, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """counts[true, predicted] over the test set."""
    predicted = nn.predict(model, x).numpy().argmax(axis=1)
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def plot_confusion(counts: np.ndarray, path: Path) -> str:
    """Draw ``counts[true, predicted]`` as a heat map with the counts written in; save it."""
    figure, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(counts, cmap="Blues")
    for (true, predicted), count in np.ndenumerate(counts):
        if count:
            ax.text(predicted, true, count, ha="center", va="center", fontsize=7,
                    color="white" if count > counts.max() / 2 else "black")
    ax.set(title="test set: true vs predicted digit", xlabel="predicted", ylabel="true",
           xticks=range(10), yticks=range(10))
    return str(save_figure(figure, path))


if __name__ == "__main__":
    main()
