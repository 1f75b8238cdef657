"""Packages that work alone work together: one package's quirks never take
the others down. Every class of trouble real models' mods bring is here,
all of them installed in one environment:

  - two packages whose VERBATIM code defines the same non-static C helper
    (each package sees its own; a sibling mod of the package uses it too);
  - a mod calling a C function that nothing defines (left out, named, and
    its sibling still loads);
  - one custom ion with two valences in two packages (NEURON refuses the
    pair: the package whose name sorts first stays, the other is left out
    with NEURON's words);
  - `SUFFIX nothing` libraries: their FUNCTIONs, PROCEDUREs and GLOBALs keep
    their names, for hoc and for the package's other mods (a THREADSAFE one
    calling its own PROCEDURE from VERBATIM compiles as it does classically);
    a second package defining the same hoc function is left out;
  - a plain leak.

One library is published, every good mod inserts, each left-out one is
explained by `gliactl log` and by the error its insert raises, and the
Python process that loads the library survives.
"""

import pytest

import buildlib as bl
import coexistlib as cx
import glia_testlib as lib
import pylib

LIB = """\
NEURON {
    SUFFIX nothing
    GLOBAL BASE
    THREADSAFE
}
PARAMETER { BASE = 5 }
FUNCTION twice(x) { twice = 2 * x }
PROCEDURE bump(i) { BASE = BASE + i }
PROCEDURE bump_from_c() {
VERBATIM
    bump(1.0);
ENDVERBATIM
}
"""

# A sibling reading the library's GLOBAL by its C name.
USES_BASE = """\
NEURON {
    SUFFIX UsesBase
    RANGE r
}
ASSIGNED { r }
VERBATIM
extern double BASE;
ENDVERBATIM
INITIAL { r = base() }
FUNCTION base() {
VERBATIM
    _lbase = BASE;
ENDVERBATIM
}
"""

RIVAL_LIB = """\
NEURON { SUFFIX nothing }
FUNCTION twice(x) { twice = 3 * x }
"""

PACKAGES = {
    "coexist_helper_a": {"mods/Helped__0.mod": cx.HELPED % 1, "mods/User__0.mod": cx.USER},
    "coexist_helper_b": {"mods/Helped__0.mod": cx.HELPED % 2},
    "coexist_ion_a": {"mods/Xca__0.mod": cx.XCA % 2},
    "coexist_ion_b": {"mods/Xca__0.mod": cx.XCA % 0},
    "coexist_leak": {"mods/Leak__0.mod": bl.tiny_mod("Leak")},
    "coexist_lib": {"mods/Lib.mod": LIB, "mods/UsesBase__0.mod": USES_BASE},
    "coexist_lib_rival": {"mods/Twice.mod": RIVAL_LIB},
    "coexist_needsext": {"mods/NeedsExt__0.mod": cx.NEEDS_EXT,
                         "mods/Fine__0.mod": bl.tiny_mod("Fine")},
}


GOOD = [cx.full("coexist_helper_a", "Helped"), cx.full("coexist_helper_a", "User"),
        cx.full("coexist_helper_b", "Helped"), cx.full("coexist_ion_a", "Xca"),
        cx.full("coexist_leak", "Leak"), cx.full("coexist_lib", "UsesBase"),
        cx.full("coexist_needsext", "Fine")]
LIBRARY = cx.full("coexist_lib", "Lib")  # registers no mechanism


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return cx.install_site(tmp_path_factory.mktemp("coexist"), PACKAGES)


@pytest.fixture(scope="module")
def d(module_gliad, site):
    return module_gliad({"default": [site]})


@pytest.fixture(scope="module")
def res(d):
    return bl.library(d)


def test_one_library_holds_every_good_mod(res):
    assert res["status"] == "ready" and res["last_build"]["ok"], res
    assert sorted(res["names"]) == sorted(GOOD + [LIBRARY])
    assert res["failed"] == 3
    r = bl.use_all(res["path"])
    assert sorted(r["added"]) == sorted(GOOD)
    assert set(r["used"].values()) == {"ok"}, r["used"]


def test_status_says_the_library_is_incomplete_and_why(d, res):
    assert "library: generation 1 (direct backend), incomplete: 3 mods left out (0 failed to " \
        "build, 1 to link, 2 refused by NEURON at load); gliactl " \
        "log says why" in bl.ctl(d, "status").out


def test_each_package_sees_its_own_helper(res):
    got = bl.neuron(cx.INIT_R + "    result(r)\n", lib=res["path"], names=GOOD[:3])
    assert got == {GOOD[0]: 2.0, GOOD[1]: 11.0, GOOD[2]: 3.0}


def test_library_mods_keep_their_names(d, res):
    got = bl.neuron("""
        load(ARGS["lib"])
        soma = h.Section(name="soma")
        soma.insert(ARGS["uses"])
        h.finitialize(-65)
        r = getattr(soma(0.5), "r_" + ARGS["uses"])
        h.bump_from_c()
        result({"twice": h.twice(2), "r": r, "BASE": h.BASE})
        """, lib=res["path"], uses=cx.full("coexist_lib", "UsesBase"))
    assert got == {"twice": 4.0, "r": 5.0, "BASE": 6.0}
    # Listed with its package, not an asset.
    show = bl.ctl(d, "show-package", "coexist_lib")
    assert "Lib" in show.out and "library" in show.out, show
    assert "mods/Lib.mod provides the global hoc names twice, bump, bump_from_c, BASE" \
        in show.out, show
    assert bl.ctl(d, "resolve", "Lib").rc == 1


def test_a_hoc_name_defined_twice_leaves_out_the_later_package(d, res, site):
    path = site / "coexist_lib_rival/mods/Twice.mod"
    log = bl.ctl(d, "log", "coexist_lib_rival")
    assert f"{path}: load: NEURON cannot load package coexist_lib_rival together with " \
        f"package coexist_lib (NEURON: The user defined name already exists: twice); " \
        f"coexist_lib is kept" in log.out, log


def test_only_registration_leaves_a_package(res):
    """The library exports the mechanisms' registration functions (and
    modl_reg), not the helpers: a package's globals stay its own."""
    out = lib.run_checked(["nm", "-D", "--defined-only", res["path"]]).stdout
    exported = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert "some_helper" not in exported
    assert {f"_{n}_reg" for n in GOOD} | {"modl_reg"} <= exported


def test_a_call_to_nowhere_leaves_out_that_mod_alone(d, res, site):
    path = site / "coexist_needsext/mods/NeedsExt__0.mod"
    want = (f"{path}: link: calls f_defined_nowhere, which no mod of package coexist_needsext "
            f"and no NEURON library defines")
    assert cx.full("coexist_needsext", "Fine") in res["names"]
    log = bl.ctl(d, "log", "coexist_needsext")
    assert want in log.out, log
    r = bl.ctl(d, "resolve", "NeedsExt")
    assert r.rc == 1 and want in r.err, r


def test_two_valences_of_one_ion_leave_out_the_later_package(d, res, site):
    path = site / "coexist_ion_b/mods/Xca__0.mod"
    log = bl.ctl(d, "log", "coexist_ion_b")
    assert f"{path}: load: NEURON cannot load package coexist_ion_b together with package " \
        f"coexist_ion_a (NEURON: xca_ion ion charge defined differently in two USEION " \
        f"statements (0 and 2)); coexist_ion_a is kept and coexist_ion_b left out. To keep " \
        f"coexist_ion_b instead: gliactl select Xca --pkg=coexist_ion_b, then gliactl build" \
        in log.out, log
    r = bl.ctl(d, "resolve", "Xca", "--pkg", "coexist_ion_b")
    assert r.rc == 1 and "coexist_ion_b" in r.err and "charge" in r.err, r
    assert bl.ctl(d, "resolve", "Xca", "--pkg", "coexist_ion_a").rc == 0


def test_python_survives_and_explains(d, res, tmp_path):
    py = pylib.Py(bl.NEURON_PYTHON, d.socket, tmp_path)
    try:
        r = py.ok("""
            from neuron import h
            import glia
            glia.load_library()
            soma = h.Section(name="soma")
            inserted, errors = [], {}
            for pkg, asset in [("coexist_helper_a", "Helped"), ("coexist_helper_b", "Helped"),
                               ("coexist_ion_a", "Xca"), ("coexist_leak", "Leak"),
                               ("coexist_lib", "UsesBase"),
                               ("coexist_needsext", "Fine"), ("coexist_needsext", "NeedsExt"),
                               ("coexist_ion_b", "Xca")]:
                try:
                    glia.insert(soma, asset, pkg=pkg)
                    inserted.append(pkg + "." + asset)
                except glia.GliaError as e:
                    errors[pkg + "." + asset] = type(e).__name__ + ": " + str(e)
            h.finitialize(-65)
            lib = {m.asset_name: [m.is_point_process, m.is_artificial_cell]
                   for m in glia.package("coexist_lib").mods}
            out(inserted=inserted, errors=errors, twice=h.twice(2), lib=lib)
            """)
    finally:
        py.close()
    assert r["inserted"] == ["coexist_helper_a.Helped", "coexist_helper_b.Helped",
                             "coexist_ion_a.Xca", "coexist_leak.Leak", "coexist_lib.UsesBase",
                             "coexist_needsext.Fine"]
    assert r["twice"] == 4.0
    assert r["lib"] == {"Lib": [False, False], "UsesBase": [False, False]}
    errs = r["errors"]
    assert errs["coexist_needsext.NeedsExt"].startswith("CompileError:")
    assert "f_defined_nowhere" in errs["coexist_needsext.NeedsExt"]
    assert errs["coexist_ion_b.Xca"].startswith("CompileError:")
    assert "charge defined differently" in errs["coexist_ion_b.Xca"]
    assert "together with package coexist_ion_a" in errs["coexist_ion_b.Xca"]
    assert "gliactl select Xca --pkg=coexist_ion_b" in errs["coexist_ion_b.Xca"]


def ion_site(tmp_path):
    """A site of the two packages that disagree on xca's valence."""
    return cx.install_site(tmp_path, {name: PACKAGES[name]
                                      for name in ("coexist_ion_a", "coexist_ion_b")})


def test_nrnivmodl_backend_publishes_nothing_neuron_refuses(gliad, tmp_path):
    """nrnivmodl links all or nothing: a library NEURON refuses is not
    published, and the build says why in NEURON's words."""
    base = gliad.base()
    d = gliad(config_text=bl.config_text(base, {"default": [ion_site(tmp_path)]}, sections={
        "env:default": {"backend": "nrnivmodl"}}), base=base)
    res = bl.library(d)
    assert res["status"] == "failed" and res["path"] is None, res
    err = res["last_build"]["error"]
    assert err.startswith("NEURON cannot load the library nrnivmodl made, so it is not "
                          "published"), err
    assert "charge defined differently" in err, err


def test_a_preference_chooses_the_other_side(gliad, tmp_path):
    """A global preference for the package that lost puts it first: at the
    next build it stays and the other is left out."""
    d = gliad({"default": [ion_site(tmp_path)]})
    a, b = cx.full("coexist_ion_a", "Xca"), cx.full("coexist_ion_b", "Xca")
    assert bl.library(d)["names"] == [a]
    assert bl.ctl(d, "select", "Xca", "--pkg=coexist_ion_b").rc == 0
    assert bl.ctl(d, "build").rc == 0
    res = bl.library(d)
    assert res["names"] == [b], res
    # The same conflict again: the same library, no new generation.
    assert bl.ctl(d, "build").rc == 0
    again = bl.library(d)
    assert (again["generation"], again["last_build"]["unchanged"]) == (res["generation"], True)
    log = bl.ctl(d, "log", "coexist_ion_a").out
    assert "NEURON cannot load package coexist_ion_a together with package coexist_ion_b" in log
    assert bl.use_all(res["path"])["used"] == {b: "ok"}


def many_packages():
    """Ten packages each with its own copy of the helper (returning x + i)
    and a SUFFIX nothing library of its own hoc names; 03 and 07 both define
    the hoc function shared_fn, 02, 05 and 08 use xca with valences 2, 0 and
    2, 06 also ships a mod calling a function nothing defines, and 09 two mods
    defining the same helper."""
    pkgs = {}
    for i in range(10):
        shared = "FUNCTION shared_fn(x) { shared_fn = x }\n" if i in (3, 7) else ""
        mods = {"mods/Helped__0.mod": cx.HELPED % i,
                "mods/Lib.mod": f"NEURON {{ SUFFIX nothing GLOBAL G{i} }}\n"
                                f"PARAMETER {{ G{i} = {i} }}\n"
                                f"FUNCTION f{i}(x) {{ f{i} = x + G{i} }}\n{shared}"}
        if i in (2, 5, 8):
            mods["mods/Xca__0.mod"] = cx.XCA % (0 if i == 5 else 2)
        if i == 6:
            mods["mods/NeedsExt__0.mod"] = cx.NEEDS_EXT
        if i == 9:  # a second definition of its helper: the package does not link
            mods["mods/Again__0.mod"] = cx.HELPED.replace("Helped", "Again") % i
        pkgs[f"coexist_many_{i:02d}"] = mods
    return pkgs


def test_many_packages_with_several_conflicts(gliad, tmp_path):
    pkgs = many_packages()
    target = cx.install_site(tmp_path, pkgs)
    d = gliad({"default": [target]})
    res = bl.library(d)
    lost = {"coexist_many_05": "coexist_many_02", "coexist_many_07": "coexist_many_03"}
    kept = [p for p in pkgs if p not in lost and p != "coexist_many_09"]
    helped = [cx.full(p, "Helped") for p in kept]
    want = helped + [cx.full(p, "Lib") for p in kept] + [cx.full(p, "Xca") for p in
                                                      ("coexist_many_02", "coexist_many_08")]
    assert sorted(res["names"]) == sorted(want), res
    assert res["failed"] == 1 + sum(len(pkgs[p]) for p in [*lost, "coexist_many_09"])
    log = bl.ctl(d, "log", "coexist_many_09").out
    mods = target / "coexist_many_09/mods"
    assert f"{mods / 'Again__0.mod'}: link: package coexist_many_09's mods do not link " \
        f"together" in log, log
    assert "multiple definition of `some_helper'" in log and str(mods / "Helped__0.mod") in log
    assert "/objects/" not in log, log  # the user's files, not the cache's
    for loser, winner in lost.items():
        log = bl.ctl(d, "log", loser).out
        assert f"NEURON cannot load package {loser} together with package {winner}" in log, log
    assert "calls f_defined_nowhere" in bl.ctl(d, "log", "coexist_many_06").out
    got = bl.neuron(cx.INIT_R + """
    result({"r": [r[n] for n in ARGS["names"]], "shared": h.shared_fn(7),
            "f": [getattr(h, "f%d" % i)(1) for i in ARGS["libs"]]})
    """, lib=res["path"], names=helped, libs=[int(p[-2:]) for p in kept])
    assert got["r"] == [1.0 + int(p[-2:]) for p in kept]
    assert got["f"] == [1.0 + int(p[-2:]) for p in kept]
    assert got["shared"] == 7.0
