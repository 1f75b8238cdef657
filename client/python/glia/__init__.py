"""
glia: NEURON mechanisms from pip packages, compiled by the gliad daemon.

The Python Glia's API, unchanged: ``glia.insert(section, "Kv1")`` inserts
the mechanism the resolution rules choose; ``glia.select`` and
``glia.context`` state preferences. Importing connects to gliad (starting it
if needed) and registers this environment; the library is loaded into
NEURON on first use, or by ``import glia.library``.
"""

__version__ = "0.1.0"

from ._glia import Glia
from ._neuron import MechAccessor
from .exceptions import *  # noqa: F401,F403
from .exceptions import GliaError

_manager = Glia()
_new_tuple = tuple.__new__  # a MechAccessor without the Python-level __new__ call


def _insert(section, asset, variant=None, pkg=None, /, attributes=None, x=None, **kwargs):
    """
    Insert a mechanism or point process into a Section.

    ``asset`` is resolved into a full NEURON name by the preferences (unless
    it is a full ``glia__`` name or an ``(asset, variant, pkg)`` tuple);
    ``attributes`` are set on the inserted mechanism; ``x`` places a point
    process (default 0.5). ``pkg=`` and ``variant=`` may be given by name
    too, as the Glia README writes them.
    """
    # The common case, a density mechanism resolved before, costs a lookup
    # and NEURON's own insert: glia.insert runs in loops over whole models.
    if variant is None and pkg is None and attributes is None and not kwargs:
        full = _manager._fast.get(asset)
        if full is not None and type(section) is _manager._section_type:
            section.insert(full)
            return _new_tuple(MechAccessor, (section, full, None))
    variant = kwargs.pop("variant", variant)
    pkg = kwargs.pop("pkg", kwargs.pop("package", pkg))
    if kwargs:
        raise TypeError(f"insert() got unexpected keyword arguments {sorted(kwargs)}")
    return _manager.insert(section, asset, variant, pkg, attributes, x)


try:  # the same common case in C, where glia was built with it (meson)
    from _glia_speedups import make_insert as _make_insert
except ImportError:
    insert = _insert
else:
    insert = _make_insert(_manager, MechAccessor, _insert)


def resolve(asset, pkg=None, variant=None):
    """The full NEURON name the preferences choose for an asset."""
    return _manager.resolve(asset, pkg=pkg, variant=variant)


def select(asset, pkg=None, variant=None, *, glbl=False):
    """Prefer a package and/or variant for the rest of the script, the
    Python Glia 4's signature (``glbl=True``: for every script, stored by
    gliad, as `gliactl select` does)."""
    return _manager.select(asset, glbl=glbl, pkg=pkg, variant=variant)


class context:
    """Preferences for the duration of a ``with`` block; nested blocks
    stack, the innermost winning. ``assets`` maps an asset to
    ``{"package": ..., "variant": ...}``."""

    def __init__(self, assets=None, pkg=None, variant=None, package=None):
        self._args = (assets, pkg if pkg is not None else package, variant)

    def __enter__(self):
        _manager.push_context(*self._args)
        return self

    def __exit__(self, *exc):
        _manager.pop_context()
        return False


def load_library():
    """Load the mechanism library into NEURON (once per process)."""
    return _manager.load_library()


def compile():
    """Ask gliad to build now and wait for it."""
    return _manager.compile()


def get_packages():
    """Every Glia package of this environment."""
    return _manager.get_packages()


def package(name):
    """One Glia package by name."""
    return _manager.package(name)


def test_mechanism(mechanism):
    """Check that a mechanism can be used in NEURON; raises LibraryError if not."""
    return _manager.test_mechanism(mechanism)


def __getattr__(name):
    # ``glia.env``: the gliad environment this script uses. Its Python
    # registers as sys.prefix; when gliad serves those site-packages already
    # (a configured environment, say), this is that environment's name.
    if name == "env":
        return _manager._env
    raise AttributeError(f"module 'glia' has no attribute '{name}'")


_manager.connect()
