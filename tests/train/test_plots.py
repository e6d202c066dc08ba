"""compare-runs draws validation accuracy in percent (the book's figure)."""
from __future__ import annotations

from matplotlib.figure import Figure

from archlang.train import compare_runs
from archlang.train.metrics import write_metrics


def test_compare_runs_plots_percent(tmp_path, monkeypatch):
    for name, accs in (("model1", (0.5, 0.75)), ("model2", (0.25, 0.972))):
        write_metrics([dict(epoch=e, train_loss=1.0, train_acc=0.5, val_loss=1.0, val_acc=a,
                            samples_per_s=1.0, seconds=1.0) for e, a in enumerate(accs, 1)],
                      tmp_path / name / "metrics.csv")
    drawn = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: drawn.append(self))
    compare_runs([tmp_path / "model1", tmp_path / "model2"], tmp_path / "c.png")
    (ax,) = drawn[0].axes
    assert ax.get_ylabel() == "validation accuracy (%)"
    assert [list(line.get_ydata()) for line in ax.lines] == [[50.0, 75.0], [25.0, 97.2]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["model1", "model2"]
