"""What glia.insert returns, as in the Python Glia.

A density mechanism: a MechAccessor, a tuple (section, full name, None):
glia.insert makes one per call, often ten thousand in a row, and a tuple is
the cheapest object Python makes. The section is held strongly; NEURON
sections cannot be weakly referenced.

A point process: the NEURON object itself, as Glia 0.5 returned it (so
`h.NetCon(stim, syn)` and `syn.tau = 2` work), of a class made once per
mechanism from neuron.hclass(h.<name>) that also carries the MechAccessor
methods of Glia 4 (`isinstance(syn, glia.MechAccessor)`, `.set`,
`.record`, `__neuron__`). A tuple and a hoc object cannot share a base
class, so MechAccessor is an ABC the point process classes register with.
"""

from abc import ABCMeta


class NoSuchParameter(AttributeError, LookupError):
    """An attribute the mechanism does not have: an AttributeError as in
    the Python Glia, and a LookupError as NEURON raises for a hoc object."""


class _Accessor:
    """The MechAccessor methods, on (section, full name, point process or
    None) as _parts gives them."""

    __slots__ = ()

    @property
    def mod_name(self):
        """The full NEURON name."""
        return self._parts()[1]

    def set(self, attribute_or_dict, value=None, /, x=None):
        if value is None and isinstance(attribute_or_dict, dict):
            for k, v in attribute_or_dict.items():
                self.set_parameter(k, v, x)
        else:
            self.set_parameter(attribute_or_dict, value, x)

    def set_parameter(self, param, value, x=None):
        section, mod, pp = self._parts()
        try:
            if pp is not None:
                setattr(pp, param, value)
            elif x is None:
                setattr(section, f"{param}_{mod}", value)
            else:
                setattr(getattr(section(x), mod), param, value)
        except NoSuchParameter:
            raise
        except (AttributeError, NameError, LookupError) as e:
            raise NoSuchParameter(f"'{param}' is not a parameter of {mod}: {e}") from None

    def get_parameter(self, param, x=None):
        section, mod, pp = self._parts()
        try:
            if pp is not None:
                return getattr(pp, param)
            return getattr(getattr(section(0.5 if x is None else x), mod), param)
        except (AttributeError, NameError, LookupError):
            raise NoSuchParameter(f"Parameter '{param}' does not exist on {mod}") from None

    def record(self, param=None, x=0.5):
        """A NEURON Vector recording param (density: through _ref_)."""
        from neuron import h

        section, mod, pp = self._parts()
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

        return dict(_manager.parameters(self.mod_name))


class MechAccessor(tuple, _Accessor, metaclass=ABCMeta):
    __slots__ = ()

    def __new__(cls, section, mod, point_process=None):
        return tuple.__new__(cls, (section, mod, point_process))

    def _parts(self):
        return self

    def __neuron__(self):
        if self[2] is None:
            raise TypeError("A density mechanism is not a NEURON object of its own.")
        return self[2]

    def __repr__(self):
        kind = "point process" if self[2] is not None else "density mechanism"
        return f"<MechAccessor {kind} {self[1]}>"


class PointProcess(_Accessor):
    """The methods a point process class adds to NEURON's own."""

    __slots__ = ()
    _mod = None  # the full name, set on each class
    _new = None  # seg -> a new instance, set on each class

    def _parts(self):
        seg = self.get_segment() if self.has_loc() else None
        return (seg.sec if seg is not None else None), self._mod, self

    def __neuron__(self):
        return self

    def __setattr__(self, name, value):
        # A subclass of a hoc object has a __dict__ that would take a typo
        # (syn.tua = 2) silently: only the mechanism's own names are set.
        if not hasattr(self, name):
            raise NoSuchParameter(f"'{name}' is not a parameter of {self._mod}")
        super().__setattr__(name, value)

    def __repr__(self):
        return f"<MechAccessor point process {self._mod}: {self.hname()}>"


def point_process_class(h, full):
    """A class whose instances are h.<full> point processes and
    MechAccessors; made once per mechanism (see Glia._point_class)."""
    from functools import partial

    from neuron import hclass, hoc

    template = getattr(h, full)
    # PointProcess first: its __setattr__ and __repr__ before hoc's own.
    cls = type(full, (PointProcess, hclass(template)), {"__slots__": (), "_mod": full})
    MechAccessor.register(cls)
    # cls(seg) goes through hclass's __new__ in Python and hoc's __init__,
    # five times the cost of h.<full>(seg); what they do comes to this.
    cls._new = partial(hoc.HocObject.__new__, cls, hocbase=template)
    return cls
