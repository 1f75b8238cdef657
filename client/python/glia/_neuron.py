"""MechAccessor: what glia.insert returns, as in the Python Glia."""

import weakref


class MechAccessor:
    __slots__ = ("_section", "_section_name", "_mod", "_glia", "_pp", "_references")

    def __init__(self, section, mod, glia=None, point_process=None):
        self._section_name = None
        try:
            self._section = weakref.proxy(section)
        except TypeError:  # objects that cannot be weakly referenced
            self._section = section
        self._mod = mod  # the full NEURON name
        self._glia = glia
        self._pp = point_process
        self._references = []

    @property
    def mod_name(self):
        return self._mod

    def __neuron__(self):
        if self._pp is None:
            raise TypeError("A density mechanism is not a NEURON object of its own.")
        return self._pp

    def __ref__(self, other):
        self._references.append(other)

    def __deref__(self, other):
        self._references.remove(other)

    def _sec(self):
        try:
            self._section.name()
        except ReferenceError:
            raise ReferenceError(
                "the section this mechanism was inserted into has been garbage collected"
            ) from None
        return self._section

    def set(self, attribute_or_dict, value=None, /, x=None):
        if value is None and isinstance(attribute_or_dict, dict):
            for k, v in attribute_or_dict.items():
                self.set_parameter(k, v, x)
        else:
            self.set_parameter(attribute_or_dict, value, x)

    def set_parameter(self, param, value, x=None):
        if self._pp is not None:
            setattr(self._pp, param, value)
            return
        sec = self._sec()
        try:
            if x is None:
                setattr(sec, f"{param}_{self._mod}", value)
            else:
                setattr(getattr(sec(x), self._mod), param, value)
        except (AttributeError, NameError, LookupError) as e:
            raise AttributeError(f"'{param}' is not a parameter of {self._mod}: {e}") from None

    def get_parameter(self, param, x=None):
        if self._pp is not None:
            return getattr(self._pp, param)
        sec = self._sec()
        try:
            if x is None:
                x = 0.5
            return getattr(getattr(sec(x), self._mod), param)
        except (AttributeError, NameError, LookupError):
            raise AttributeError(f"Parameter '{param}' does not exist on {self._mod}") from None

    def record(self, param=None, x=0.5):
        """A NEURON Vector recording param (density: through _ref_)."""
        from neuron import h

        v = h.Vector()
        if self._pp is not None:
            v.record(getattr(self._pp, f"_ref_{param or 'i'}"))
        else:
            if param is None:
                raise TypeError("A density mechanism needs .record('param').")
            v.record(getattr(self._sec()(x), f"_ref_{param}_{self._mod}"))
        return v

    @property
    def parameters(self):
        """{name: (default as written in the mod, units)} of its PARAMETER block."""
        if self._glia is None:
            return {}
        return dict(self._glia.parameters(self._mod))

    def __repr__(self):
        kind = "point process" if self._pp is not None else "density mechanism"
        return f"<MechAccessor {kind} {self._mod}>"
