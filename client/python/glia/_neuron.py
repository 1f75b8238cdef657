"""MechAccessor: what glia.insert returns, as in the Python Glia.

A tuple (section, full name, point process or None): glia.insert makes one
per call, often ten thousand in a row, and a tuple is the cheapest object
Python makes. The section is held strongly; NEURON sections cannot be
weakly referenced.
"""


class MechAccessor(tuple):
    __slots__ = ()

    def __new__(cls, section, mod, point_process=None):
        return tuple.__new__(cls, (section, mod, point_process))

    @property
    def mod_name(self):
        """The full NEURON name."""
        return self[1]

    def __neuron__(self):
        if self[2] is None:
            raise TypeError("A density mechanism is not a NEURON object of its own.")
        return self[2]

    def set(self, attribute_or_dict, value=None, /, x=None):
        if value is None and isinstance(attribute_or_dict, dict):
            for k, v in attribute_or_dict.items():
                self.set_parameter(k, v, x)
        else:
            self.set_parameter(attribute_or_dict, value, x)

    def set_parameter(self, param, value, x=None):
        section, mod, pp = self
        if pp is not None:
            setattr(pp, param, value)
            return
        try:
            if x is None:
                setattr(section, f"{param}_{mod}", value)
            else:
                setattr(getattr(section(x), mod), param, value)
        except (AttributeError, NameError, LookupError) as e:
            raise AttributeError(f"'{param}' is not a parameter of {mod}: {e}") from None

    def get_parameter(self, param, x=None):
        section, mod, pp = self
        if pp is not None:
            return getattr(pp, param)
        try:
            return getattr(getattr(section(0.5 if x is None else x), mod), param)
        except (AttributeError, NameError, LookupError):
            raise AttributeError(f"Parameter '{param}' does not exist on {mod}") from None

    def record(self, param=None, x=0.5):
        """A NEURON Vector recording param (density: through _ref_)."""
        from neuron import h

        section, mod, pp = self
        v = h.Vector()
        if pp is not None:
            v.record(getattr(pp, f"_ref_{param or 'i'}"))
        elif param is None:
            raise TypeError("A density mechanism needs .record('param').")
        else:
            v.record(getattr(section(x), f"_ref_{param}_{mod}"))
        return v

    @property
    def parameters(self):
        """{name: (default as written in the mod, units)} of its PARAMETER block."""
        from . import _manager

        return dict(_manager.parameters(self[1]))

    def __repr__(self):
        kind = "point process" if self[2] is not None else "density mechanism"
        return f"<MechAccessor {kind} {self[1]}>"
