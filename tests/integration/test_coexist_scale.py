"""A site of many packages that reuse the same helper mods, as real models
copy them from one another, generated from a seed: every package has its
own copy of the VERBATIM helper some_helper (a global C function) used by a
sibling mod, a SUFFIX nothing library of its own whose GLOBAL a sibling
reads by its C name, and small mods to fill it; some also use the ion xca
with a valence of their own choosing, define the hoc function shared_fn
another package defines too, or call a C function nothing defines.

Each package works when built alone, but for its mod calling nowhere. In one
library: one library is published; every mod inserts but those the
documented rules leave out (the mod calling nowhere; a package whose
valence or hoc name clashes with a package kept before it, in name order);
each left-out mod is explained by `gliactl log` and by the error its insert
raises; the Python process that inserts them all survives.

GLIA_SCALE_MODS sets the size (default 240 mods: about a minute of
building on two busy cores, most of it compiling).
"""

import json
import os
import random

import pytest

import buildlib as bl
import coexistlib as cx
import pylib

MODS = int(os.environ.get("GLIA_SCALE_MODS", "240"))
SEED = 11
PER_PACKAGE = 8
# Building them: tiny mods take a few tenths of a second each on two busy
# cores; a second a mod bounds it on a machine others load too.
BUILD_TIMEOUT = max(bl.BUILD_TIMEOUT, MODS)

USES_G = """\
NEURON {
    SUFFIX UsesG
    RANGE r
}
ASSIGNED { r }
VERBATIM
extern double G%(i)d;
ENDVERBATIM
INITIAL { r = g() }
FUNCTION g() {
VERBATIM
    _lg = G%(i)d;
ENDVERBATIM
}
"""

LIB = """\
NEURON {
    SUFFIX nothing
    GLOBAL G%(i)d
}
PARAMETER { G%(i)d = %(i)d }
FUNCTION f%(i)d(x) { f%(i)d = x + G%(i)d }
"""

SHARED_FN = "FUNCTION shared_fn(x) { shared_fn = x + %(i)d }\n"


class Package:
    """One generated package: its mods, what its troubles are, and the
    values its mechanisms' r take at INITIAL."""

    def __init__(self, i, rng):
        self.i = i
        self.name = f"scale_p{i:03d}"
        self.trouble = rng.choices(["none", "xca", "shared_fn", "needsext"],
                                   weights=[6, 2, 1, 1])[0]
        self.valence = rng.choice([2, 0]) if self.trouble == "xca" else None
        lib = LIB % {"i": i} + (SHARED_FN % {"i": i} if self.trouble == "shared_fn" else "")
        self.mods = {"mods/Helped__0.mod": cx.HELPED % i, "mods/User__0.mod": cx.USER,
                     "mods/Lib.mod": lib, "mods/UsesG__0.mod": USES_G % {"i": i}}
        self.r = {"Helped": 1.0 + i, "User": 10.0 + i, "UsesG": float(i)}
        if self.trouble == "xca":
            self.mods["mods/Xca__0.mod"] = cx.XCA % self.valence
        if self.trouble == "needsext":
            self.mods["mods/NeedsExt__0.mod"] = cx.NEEDS_EXT
        for k in range(PER_PACKAGE - len(self.mods)):
            self.mods[f"mods/Tiny{k}__0.mod"] = bl.tiny_mod(f"Tiny{k}", value=k)

    def assets(self):
        """(mod path relative to the package, asset name) of its mechanisms."""
        return [(rel, rel[5:].split("__")[0]) for rel in self.mods if rel != "mods/Lib.mod"]


def generate(nmods, seed=SEED):
    rng = random.Random(seed)
    return [Package(i, rng) for i in range((nmods + PER_PACKAGE - 1) // PER_PACKAGE)]


def left_out(pkgs):
    """The documented rule, applied in name order: a package is kept unless
    it clashes with one kept before it. {loser: winner}."""
    lost, first = {}, {}
    for p in pkgs:
        if p.trouble == "xca":
            winner = first.setdefault("xca", p)
            if winner.valence != p.valence:
                lost[p.name] = winner.name
        elif p.trouble == "shared_fn":
            winner = first.setdefault("shared_fn", p)
            if winner is not p:
                lost[p.name] = winner.name
    return lost


@pytest.fixture(scope="module")
def pkgs():
    return generate(MODS)


@pytest.fixture(scope="module")
def site(tmp_path_factory, pkgs):
    return cx.install_site(tmp_path_factory.mktemp("scale"), {p.name: p.mods for p in pkgs})


@pytest.fixture(scope="module")
def d(module_gliad, site):
    return module_gliad({"default": [site]})


@pytest.fixture(scope="module")
def res(d):
    return bl.library(d, timeout=BUILD_TIMEOUT)


def test_the_generator_makes_every_trouble(pkgs):
    """The seed gives each kind of trouble, both valences and a clash of
    each kind; the same seed the same site."""
    assert len({(p.trouble, p.valence) for p in pkgs}) == 5
    assert set(left_out(pkgs)) & {p.name for p in pkgs if p.trouble == "xca"}
    assert set(left_out(pkgs)) & {p.name for p in pkgs if p.trouble == "shared_fn"}
    assert [p.mods for p in generate(MODS)] == [p.mods for p in pkgs]
    assert sum(len(p.mods) for p in pkgs) >= MODS


def test_one_library_of_every_mod_not_left_out(pkgs, res):
    lost = left_out(pkgs)
    want = [cx.full(p.name, asset) for p in pkgs if p.name not in lost
            for _, asset in p.assets() if asset != "NeedsExt"]
    want += [cx.full(p.name, "Lib") for p in pkgs if p.name not in lost]
    assert res["status"] == "ready" and res["last_build"]["ok"], res
    assert sorted(res["names"]) == sorted(want)
    needsext = sum(p.trouble == "needsext" for p in pkgs)
    assert res["failed"] == needsext + sum(len(p.mods) for p in pkgs if p.name in lost)


def test_each_left_out_mod_is_explained_by_the_log(d, pkgs, site, res):
    lost = left_out(pkgs)
    for p in pkgs:
        if p.name not in lost and p.trouble != "needsext":
            continue
        log = bl.ctl(d, "log", p.name).out
        if p.trouble == "needsext":
            path = site / p.name / "mods/NeedsExt__0.mod"
            assert f"{path}: link: calls f_defined_nowhere, which no mod of package " \
                   f"{p.name} and no NEURON library defines" in log, log
        else:
            assert f"NEURON cannot load package {p.name} together with package " \
                   f"{lost[p.name]}" in log, log
            assert f"{lost[p.name]} is kept and {p.name} left out" in log, log


def test_every_mod_inserts_or_says_why_and_python_survives(d, pkgs, res, tmp_path):
    lost = left_out(pkgs)
    wanted = [[p.name, asset] for p in pkgs for _, asset in p.assets()]
    py = pylib.Py(bl.NEURON_PYTHON, d.socket, tmp_path)
    r = py.ok("""
        import json
        from neuron import h
        import glia
        glia.load_library()
        soma = h.Section(name="soma")
        inserted, errors = [], {}
        for pkg, asset in json.loads(%r):
            try:
                glia.insert(soma, asset, pkg=pkg)
                inserted.append(pkg + "." + asset)
            except glia.GliaError as e:
                errors[pkg + "." + asset] = type(e).__name__ + ": " + str(e)
        h.finitialize(-65)
        r = {}
        for key in inserted:
            pkg, asset = key.split(".")
            name = "glia__%%s__%%s__0" %% (pkg, asset)
            if hasattr(soma(0.5), "r_" + name):
                r[key] = getattr(soma(0.5), "r_" + name)
        f = {pkg: getattr(h, "f" + str(int(pkg[-3:])))(1) for pkg, _ in json.loads(%r)}
        out(inserted=inserted, errors=errors, r=r, f=f)
        """ % (json.dumps(wanted), json.dumps([[p.name, 0] for p in pkgs
                                                if p.name not in lost])))
    good = [f"{p.name}.{a}" for p in pkgs if p.name not in lost
            for _, a in p.assets() if a != "NeedsExt"]
    assert sorted(r["inserted"]) == sorted(good)
    for p in pkgs:
        for _, asset in p.assets():
            key = f"{p.name}.{asset}"
            if p.name in lost:
                err = r["errors"][key]
                assert err.startswith("CompileError:") and \
                    f"together with package {lost[p.name]}" in err, err
            elif asset == "NeedsExt":
                err = r["errors"][key]
                assert err.startswith("CompileError:") and "f_defined_nowhere" in err, err
            elif asset in p.r:
                assert r["r"][key] == p.r[asset], key
    assert r["f"] == {p.name: 1.0 + p.i for p in pkgs if p.name not in lost}
    assert len(r["errors"]) == sum(len(p.assets()) for p in pkgs if p.name in lost) + \
        sum(p.trouble == "needsext" for p in pkgs)
