"""A character-level LSTM language model (char-rnn) on the standard library's docstrings.

Andrej Karpathy's char-rnn ("The Unreasonable Effectiveness of Recurrent Neural Networks"):
an embedding of each character, a two-layer ``nn.LSTM`` (batch_first, dropout between the
layers) and a linear head predicting the next character; trained on random windows with AdamW
and a cosine schedule, as ``tiny_gpt.py`` is, on the same text, so that the two losses
compare. Sampling runs the LSTM one character at a time and carries its state ``(h, c)``
from step to step, the way a recurrent network reads. It prints the losses against the
unigram baseline and a sample, and draws the loss curve.
Run: ``python examples/char_rnn.py [--quick]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import parse_args
from _text import add_training_options, load_text, plot_losses, sample_next, train, training_config

import autograd_lite as ag
import nn

FULL = {"block_size": 64, "embedding": 48, "hidden": 192, "layers": 2, "dropout": 0.1,
        "batch_size": 32, "steps": 1500, "lr": 3e-3, "eval_every": 250}
QUICK = {"block_size": 32, "embedding": 32, "hidden": 64, "layers": 1, "dropout": 0.0,
         "batch_size": 16, "steps": 300, "lr": 5e-3, "eval_every": 100}
PROMPT = "Return the "


class CharRNN(nn.Module):
    """Token ids (B, T) -> next-character logits (B, T, vocabulary), and the LSTM state."""

    def __init__(self, vocabulary: int, embedding: int, hidden: int, layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, embedding)
        self.lstm = nn.LSTM(embedding, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout)
        self.head = nn.Linear(hidden, vocabulary)

    def forward(self, ids: np.ndarray) -> ag.Tensor:
        return self.step(ids)[0]

    def step(self, ids: np.ndarray, state: tuple[ag.Tensor, ag.Tensor] | None = None
             ) -> tuple[ag.Tensor, tuple[ag.Tensor, ag.Tensor]]:
        """Logits for ``ids`` (B, T) starting from ``state`` (zeros when None), and the state
        after the last character: pass it back in to continue the text."""
        output, state = self.lstm(self.embed(ids), state)
        return self.head(output), state

    def generate(self, ids: np.ndarray, count: int, rng: np.random.Generator,
                 temperature: float = 0.8) -> np.ndarray:
        """Read ``ids`` (1-D), then append ``count`` characters, one LSTM step each."""
        ids = list(ids)
        with ag.no_grad():
            logits, state = self.step(np.array([ids]))
            for _ in range(count):
                ids.append(sample_next(logits[0, -1], temperature, rng))
                logits, state = self.step(np.array([[ids[-1]]]), state)
        return np.array(ids)


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the LSTM, print losses and a sample, draw the loss curve."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0,
                      add_arguments=add_training_options)
    config = training_config(args, FULL, QUICK)
    ag.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    chars, train_ids, val_ids, baseline = load_text()

    model = CharRNN(len(chars), config["embedding"], config["hidden"], config["layers"],
                    config["dropout"])
    print(f"{model}\n{model.num_parameters():,} parameters")
    history = train(model, train_ids, val_ids, config, rng)
    print(f"trained {config['steps']} steps in {history['seconds']:.1f} s: validation loss "
          f"{history['val'][-1]:.3f} vs unigram baseline {baseline:.3f}")

    sample = chars.decode(model.generate(chars.encode(PROMPT), 80 if args.quick else 200, rng))
    print(f"sample:\n{sample}")
    figure = plot_losses(history["steps"], history["train"], history["val"], baseline,
                         f"char-rnn LSTM, {model.num_parameters():,} parameters",
                         args.out / "char_rnn_loss.png")
    return {"baseline": baseline, "history": history, "sample": sample, "figure": figure,
            "model": model, "characters": chars}


if __name__ == "__main__":
    main()
