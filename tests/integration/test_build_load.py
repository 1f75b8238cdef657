"""Libraries gliad builds load into a real NEURON and every mechanism in
them is usable: tests/data's glia_test_mods, NEURON's ten demo mods as a
Glia 0.x package (glia_demo) and as a Glia 4 package with plain names that
gliad renames (glia_plain). A Na/K pair from them makes a soma spike.

Each NEURON runs in a subprocess of its own (buildlib.neuron).
"""

import json
import os
from pathlib import Path

import pytest

import buildlib as bl
import glia_testlib as lib

GLIA4 = {
    "glia__glia_test_mods__Na__0": "density",
    "glia__glia_test_mods__Na__t": "density",
    "glia__glia_test_mods__AMPA__0": "point",
    "glia__glia_test_mods__AMPA__1": "point",
}
PLAIN = {  # conftest.plain_package; mods/arbor/ is not built for NEURON
    "glia__glia_plain__Kdr__0": "density",
    "glia__glia_plain__Kdr__fast": "density",
    "glia__glia_plain__Fire__0": "artificial",
}

HHNA = "glia__glia_demo__HHna__0"
HHK = "glia__glia_demo__HHk__0"


def expected(main_site):
    demo = {full: kind for full, kind in main_site.demo.values()}
    assert len(demo) == 10 and demo["glia__glia_demo__IntervalFire__0"] == "artificial"
    return {**GLIA4, **demo, **PLAIN}


@pytest.fixture(scope="module")
def built(module_gliad, main_site):
    """One gliad on the session venv, its first library built."""
    d = module_gliad({"default": [main_site.site]})
    return d, bl.library(d)


def test_library_names_every_mechanism(built, main_site):
    d, res = built
    want = expected(main_site)
    assert res["status"] == "ready"
    assert sorted(res["names"]) == sorted(want)
    assert res["mechanisms"] == len(want) and res["failed"] == 0
    assert res["generation"] >= 1 and Path(res["path"]).is_file()
    b = res["last_build"]
    assert b["ok"] and b["error"] is None and b["failed"] == 0 and b["total"] == len(want)
    assert not any("Arb" in n for n in res["names"])
    # gliactl prints the same path alone; the library is where the key says.
    r = bl.ctl(d, "library", "--wait")
    assert (r.rc, r.out, r.err) == (0, res["path"] + "\n", ""), r
    assert res["path"] == f"{d.ok('status')['cache_dir']}/libs/{res['key']}/libglia.so"


def test_manifest_describes_the_generation(built, main_site):
    d, res = built
    state = Path(d.ok("status")["state_dir"])
    m = json.loads((state / f"manifests/default-{res['key']}.json").read_text())
    assert (m["env"], m["library"], m["key"]) == ("default", res["path"], res["key"])
    kinds = {x["full"]: x["kind"] for x in m["mechanisms"]}
    assert kinds == expected(main_site)
    fire = next(x for x in m["mechanisms"] if x["full"] == "glia__glia_plain__Fire__0")
    assert (fire["pkg"], fire["asset"], fire["variant"]) == ("glia_plain", "Fire", "0")
    assert fire["source"] == str(main_site.site / "glia_plain/mods/Fire.mod")
    assert len(fire["hash"]) == 64


def test_every_mechanism_is_usable_in_neuron(built, main_site):
    """Densities inserted into a section, point processes placed on a
    segment, artificial cells created without one; and the library adds
    exactly these mechanisms, of these kinds, to NEURON."""
    _d, res = built
    r = bl.use_all(res["path"])
    assert r["added"] == expected(main_site)
    assert r["used"] == {name: "ok" for name in expected(main_site)}


def test_renamed_mods_are_left_untouched(built, main_site):
    """glia_plain's mods say SUFFIX HHk / ARTIFICIAL_CELL IntervalFire: the
    library has them under their namespaced names, the files still say so."""
    d, res = built
    mods = main_site.site / "glia_plain/mods"
    assert lib.mechanism_of((mods / "Kdr__0.mod").read_text(encoding="latin-1"))[1] == "HHk"
    assert lib.mechanism_of((mods / "Fire.mod").read_text(encoding="latin-1"))[1] == \
        "IntervalFire"
    p = d.ok("package", {"name": "glia_plain"})
    assert {m["full"]: m["renamed"] for m in p["mechanisms"]} == {n: True for n in PLAIN}
    # The plain names are not what the library registers.
    assert not {"HHk", "IntervalFire"} & set(res["names"])


def test_na_k_pair_spikes_where_a_passive_soma_does_not(built):
    """50 ms of a 20 um soma with pas, 0.15 nA from 5 to 45 ms: with the
    demo HHna + HHk from gliad's library it fires; pas alone (or HHk alone)
    stays well below 0 mV."""
    _d, res = built
    amp = 0.15
    active = bl.spikes(res["path"], [HHNA, HHK], amp)
    passive = bl.spikes(None, [], amp)
    k_only = bl.spikes(res["path"], [HHK], amp)
    assert active["spikes"] >= 2 and active["vmax"] > 20, active
    assert passive["spikes"] == 0 and passive["vmax"] < -10, passive
    assert k_only["spikes"] == 0, k_only
    # The renamed Glia 4 copy of HHk is the same channel.
    same = bl.spikes(res["path"], [HHNA, "glia__glia_plain__Kdr__0"], amp)
    assert same["spikes"] == active["spikes"]
    assert same["vmax"] == pytest.approx(active["vmax"])


def test_parameters_keep_their_defaults(built):
    _d, res = built
    assert bl.range_default(res["path"], HHNA, "gnabar") == pytest.approx(0.12)
    assert bl.range_default(res["path"], "glia__glia_plain__Kdr__fast", "gkbar") == \
        pytest.approx(0.036)


def test_manifest_is_json_when_a_path_is_not_utf8(gliad, main_site, tmp_path):
    """A path can be any bytes: the manifest stays one JSON document (what
    Python's json reads from its bytes), the bytes that are not UTF-8 shown
    as U+FFFD as Python's "replace" decoding shows them."""
    root = tmp_path / "src"
    site = tmp_path / os.fsdecode(b"site-\xff")
    main_site.venv.install_target(site, lib.copy_test_package(root))
    d = gliad({"default": [site]})
    res = bl.library(d)
    state = Path(d.ok("status")["state_dir"])
    raw = (state / f"manifests/default-{res['key']}.json").read_bytes()
    m = json.loads(raw)
    assert sorted(x["full"] for x in m["mechanisms"]) == sorted(GLIA4)
    na = next(x for x in m["mechanisms"] if x["full"] == "glia__glia_test_mods__Na__0")
    want = os.fsencode(site).decode("utf-8", "replace") + "/glia_test_mods/mods/Na__0.mod"
    assert na["source"] == want
