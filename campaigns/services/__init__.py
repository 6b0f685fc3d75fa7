"""Use cases: plain functions with explicit arguments. They flush; views commit."""


class FormInvalid(ValueError):
    """Input that cannot be taken. ``errors`` maps a form field (or "" for the whole form)
    to the message to show beside it; nothing was changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors
