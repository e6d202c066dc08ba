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
