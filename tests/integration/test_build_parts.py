"""Load what is used: beside the library, one shared object per package (its
part), so that a script pays NEURON's registration only for the packages it
uses. `library {parts: true}` lists them; each loads alone with NEURON's
nrn_load_dll, any of them load together in any order (two packages defining
the same C helper each keep their own), an unchanged package's part is the
same file in the next generation, and parts go with their generation.
"""

import json
import os
from pathlib import Path

import pytest

import buildlib as bl
import coexistlib as cx
import glia_testlib as lib

# A SUFFIX nothing library: global hoc names only, registers no mechanism.
LIB = """\
NEURON { SUFFIX nothing }
FUNCTION thrice(x) { thrice = 3 * x }
"""

PACKAGES = {
    "parts_helper_a": {"mods/Helped__0.mod": cx.HELPED % 1, "mods/User__0.mod": cx.USER},
    "parts_helper_b": {"mods/Helped__0.mod": cx.HELPED % 2},
    "parts_leak": {"mods/Leak__0.mod": bl.tiny_mod("Leak"), "mods/Lib.mod": LIB},
}

NAMES = {
    "parts_helper_a": {cx.full("parts_helper_a", "Helped"), cx.full("parts_helper_a", "User")},
    "parts_helper_b": {cx.full("parts_helper_b", "Helped")},
    "parts_leak": {cx.full("parts_leak", "Leak"), cx.full("parts_leak", "Lib")},
}


def library_with_parts(d):
    with d.connect(timeout=bl.BUILD_TIMEOUT) as c:
        err, res = c.call("library", {"wait": True, "names": True, "parts": True},
                          timeout=bl.BUILD_TIMEOUT)
    assert err is None, err
    return res


def parts_of(res):
    return {p["package"]: p for p in res["parts"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return cx.install_site(tmp_path_factory.mktemp("parts"), PACKAGES)


@pytest.fixture(scope="module")
def d(module_gliad, site):
    return module_gliad({"default": [site]})


@pytest.fixture(scope="module")
def res(d):
    return library_with_parts(d)


def test_one_part_per_package_with_its_names(res):
    assert res["last_build"]["ok"] and res["failed"] == 0, res
    parts = parts_of(res)
    assert {k: set(p["names"]) for k, p in parts.items()} == NAMES
    assert sorted(n for p in res["parts"] for n in p["names"]) == sorted(res["names"])
    libdir = Path(res["path"]).parent
    for name, p in parts.items():
        assert p["path"] == str(libdir / "parts" / f"{name}.so"), p
        # Sealed like the library.
        assert Path(p["path"] + ".sha256").is_file()


def test_parts_only_when_asked(d, res):
    assert "parts" not in bl.library(d)


def test_no_parts_from_the_nrnivmodl_backend(gliad, tmp_path):
    """nrnivmodl links no package alone (the helpers would clash: one package
    here): clients load the whole library."""
    site = cx.install_site(tmp_path, {"parts_leak": PACKAGES["parts_leak"]})
    res = library_with_parts(bl.nrnivmodl_gliad(gliad, site))
    assert res["last_build"]["ok"] and "parts" not in res, res


def test_gliactl_json_shows_them(d, res):
    r = bl.ctl(d, "--json", "library")
    assert r.rc == 0 and json.loads(r.out)["parts"] == res["parts"], r


def test_each_part_loads_alone_and_its_mechanisms_insert(res):
    for name, p in parts_of(res).items():
        r = bl.use_all(p["path"])
        mechanisms = NAMES[name] - {cx.full("parts_leak", "Lib")}
        assert set(r["added"]) == mechanisms, (name, r)
        assert set(r["used"].values()) == {"ok"}, (name, r)


def test_a_library_part_keeps_its_hoc_names(res):
    got = bl.neuron("""
        load(ARGS["lib"])
        result(h.thrice(2))
        """, lib=parts_of(res)["parts_leak"]["path"])
    assert got == 6.0


TOGETHER = """
    for path in ARGS["parts"]:
        load(path)
    soma = h.Section(name="soma")
    for name in ARGS["names"]:
        soma.insert(name)
    h.finitialize(-65)
    result({n: getattr(soma(0.5), "r_" + n) for n in ARGS["names"]})
"""


@pytest.mark.parametrize("order", [("parts_helper_a", "parts_helper_b"),
                                   ("parts_helper_b", "parts_helper_a")])
def test_two_packages_with_one_helper_load_together_each_its_own(res, order):
    parts = parts_of(res)
    names = [cx.full("parts_helper_a", "Helped"), cx.full("parts_helper_a", "User"),
             cx.full("parts_helper_b", "Helped")]
    got = bl.neuron(TOGETHER, parts=[parts[o]["path"] for o in order], names=names)
    assert got == {names[0]: 2.0, names[1]: 11.0, names[2]: 3.0}


def test_parts_are_served_again_after_a_restart(d, res):
    d.restart()
    again = library_with_parts(d)
    assert again["generation"] == res["generation"]
    assert again["parts"] == res["parts"]
    # One removed by hand: none is served (every name must be in a part).
    os.unlink(parts_of(res)["parts_leak"]["path"])
    d.restart()
    again = library_with_parts(d)
    assert again["generation"] == res["generation"] and "parts" not in again, again


def stamp(path):
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns


@pytest.fixture
def gc_gliad(gliad, tmp_path):
    site = cx.install_site(tmp_path, PACKAGES)
    d = gliad({"default": [site]}, daemon_extra={"keep_generations": 1})
    d.site = site
    return d


def test_an_unchanged_package_keeps_its_part_and_parts_go_with_their_generation(gc_gliad):
    d = gc_gliad
    first = library_with_parts(d)
    old = parts_of(first)
    before = {name: stamp(p["path"]) for name, p in old.items()}
    bl.edit(d.site / "parts_leak/mods/Leak__0.mod", "gbar = 1\n", "gbar = 2\n")
    second = library_with_parts(d)
    assert second["generation"] > first["generation"]
    assert second["last_build"]["compiled"] == 1, second
    new = parts_of(second)
    for name in ("parts_helper_a", "parts_helper_b"):
        assert new[name]["path"] != old[name]["path"]  # in the new generation's dir
        assert stamp(new[name]["path"]) == before[name], name  # not linked again
    assert stamp(new["parts_leak"]["path"])[0] != before["parts_leak"][0]
    assert bl.range_default(new["parts_leak"]["path"], cx.full("parts_leak", "Leak")) == 2
    # keep_generations = 1: the first generation's dir goes, its parts with it.
    first_dir = Path(first["path"]).parent
    lib.wait_for(lambda: not first_dir.exists(), what=f"{first_dir} to be collected")
    assert all(not Path(p["path"]).exists() for p in old.values())
    assert all(Path(p["path"]).exists() for p in new.values())


def test_more_packages_than_one_link_batch(gliad, tmp_path):
    """Parts are linked in batches of 32 (one xargs each): 40 packages make
    two, and every part loads, all of them in one process."""
    packages = {f"parts_many_{i:02d}": {"mods/Leak__0.mod": bl.tiny_mod("Leak", i)}
                for i in range(40)}
    d = gliad({"default": [cx.install_site(tmp_path, packages)]})
    res = library_with_parts(d)
    parts = parts_of(res)
    assert {k: p["names"] for k, p in parts.items()} == \
        {k: [cx.full(k, "Leak")] for k in packages}
    got = bl.neuron("""
        for path in ARGS["parts"]:
            load(path)
        soma = h.Section(name="soma")
        for name in ARGS["names"]:
            soma.insert(name)
        result([getattr(soma(0.5), "gbar_" + n) for n in ARGS["names"]])
        """, parts=[p["path"] for p in parts.values()],
        names=[p["names"][0] for p in parts.values()])
    assert sorted(got) == list(range(40))
