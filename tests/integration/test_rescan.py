"""What is installed changes: `rescan` (and SIGHUP) pick it up, `status`
counts it. Each test has a venv of its own, since it installs and removes.

gliad may also watch site-packages; these daemons debounce its events for
60 s, so what the tests see within that time is the rescan's doing.
"""

import signal

import pytest

import glia_testlib as lib

pytestmark = pytest.mark.shared_build_cache

NEW = {"Kfast": "HHk", "Nafast": "HHna", "Pump": "capump"}  # asset: demo mod it is made of


def new_package(root, name="glia_new", assets=NEW):
    demo = lib.demo_mods()
    return lib.write_package(root, name, {
        f"mods/{a}__0.mod": lib.rename_mechanism(demo[src][0], f"glia__{name}__{a}__0")
        for a, src in assets.items()})


NO_WATCH = {"debounce_ms": 60000}


def env_status(d):
    st = d.ok("status")
    (e,) = st["envs"]
    return st["builtins"], e


def test_rescan_picks_up_a_new_package(gliad, fresh_venv, tmp_path):
    d = gliad({"default": [fresh_venv.site]}, daemon_extra=NO_WATCH)
    builtins, e = env_status(d)
    assert (e["packages"], e["mods"], e["assets"], e["problems"]) == (0, 0, builtins, 0)
    assert d.call("resolve", {"asset": "Kfast"})[0]["code"] == "unknown_asset"
    assert d.ctl("packages").out == "no Glia packages in this environment\n"

    fresh_venv.install(new_package(tmp_path / "src"))
    r = d.ctl("rescan")
    assert r.rc == 0, r
    assert r.out.startswith("default: 1 packages, 3 mods (scanned in "), r
    res = d.ok("rescan")
    assert (res["env"], res["packages"], res["mods"]) == ("default", 1, 3)
    assert isinstance(res["ms"], float) and res["ms"] >= 0
    for asset in NEW:
        assert d.ctl("resolve", asset).out == f"glia__glia_new__{asset}__0\n"
    builtins, e = env_status(d)
    assert (e["packages"], e["mods"], e["assets"], e["problems"]) == (1, 3, builtins + 3, 0)
    assert f"env default: 1 packages, 3 mods, {builtins + 3} assets, 0 problems" in \
        d.ctl("status").out.splitlines()
    p = d.ok("package", {"name": "glia_new"})
    assert (p["version"], p["layout"], p["mods"], p["root"]) == (
        "1.0", "glia4", 3, str(fresh_venv.site / "glia_new"))

    # A second package, then the first one removed.
    fresh_venv.install(new_package(tmp_path / "src2", "glia_more", {"Extra": "cachan"}))
    assert d.ok("rescan")["packages"] == 2
    assert env_status(d)[1]["mods"] == 4
    fresh_venv.uninstall("glia_new")
    res = d.ok("rescan")
    assert (res["packages"], res["mods"]) == (1, 1)
    assert d.call("resolve", {"asset": "Kfast"})[0]["code"] == "unknown_asset"
    assert d.ok("resolve", {"asset": "Extra"})["full"] == "glia__glia_more__Extra__0"
    builtins, e = env_status(d)
    assert (e["packages"], e["mods"], e["assets"]) == (1, 1, builtins + 1)


def test_rescan_keeps_preferences_and_index_version_moves(gliad, fresh_venv, tmp_path):
    fresh_venv.install(new_package(tmp_path / "a", "glia_a", {"K": "HHk"}))
    d = gliad({"default": [fresh_venv.site]}, daemon_extra=NO_WATCH)
    v1 = d.ok("resolve", {"asset": "K"})["index_version"]
    fresh_venv.install(new_package(tmp_path / "b", "glia_b", {"K": "HHk"}))
    assert d.call("resolve", {"asset": "K"})[1]["full"] == "glia__glia_a__K__0"  # not rescanned
    d.ok("rescan")
    err, _ = d.call("resolve", {"asset": "K"})
    assert err["code"] == "ambiguous"
    assert d.ok("select", {"asset": "K", "pkg": "glia_b"})["matches"] == 1
    res = d.ok("resolve", {"asset": "K"})
    assert res["full"] == "glia__glia_b__K__0"
    assert res["index_version"] > v1
    d.ok("rescan")
    assert d.ok("resolve", {"asset": "K"})["full"] == "glia__glia_b__K__0"


def test_sighup_rescans(gliad, fresh_venv, tmp_path):
    d = gliad({"default": [fresh_venv.site]}, daemon_extra=NO_WATCH)
    assert d.call("resolve", {"asset": "Pump"})[0]["code"] == "unknown_asset"
    fresh_venv.install(new_package(tmp_path / "src"))
    d.send_signal(signal.SIGHUP)
    lib.wait_for(lambda: d.call("resolve", {"asset": "Pump"})[0] is None, what="the rescan")
    assert d.ok("resolve", {"asset": "Pump"})["full"] == "glia__glia_new__Pump__0"
    assert d.proc.poll() is None  # SIGHUP does not stop it


def test_editable_install(gliad, fresh_venv, tmp_path):
    """pip install -e: the dist-info's direct_url.json names the source dir,
    which is where the mods are read from."""
    src = new_package(tmp_path / "src", "glia_edit", {"Ked": "HHk"})
    fresh_venv.install(src, editable=True)
    assert not (fresh_venv.site / "glia_edit").exists()
    d = gliad({"default": [fresh_venv.site]}, daemon_extra=NO_WATCH)
    assert d.ok("resolve", {"asset": "Ked"})["full"] == "glia__glia_edit__Ked__0"
    p = d.ok("package", {"name": "glia_edit"})
    assert p["editable"] is True
    assert p["root"] == str(src / "glia_edit")
    # An edit in the source dir is what the next scan sees.
    mods = src / "glia_edit/mods"
    (mods / "Ked__slow.mod").write_text(
        lib.rename_mechanism(lib.demo_mods()["HHk"][0], "glia__glia_edit__Ked__slow"))
    d.ok("rescan")
    assert d.ok("resolve", {"asset": "Ked", "variant": "slow"})["full"] == \
        "glia__glia_edit__Ked__slow"
