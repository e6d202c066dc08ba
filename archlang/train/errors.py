"""The training engine's exceptions: TrainError (a mistake the user can fix; defined with
the settings it mostly guards, in archlang/ir/trainconfig.py) and TrainInterrupted."""

from ..ir.trainconfig import TrainError

__all__ = ["TrainError", "TrainInterrupted"]


class TrainInterrupted(KeyboardInterrupt):
    """Ctrl-C during training. `out` holds the checkpoint of the last finished epoch
    (`epochs_done`, 0 when none finished), from which `--resume` continues exactly."""

    def __init__(self, out, epochs_done: int):
        super().__init__(f"interrupted after {epochs_done} finished epochs; checkpoints in {out}")
        self.out = out
        self.epochs_done = epochs_done
