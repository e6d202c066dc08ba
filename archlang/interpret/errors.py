"""InterpretError: a mistake in what to show (no such row, not a convolution, a bad input)."""
from ..train.errors import TrainError


class InterpretError(TrainError):
    """Like TrainError (a message and a hint, printed by the CLI without a traceback); a
    subclass, so one `except TrainError` covers opening a run and choosing what to show."""


class WrongChoice(InterpretError):
    """A wrong choice of what to show (no such row, not a convolution, no spec named): a
    command-line mistake (exit 2)."""
