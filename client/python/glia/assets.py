"""glia.Package and glia.Mod: Glia 4's description of a package.

A Glia 4 package's __init__.py declares itself with them
(`package = Package("x", Path(__file__).parent, mods=[Mod("mods/Na__0.mod",
"Na")])`), so importing one needs them, and tools read `package.mods`.
They only describe: gliad scans packages (without importing them) and
builds them. glia.get_packages() and glia.package() answer with the same
classes, filled in from what gliad found.
"""

import os


class _ModList(list):
    """Package.mods: each Mod added knows its package."""

    def __init__(self, package, mods=()):
        super().__init__(mods)
        self.pkg = package
        for mod in self:
            _adopt(package, mod)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        for mod in value if isinstance(key, slice) else [value]:
            _adopt(self.pkg, mod)

    def append(self, mod):
        super().append(_adopt(self.pkg, mod))

    def extend(self, mods):
        super().extend(_adopt(self.pkg, m) for m in mods)

    def insert(self, i, mod):
        super().insert(i, _adopt(self.pkg, mod))


def _adopt(package, mod):
    if not isinstance(mod, Mod):
        from .exceptions import PackageError

        raise PackageError(f"Package mod '{mod}' is not a glia.Mod")
    mod.set_package(package)
    return mod


class Package:
    def __init__(self, name, root, *, mods=None, builtin=False):
        from pathlib import Path  # here: glia's import should not pay for it

        self._name = name
        self._root = Path(root) if root is not None else None
        self.mods = _ModList(self, mods or ())
        self.builtin = builtin  # NEURON's own: names, but no mod files
        self.version = None
        self.layout = None

    @property
    def name(self):
        return self._name

    @property
    def root(self):
        """The package's directory (its module's)."""
        return self._root

    path = root  # Glia 0.5's name for it

    def get_mods(self, dialect=None):
        """The mods for NEURON (dialect None) or for a dialect: common mods,
        overridden by the dialect's own."""
        mods = {m.mod_name: m for m in self.mods if m.dialect is None}
        if dialect:
            mods.update((m.mod_name, m) for m in self.mods if m.dialect == dialect)
        return list(mods.values())

    @classmethod
    def _from_gliad(cls, info, fetch=None):
        """What gliad's `package` answer says of one package; from a
        `packages` answer (no mechanisms listed), `fetch()` gives the
        `package` answer when .mods is first read."""
        pkg = cls(info["name"], info.get("root"), builtin=info["name"] == "NEURON")
        pkg.version = info.get("version")
        pkg.layout = info.get("layout")
        if "mechanisms" in info:
            pkg.mods.extend(Mod._from_gliad(m) for m in info["mechanisms"])
        elif fetch is not None:
            del pkg.mods
            pkg._fetch = fetch
        return pkg

    def __getattr__(self, name):
        fetch = self.__dict__.get("_fetch")
        if name != "mods" or fetch is None:
            raise AttributeError(f"'Package' object has no attribute '{name}'")
        del self._fetch
        mechs = fetch().get("mechanisms") or ()
        self.mods = _ModList(self, (Mod._from_gliad(m) for m in mechs))
        return self.mods

    def __repr__(self):
        return f"<Package {self.name} {self.version or ''}>".replace(" >", ">")


class Mod:
    def __init__(self, relpath, asset_name, *, variant="0", is_point_process=False,
                 is_artificial_cell=False, dialect=None, builtin=False):
        self._pkg = None
        self.relpath = relpath
        self.asset_name = asset_name
        self.variant = variant
        self.is_point_process = is_point_process
        self.is_artificial_cell = is_artificial_cell
        self.dialect = dialect
        self.builtin = builtin
        self._full = None  # the NEURON name gliad reported, when it did

    def set_package(self, package):
        self._pkg = package

    @property
    def pkg(self):
        return self._pkg

    @property
    def pkg_name(self):
        return self._pkg.name if self._pkg is not None else None

    @property
    def mech_id(self):
        return (self.asset_name, self.variant, self.pkg_name)

    @property
    def mod_name(self):
        """The full NEURON name: glia__<pkg>__<asset>__<variant>."""
        if self._full is not None:
            return self._full
        if self.builtin:
            return self.asset_name
        return f"glia__{self.pkg_name}__{self.asset_name}__{self.variant}"

    @property
    def path(self):
        """The mod file (None when its package or file is not known). A
        bundle's mods are named by an absolute path (no package root)."""
        from pathlib import Path

        root = self._pkg.root if self._pkg is not None else None
        if self.relpath is not None and os.path.isabs(self.relpath):
            return Path(self.relpath)
        if root is None or self.relpath is None:
            return None
        return root / self.relpath

    @classmethod
    def _from_gliad(cls, m):
        mod = cls(m.get("file"), m["asset"], variant=m["variant"],
                  # "library" (SUFFIX nothing) is neither: it has no mechanism.
                  is_point_process=m["kind"] in ("point", "artificial"),
                  is_artificial_cell=m["kind"] == "artificial",
                  builtin=m.get("pkg") == "NEURON")
        mod._full = m["full"]
        return mod

    def __repr__(self):
        return f"<Mod {self.mod_name}>"
