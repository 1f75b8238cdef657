"""Garbage collection of libraries: with keep_generations = 1 only the
newest generation's library stays in cache_dir/libs, plus any that a live
process reported loading (`loaded`, recorded with the peer's pid); once
that process is gone, the next build's collection removes it too.
"""

import os
import time
from pathlib import Path

import pytest

import buildlib as bl
import glia_testlib as lib

A = "glia__glia_gc__A__0"


@pytest.fixture
def gc_gliad(gliad, fresh_venv, tmp_path):
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_gc", {
        "mods/A__0.mod": bl.tiny_mod(A), "mods/B__0.mod": bl.tiny_mod("glia__glia_gc__B__0")}))
    d = gliad({"default": [fresh_venv.site]}, daemon_extra={"keep_generations": 1})
    d.mod = fresh_venv.site / "glia_gc/mods/A__0.mod"
    d.value = 1
    return d


def rebuild(d, value):
    """Edits A's default to value; the library built from it."""
    bl.edit(d.mod, f"gbar = {d.value}\n", f"gbar = {value}\n")
    d.value = value
    res = bl.library(d)
    assert res["last_build"]["compiled"] == 1, res
    return res


def manifests(d):
    state = Path(d.ok("status")["state_dir"])
    return {p.name for p in (state / "manifests").glob("*.json")}


def libs_become(d, keys):
    """Waits for the collection after a build (it runs once the build has
    answered, and removes the libraries before the manifests) to leave
    exactly these libraries and their manifests."""
    keys = set(keys)
    want = {f"default-{k}.json" for k in keys}
    lib.wait_for(lambda: bl.library_dirs(d) == keys and manifests(d) == want,
                 what=f"cache_dir/libs to be {keys} (it is {bl.library_dirs(d)}) and the "
                      f"manifests {want} (they are {manifests(d)})")


def test_old_generations_go_except_a_loaded_one(gc_gliad):
    d = gc_gliad
    first = bl.library(d)
    holder = bl.Holder(d, first["path"], first["generation"])
    try:
        assert holder.reply and holder.reply[2] is None, holder.reply
        assert holder.reply[3] == {"generation": first["generation"], "pid": holder.proc.pid}
        keys = [first["key"]]
        for value in (2, 3, 4):
            res = rebuild(d, value)
            keys.append(res["key"])
            libs_become(d, {first["key"], res["key"]})
        assert len(set(keys)) == 4
        # The loaded library is whole: a fresh NEURON still loads it.
        assert bl.range_default(first["path"], A) == 1
        assert bl.range_default(res["path"], A) == 4

        # Loads are remembered across a restart while the process lives.
        d.restart()
        res = rebuild(d, 5)
        libs_become(d, {first["key"], res["key"]})
    finally:
        holder.exit()

    # The loading process is gone: the next build's collection takes its library.
    res = rebuild(d, 6)
    libs_become(d, {res["key"]})
    assert not Path(first["path"]).exists()
    assert bl.range_default(res["path"], A) == 6


def test_loaded_needs_a_generation(gc_gliad):
    d = gc_gliad
    bl.library(d)
    for params in ({}, {"generation": 0}):
        err, res = d.call("loaded", params)
        assert res is None and err["code"] == "bad_request", err


def test_what_no_env_needs_goes_too(gc_gliad, tmp_path):
    """The libraries of an environment gliad no longer serves (forgotten
    here) go at the next collection, and so do compiled objects no
    published build recorded (a cancelled build's) once an hour old; a
    recent one stays, as do the objects of the library in use."""
    d = gc_gliad
    site = tmp_path / "reg-site"
    lib.Venv(tmp_path / "reg-venv", with_pip=False).install_target(site, lib.write_package(
        tmp_path / "reg-src", "glia_gcr", {"mods/R__0.mod": bl.tiny_mod("glia__glia_gcr__R__0")}))
    name = str(tmp_path / "reg-venv")
    d.ok("env.register", {"name": name, "site_packages": [str(site)]})
    reg = bl.library(d, name)
    mine = bl.library(d)
    assert bl.library_dirs(d) == {reg["key"], mine["key"]}
    d.ok("env.forget", {"name": name})

    objects = Path(d.ok("status")["cache_dir"]) / "objects"
    used = {p.name for p in objects.glob("*/*.o")}
    # A, B and R, the packages glia_gc and glia_gcr linked alone, and their parts
    assert len(used) == 7
    stray_old, stray_new = objects / "ee" / ("ee" * 32 + ".o"), objects / "ef" / ("ef" * 32 + ".o")
    for p in (stray_old, stray_new):
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"not really an object")
    two_hours_ago = time.time() - 7200
    os.utime(stray_old, (two_hours_ago, two_hours_ago))

    res = rebuild(d, 2)  # a new generation: a collection follows
    lib.wait_for(lambda: bl.library_dirs(d) == {res["key"]},
                 what=f"only {res['key']} in cache_dir/libs (there is {bl.library_dirs(d)})")
    lib.wait_for(lambda: not stray_old.exists(), what=f"{stray_old} to go")
    assert stray_new.exists()
    left = {p.name for p in objects.glob("*/*.o")}
    assert used <= left  # recorded ones stay while under cache_max_mb
    assert bl.range_default(res["path"], A) == 2
