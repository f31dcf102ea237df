"""Errors that name the file and the reason, so a batch can report them and go on."""


class RadiographQCError(Exception):
    """Base class for every error this package raises on purpose."""


class InputError(RadiographQCError):
    """An input image or label file cannot be used."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(RadiographQCError):
    """A bundled or user-supplied model file cannot be used."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
