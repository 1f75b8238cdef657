"""What glia.insert's fast path reads, in Python (__init__.py) and in C
(_speedups.c): nothing else of glia's."""


class FastPath:
    """The common case alone, under the current preferences: `density`
    maps an asset to the full name of its density mechanism, `point` an
    asset to the maker of its point processes (see _neuron.py), and
    `section_type` is NEURON's Section type once NEURON is loaded. A drop
    replaces the dicts, never clears them: a reader holding the old one
    (C, while NEURON runs) sees a consistent, if dropped, dict."""

    __slots__ = ("density", "point", "section_type")

    def __init__(self):
        self.density = {}
        self.point = {}
        self.section_type = None

    def drop(self):
        self.density = {}
        self.point = {}
