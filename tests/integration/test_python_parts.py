"""Load what is used, from Python: where gliad lists its library's parts
(one shared object per package, `library {parts: true}`), a script loads
into NEURON only the part registering a mechanism it resolves or inserts;
glia.load_library() loads the rest, never the whole library after a part
(NEURON would register those mechanisms twice); and the generation the
process chose at its first insert stays the one whose parts it loads.

Only a gliad that lists parts can show this: with one that does not (the
nrnivmodl backend, a gliad before parts) these tests skip, and the module
loads the whole library as before (test_python_api.py covers that).
"""

import textwrap
from pathlib import Path

import pytest

import buildlib as bl
import coexistlib as cx
import pylib

SYN = """\
NEURON {
    POINT_PROCESS BSyn
    RANGE tau
    NONSPECIFIC_CURRENT i
}
PARAMETER { tau = 1 }
ASSIGNED { i }
BREAKPOINT { i = 0 }
"""

PACKAGES = {
    "parts_py_a": {"mods/ALeak__0.mod": bl.tiny_mod("ALeak")},
    "parts_py_b": {"mods/BLeak__0.mod": bl.tiny_mod("BLeak"), "mods/BSyn__0.mod": SYN},
}
A = cx.full("parts_py_a", "ALeak")
B = cx.full("parts_py_b", "BLeak")
BSYN = cx.full("parts_py_b", "BSyn")

# What NEURON has registered, without inserting anything glia could see;
# and which shared objects of gliad's cache this process mapped.
PROBES = f'''
from neuron import h
A, B, BSYN = {A!r}, {B!r}, {BSYN!r}
def registered():
    mt, name, got = h.MechanismType(0), h.ref(""), set()
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(name)
        got.add(name[0])
    return {{"A": A in got, "B": B in got, "BSyn": hasattr(h, BSYN)}}
def mapped(cache):
    with open("/proc/self/maps") as f:
        return sorted({{l.split()[-1] for l in f if cache in l and l.rstrip().endswith(".so")}})
'''


def probed(code):
    return PROBES + textwrap.dedent(code)


def library_with_parts(d):
    """gliad's library with its parts; skips unless gliad lists them."""
    with d.connect(timeout=bl.BUILD_TIMEOUT) as c:
        err, res = c.call("library", {"wait": True, "names": True, "parts": True},
                          timeout=bl.BUILD_TIMEOUT)
    assert err is None, err
    if "parts" not in res:
        pytest.skip("this gliad does not list its library's parts")
    return res


def parts_of(res):
    return {p["package"]: p["path"] for p in res["parts"]}


def cache_of(res):
    """The directory every generation of the library lives under."""
    return str(Path(res["path"]).parent.parent)


@pytest.fixture(scope="module")
def d(module_gliad, tmp_path_factory):
    return module_gliad({"default": [cx.install_site(tmp_path_factory.mktemp("site"),
                                                     PACKAGES)]})


@pytest.fixture(scope="module")
def res(d):
    return library_with_parts(d)


@pytest.fixture
def py(d, tmp_path):
    p = pylib.Py("/usr/bin/python3", d.socket, tmp_path)
    yield p
    p.close()


def test_an_insert_loads_its_package_alone_and_load_library_the_rest(res, py):
    r = py.ok(probed(f"""
        import glia
        s = h.Section(name="s")
        glia.insert(s, "ALeak")
        out(first=registered(), first_mapped=mapped({cache_of(res)!r}))
        glia.load_library()
        glia.insert(s, "BLeak")
        syn = glia.insert(s, "BSyn")
        out(then=registered(), mechs=density(s), tau=syn.tau, mapped=mapped({cache_of(res)!r}))
    """))
    parts = parts_of(res)
    assert r["first"] == {"A": True, "B": False, "BSyn": False}, r
    assert r["first_mapped"] == [parts["parts_py_a"]], r
    assert r["then"] == {"A": True, "B": True, "BSyn": True}, r
    assert r["mechs"] == sorted([A, B]) and r["tau"] == 1.0, r
    # Every part once, and never the whole library.
    assert r["mapped"] == sorted(parts.values()), r


def test_a_resolve_loads_the_part_hoc_then_uses(res, py):
    r = py.ok(probed("""
        import glia
        full = glia.resolve("BSyn")
        s = h.Section(name="s")
        syn = getattr(h, full)(s(0.5))
        out(full=full, tau=syn.tau, now=registered())
    """))
    assert r == {"full": BSYN, "tau": 1.0, "now": {"A": False, "B": True, "BSyn": True}}, r


def test_import_glia_library_loads_everything(res, py):
    r = py.ok(probed("""
        import glia.library
        out(now=registered())
    """))
    assert r["now"] == {"A": True, "B": True, "BSyn": True}, r


def test_a_new_generation_leaves_the_process_on_its_own(gliad, tmp_path):
    site = cx.install_site(tmp_path / "gen", PACKAGES)
    d = gliad({"default": [site]})
    first = library_with_parts(d)
    py = pylib.Py("/usr/bin/python3", d.socket, tmp_path / "py")
    s = py.start(probed(f"""
        import glia
        s = h.Section(name="s")
        glia.insert(s, "ALeak")
        wait_go("rebuilt")
        glia.insert(s, "BLeak")
        out(gbar=s.gbar_{B}, now=registered())
        glia.load_library()
        out(mapped=mapped({cache_of(first)!r}))
    """))
    try:
        s.wait_for("rebuilt")
        bl.edit(site / "parts_py_b/mods/BLeak__0.mod", "gbar = 1\n", "gbar = 2\n")
        second = library_with_parts(d)
        assert second["generation"] > first["generation"], second
        assert bl.range_default(parts_of(second)["parts_py_b"], B, "gbar") == 2
        s.go()
        r = s.finish().ok()
    finally:
        py.close()
    # The first generation's part of B, though the second has a new one.
    assert r["gbar"] == 1.0 and r["now"]["B"], r
    first_dir = str(Path(first["path"]).parent)
    assert r["mapped"] == sorted(parts_of(first).values()), (r, first_dir)
