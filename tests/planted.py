"""A planted payload for the security tests: unpickling a :class:`Plant` runs
``open(marker, "w")``, so the marker file's existence proves that code ran."""


class Plant:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))
