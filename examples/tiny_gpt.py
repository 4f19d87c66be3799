"""A tiny GPT: nanoGPT's decoder-only transformer, character by character, built from nn modules.

Andrej Karpathy's nanoGPT (``model.py``) and his lecture "Let's build GPT: from scratch, in
code, spelled out", at toy size: token and position embeddings, blocks of causal
self-attention heads (``nn.functional.scaled_dot_product_attention(is_causal=True)``) and an
MLP, each behind a LayerNorm and inside a residual connection, a final LayerNorm and a
language-model head that shares the token embedding's weight (``--untied`` gives it its own).
Trained with AdamW (weight decay on the matrices only) and a cosine learning-rate schedule on
the Python standard library's docstrings (no download). It prints the training and validation
loss against the unigram baseline (the best loss without context), a sample of generated
text, and draws the loss curve and the graph of one block, folded by module.
No derivative is written anywhere: ``loss.backward()`` differentiates the whole network.
Run: ``python examples/tiny_gpt.py [--quick]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import parse_args
from _text import add_training_options, load_text, plot_losses, sample_next, train, training_config

import autograd_lite as ag
import nn
import nn.functional as F

FULL = {"block_size": 64, "n_embd": 96, "n_head": 4, "n_layer": 3, "batch_size": 32,
        "steps": 2000, "lr": 3e-3, "eval_every": 250}
QUICK = {"block_size": 32, "n_embd": 48, "n_head": 4, "n_layer": 2, "batch_size": 16,
         "steps": 300, "lr": 3e-3, "eval_every": 100}
PROMPT = "Return the "


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions 0..t only."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)  # query, key and value of every head
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        batch, length, width = x.shape
        q, k, v = (part.reshape(batch, length, self.n_head, width // self.n_head).swapaxes(1, 2)
                   for part in ag.split(self.c_attn(x), 3, axis=-1))  # (B, heads, T, head size)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.swapaxes(1, 2).reshape(batch, length, width))


class MLP(nn.Module):
    """Position-wise feed-forward: widen 4x, GELU, project back."""

    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's GELU
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)) (pre-norm residual block)."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TinyGPT(nn.Module):
    """Token ids (B, T) -> next-character logits (B, T, vocabulary)."""

    def __init__(self, vocabulary: int, block_size: int, n_embd: int, n_head: int,
                 n_layer: int, tied: bool = True) -> None:
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocabulary, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocabulary, bias=False)
        if tied:
            self.lm_head.weight = self.wte.weight  # one matrix reads and writes characters
        self._init_weights(n_layer)

    def _init_weights(self, n_layer: int) -> None:
        """nanoGPT's init: N(0, 0.02) weights, zero biases, residual projections scaled down
        by sqrt(2 * n_layer) so that the residual stream does not grow with depth."""
        for name, param in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(param)
            elif param.ndim == 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(param, 0.0, std)

    def forward(self, ids: np.ndarray) -> ag.Tensor:
        positions = np.arange(ids.shape[1])
        x = self.wte(ids) + self.wpe(positions)
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def generate(self, ids: np.ndarray, count: int, rng: np.random.Generator,
                 temperature: float = 0.8) -> np.ndarray:
        """Append ``count`` characters to ``ids`` (1-D), each drawn from the predicted
        distribution (sharpened by ``temperature``) given the last block_size characters."""
        ids = list(ids)
        with ag.no_grad():
            for _ in range(count):
                logits = self(np.array([ids[-self.block_size:]]))[0, -1]
                ids.append(sample_next(logits, temperature, rng))
        return np.array(ids)


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the tiny GPT, print losses and a sample, draw the loss curve and a block's graph."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0, add_arguments=add_options)
    config = training_config(args, FULL, QUICK)
    ag.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    chars, train_ids, val_ids, baseline = load_text()

    model = TinyGPT(len(chars), config["block_size"], config["n_embd"], config["n_head"],
                    config["n_layer"], tied=not args.untied)
    print(f"{model.num_parameters():,} parameters, {config['n_layer']} blocks, "
          f"{'tied' if not args.untied else 'untied'} embedding and head")
    history = train(model, train_ids, val_ids, config, rng)
    print(f"trained {config['steps']} steps in {history['seconds']:.1f} s: validation loss "
          f"{history['val'][-1]:.3f} vs unigram baseline {baseline:.3f}")

    sample = chars.decode(model.generate(chars.encode(PROMPT), 200 if not args.quick else 80,
                                         rng))
    print(f"sample:\n{sample}")
    figures = [
        plot_losses(history["steps"], history["train"], history["val"], baseline,
                    f"tiny GPT, {model.num_parameters():,} parameters",
                    args.out / "tiny_gpt_loss.png"),
        draw_block(model.blocks[0], config, args.out / "tiny_gpt_block.png"),
    ]
    return {"baseline": baseline, "history": history, "sample": sample, "figures": figures,
            "model": model, "characters": chars}


def add_options(parser) -> None:
    add_training_options(parser)
    parser.add_argument("--untied", action="store_true",
                        help="give the head its own weight instead of the token embedding's")


def draw_block(block: Block, config: dict, path: Path) -> str:
    """The graph of one block on a short sequence (forward and backward), each of its
    sub-modules (the LayerNorms, the attention, the MLP) folded into one box (``depth=1``)."""
    x = ag.randn(1, 8, config["n_embd"], requires_grad=True)
    out = block(x)
    loss = (out * out).mean()
    loss.backward(retain_graph=True)  # keep the saved values so the drawing can show them
    return str(ag.save_graph(loss, path, params=block, depth=1))


if __name__ == "__main__":
    main()
