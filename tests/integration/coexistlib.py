"""What the tests of packages coexisting in one library share: mods that
bring real models' troubles in their smallest form, and a site of packages
made of them."""

import glia_testlib as lib


# A mechanism whose INITIAL stores helper(1) in r; the helper is a global
# C function of the package's own VERBATIM code, returning x + `add`.
HELPED = """\
NEURON {
    SUFFIX Helped
    RANGE r
}
ASSIGNED { r }
VERBATIM
double some_helper(double x) { return x + %d; }
ENDVERBATIM
INITIAL { r = viahelper(1) }
FUNCTION viahelper(x) {
VERBATIM
    _lviahelper = some_helper(_lx);
ENDVERBATIM
}
"""

# A sibling in the same package calling that helper from its own VERBATIM.
USER = """\
NEURON {
    SUFFIX User
    RANGE r
}
ASSIGNED { r }
VERBATIM
extern double some_helper(double);
ENDVERBATIM
INITIAL { r = viahelper(10) }
FUNCTION viahelper(x) {
VERBATIM
    _lviahelper = some_helper(_lx);
ENDVERBATIM
}
"""

NEEDS_EXT = """\
NEURON {
    SUFFIX NeedsExt
    RANGE r
}
ASSIGNED { r }
VERBATIM
extern double f_defined_nowhere(double);
ENDVERBATIM
INITIAL { r = ext(1) }
FUNCTION ext(x) {
VERBATIM
    _lext = f_defined_nowhere(_lx);
ENDVERBATIM
}
"""

XCA = """\
NEURON {
    SUFFIX Xca
    USEION xca READ xcai VALENCE %d
    RANGE r
}
ASSIGNED { r  xcai (mM) }
INITIAL { r = xcai }
"""


def full(pkg, asset, variant="0"):
    """The mechanism name gliad gives an asset of a Glia 4 package."""
    return f"glia__{pkg}__{asset}__{variant}"


def install_site(root, packages):
    """packages ({name: {path: text}}, as lib.write_package takes) written
    under root/src and pip-installed into the site dir root/site, returned."""
    srcs = [lib.write_package(root / "src", name, mods) for name, mods in packages.items()]
    target = root / "site"
    lib.Venv(root / "venv", with_pip=False).install_target(target, *srcs)
    return target


# In a fresh NEURON: the library loaded, ARGS["names"] inserted in one
# section and initialized; r maps each to its RANGE r. Scripts add a result.
INIT_R = """
    load(ARGS["lib"])
    soma = h.Section(name="soma")
    for name in ARGS["names"]:
        soma.insert(name)
    h.finitialize(-65)
    r = {n: getattr(soma(0.5), "r_" + n) for n in ARGS["names"]}
"""
