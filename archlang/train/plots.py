"""Figures: one run's learning curves, and several runs' validation accuracy (the book's
comparison figure)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from .errors import TrainError  # noqa: E402
from .metrics import read_metrics  # noqa: E402


def plot_curves(history: list[dict], path, title: str = "") -> Path:
    """curves.png: loss (left) and accuracy (middle; a language model's perplexity) per
    epoch, train vs validation, and the learning rate of each epoch (right) when it changed
    during the run."""
    epochs = [r["epoch"] for r in history]
    lrs = [r.get("lr") for r in history]
    scheduled = len({lr for lr in lrs if lr is not None}) > 1
    fig, axes = plt.subplots(1, 3 if scheduled else 2, figsize=(15 if scheduled else 10, 4))
    ax_loss, ax_acc = axes[0], axes[1]
    if scheduled:
        axes[2].plot(epochs, lrs, "o-", color="tab:green")
        axes[2].set_xlabel("epoch")
        axes[2].set_ylabel("learning rate (first step of the epoch)")
        axes[2].grid(alpha=0.3)
    # A language model has no accuracy: its middle plot is the perplexity.
    second = "ppl" if "val_ppl" in history[-1] else "acc"
    for ax, key in ((ax_loss, "loss"), (ax_acc, second)):
        ax.plot(epochs, [r[f"train_{key}"] for r in history], "o-", label="train")
        ax.plot(epochs, [r[f"val_{key}"] for r in history], "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel({"loss": "loss", "acc": "accuracy", "ppl": "perplexity"}[key])
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def compare_runs(run_dirs, out_png, labels=None) -> Path:
    """Validation accuracy per epoch of several runs on one plot, each labelled by its run
    folder's name (or `labels`). Each folder must hold the metrics.csv that `train` wrote."""
    run_dirs = [Path(d) for d in run_dirs]
    if not run_dirs:
        raise TrainError("compare_runs needs at least one run folder")
    labels = list(labels) if labels is not None else [d.name for d in run_dirs]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for folder, label in zip(run_dirs, labels):
        csv_path = folder / "metrics.csv"
        if not csv_path.is_file():
            raise TrainError(f"{folder} has no metrics.csv", "pass folders that `archlang train` wrote")
        rows = read_metrics(csv_path)
        ax.plot([r["epoch"] for r in rows], [100 * r["val_acc"] for r in rows], "o-", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    Path(out_png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return Path(out_png)


def plot_confusion(confusion, path, title: str = "", classes: list[str] | None = None) -> Path:
    """A confusion matrix as a picture: rows the true class, columns the predicted one,
    each cell with its count; the axes name the `classes` when given."""
    k = len(confusion)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * k, 0.8 + 0.5 * k))
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    if classes and len(classes) == k:
        ax.set_xticklabels(classes, rotation=45, ha="right")
        ax.set_yticklabels(classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    top = confusion.max() if confusion.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if confusion[i, j] > top / 2 else "black")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
