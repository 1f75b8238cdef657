"""Garbage collection of libraries: with keep_generations = 1 only the
newest generation's library stays in cache_dir/libs, plus any that a live
process reported loading (`loaded`, recorded with the peer's pid); once
that process is gone, the next build's collection removes it too.
"""

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
