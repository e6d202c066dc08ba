"""TrainError: the one exception the training engine raises for user mistakes."""


class TrainError(Exception):
    """A problem the user can fix (bad config value, missing data, NaN loss).

    `message` says what went wrong (lower case, no full stop, rustc style); `hint`
    suggests a fix or is None. The CLI prints both and exits; it never shows a traceback.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  = help: {self.hint}"

    def _render_traceback_(self) -> list[str]:
        """IPython/Jupyter show the message and hint instead of the engine's frames."""
        return [f"TrainError: {self}"]


class TrainInterrupted(KeyboardInterrupt):
    """Ctrl-C during training. `out` holds the checkpoint of the last finished epoch
    (`epochs_done`, 0 when none finished), from which `--resume` continues exactly."""

    def __init__(self, out, epochs_done: int):
        super().__init__(f"interrupted after {epochs_done} finished epochs; checkpoints in {out}")
        self.out = out
        self.epochs_done = epochs_done
