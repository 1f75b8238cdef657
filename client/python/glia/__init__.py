"""
glia: NEURON mechanisms from pip packages, compiled by the gliad daemon.

The Python Glia's API, unchanged: ``glia.insert(section, "Kv1")`` inserts
the mechanism the resolution rules choose; ``glia.select`` and
``glia.context`` state preferences. The first call connects to gliad
(starting it if needed) and registers this environment, so importing glia
(as every Glia 4 package does, for ``glia.Package`` and ``glia.Mod``) costs
no round trip; the first insert or resolve chooses the library and loads
into NEURON the part of it (one package's) that registers the mechanism,
``import glia.library`` (or ``glia.load_library()``) every part. ``GLIA_NOLOAD=1`` leaves loading it to the program,
``GLIA_NOCOMPILE=1`` takes the library as built, without waiting for a build.
"""

__version__ = "0.1.0"


def _build_dirs():
    """Run from a source tree (PYTHONPATH=client/python:BUILD/client/python),
    the C speedups are in the build's own glia/ dir: a dir of that name on
    sys.path without an __init__.py only completes this package, as
    pkgutil.extend_path would add it (without pkgutil's import cost)."""
    import os
    import sys

    for d in sys.path:
        p = os.path.join(d or ".", __name__)
        if p not in __path__ and os.path.isdir(p) and not os.path.exists(os.path.join(p, "__init__.py")):
            __path__.append(p)


_build_dirs()

from ._glia import Glia  # noqa: E402
from ._neuron import MechAccessor  # noqa: E402
from .exceptions import *  # noqa: F401,F403,E402
from .exceptions import GliaError  # noqa: E402

_manager = Glia()
_fast = _manager.fast
_new_tuple = tuple.__new__  # a MechAccessor without the Python-level __new__ call


def _insert(section, asset, *args, attributes=None, x=None, **kwargs):
    """
    Insert a mechanism or point process into a Section.

    Both the Python Glia's signatures: Glia 0.5's ``insert(section, asset,
    attributes=None, pkg=None, variant=None, x=0.5)`` and Glia 4's
    ``insert(section, asset, variant=None, pkg=None, /, attributes=None,
    x=None)``; a mapping in third place is attributes, a string a variant.
    ``asset`` is resolved into a full NEURON name by the preferences (unless
    it is a full ``glia__`` name or an ``(asset, variant, pkg)`` tuple);
    ``attributes`` are set on the inserted mechanism; ``x`` places a point
    process (default 0.5). A density mechanism gives a MechAccessor; a
    point process is the NEURON object, and a MechAccessor too.
    """
    # The common case, a density mechanism resolved before, costs a lookup
    # and NEURON's own insert: glia.insert runs in loops over whole models.
    if not args and attributes is None and not kwargs:
        full = _fast.density.get(asset)
        if full is not None and type(section) is _fast.section_type:
            section.insert(full)
            return _new_tuple(MechAccessor, (section, full, None))
        # A point process resolved before: its class's maker.
        new = _fast.point.get(asset)
        if new is not None and type(section) is _fast.section_type:
            return new(section(0.5 if x is None else x))
    variant, pkg, attributes, x = _insert_args(args, kwargs, attributes, x)
    return _manager.insert(section, asset, variant, pkg, attributes, x)


def _insert_args(args, kwargs, attributes, x):
    """(variant, pkg, attributes, x) of either signature."""
    variant = pkg = None
    if args and isinstance(args[0], str):  # Glia 4: variant, pkg
        if len(args) > 2:
            raise TypeError("insert() takes at most 4 positional arguments "
                            "when the third is a variant")
        variant, pkg = (args + (None,))[:2]
    elif args:  # Glia 0.5: attributes, pkg, variant, x
        if len(args) > 4:
            raise TypeError(f"insert() takes at most 6 positional arguments ({len(args) + 2} given)")
        if attributes is not None and args[0] is not None:
            raise TypeError("insert() got multiple values for argument 'attributes'")
        given = args + (None,) * (4 - len(args))
        attributes = given[0] if given[0] is not None else attributes
        pkg, variant = given[1], given[2]
        if given[3] is not None:
            x = given[3]
    for name in ("variant", "pkg", "package"):
        if name in kwargs:
            value = kwargs.pop(name)
            if (pkg if name != "variant" else variant) is not None:
                raise TypeError(f"insert() got multiple values for argument '{name}'")
            if name == "variant":
                variant = value
            else:
                pkg = value
    if kwargs:
        raise TypeError(f"insert() got unexpected keyword arguments {sorted(kwargs)}")
    return variant, pkg, attributes, x


try:  # the same common case in C, where glia was built with it (meson)
    from ._speedups import make_insert as _make_insert
except ImportError:
    insert = _insert
else:
    insert = _make_insert(_fast, MechAccessor, _insert)


def resolve(asset, pkg=None, variant=None):
    """The full NEURON name the preferences choose for an asset: a name, a
    full ``glia__`` name or an ``(asset, variant, pkg)`` tuple."""
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
    """Load every mechanism of the library into NEURON (once per process),
    for hoc code that names them itself; glia.insert loads what it needs."""
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


def use_bundle(directory):
    """Serve glia from a bundle made by `gliactl bundle DIR` (as GLIA_BUNDLE=DIR
    does): no gliad is asked. Before the first insert. Returns its manifest."""
    from . import _bundle

    return _bundle.switch(_manager, directory)


def library_manifest():
    """The manifest of the library this script uses (docs/bundle.md): store
    it beside a model's results."""
    from . import _bundle

    return _bundle.library_manifest(_manager)


def __getattr__(name):
    # ``glia.env``: the gliad environment this script uses. Its Python
    # registers as sys.prefix; when gliad serves those site-packages already
    # (a configured environment, say), this is that environment's name.
    if name == "env":
        _manager.connect()
        return _manager.env
    # glia.Package and glia.Mod, imported when first asked for: a Glia 4
    # package's __init__ needs them, a script seldom does.
    if name in ("Package", "Mod"):
        from . import assets

        return getattr(assets, name)
    raise AttributeError(f"module 'glia' has no attribute '{name}'")
