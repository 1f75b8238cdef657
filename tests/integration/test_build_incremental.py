"""Incremental builds, asserted from what gliad counts rather than from
timing: `compiler_processes` in status (nocmodl + cc, two per compiled
mod), and each build's own statistics (library's last_build,
build.finished).

gliad watches the site-packages dirs and rebuilds by itself after an edit
(debounce 50 ms here); `library {wait}` syncs first, so it answers with the
state after every change made before it was asked.
"""

import os
import pty
import subprocess
import termios
import time
from pathlib import Path

import pytest

import buildlib as bl
import glia_testlib as lib

PKG = "glia_inc"
ASSETS = ("A", "B", "C")


def full(asset, pkg=PKG):
    return f"glia__{pkg}__{asset}__0"


def tiny_package(root, pkg=PKG, assets=ASSETS, include_for=None):
    """A Glia 4 package of tiny mods, namespaced; include_for: the asset
    whose gbar default comes from mods/params.inc instead."""
    mods = {}
    for a in assets:
        if a == include_for:
            mods[f"mods/{a}__0.mod"] = bl.tiny_mod(full(a, pkg), include="params.inc")
            mods["mods/params.inc"] = bl.include_params(1.5)
        else:
            mods[f"mods/{a}__0.mod"] = bl.tiny_mod(full(a, pkg))
    return lib.write_package(root, pkg, mods)


def finished_after(c, generation):
    """The build.finished of the first build publishing a generation past
    `generation`."""
    return bl.next_note(c, "build.finished", lambda p: p["generation"] > generation)


@pytest.fixture
def inc(gliad, fresh_venv, tmp_path):
    """A gliad on a venv holding glia_inc (A, B; C's gbar INCLUDEd), built."""
    fresh_venv.install(tiny_package(tmp_path / "src", include_for="C"))
    d = gliad({"default": [fresh_venv.site]})
    res = bl.library(d)
    assert sorted(res["names"]) == [full(a) for a in ASSETS]
    assert res["last_build"]["compiled"] == 3 and res["last_build"]["cached"] == 0
    assert bl.processes(d) == 6
    d.mods = fresh_venv.site / PKG / "mods"
    return d, res


def test_editing_one_mod_recompiles_one_object(inc):
    d, first = inc
    before = bl.processes(d)
    c = bl.subscribe(d)
    bl.edit(d.mods / "A__0.mod", "gbar = 1\n", "gbar = 2.5\n")
    # Nobody asks: gliad sees the edit and rebuilds by itself.
    note = finished_after(c, first["generation"])
    c.close()
    assert note["ok"] and note["error"] is None
    assert (note["compiled"], note["failed"], note["total"]) == (1, 0, 3)
    res = bl.library(d)
    assert res["generation"] == note["generation"] > first["generation"]
    assert res["path"] != first["path"] and Path(res["path"]).is_file()
    b = res["last_build"]
    assert (b["compiled"], b["cached"], b["failed"], b["unchanged"]) == (1, 2, 0, False)
    assert bl.processes(d) == before + 2  # one nocmodl, one cc
    assert bl.range_default(res["path"], full("A")) == 2.5
    # The first generation's library is still there, untouched.
    assert bl.range_default(first["path"], full("A")) == 1


def test_nothing_changed_runs_no_compiler(inc):
    d, first = inc
    before = bl.processes(d)
    r = bl.ctl(d, "build", "--wait")
    assert r.rc == 0, r
    assert r.out.startswith("3 mechanisms: 0 compiled, 3 cached, 0 failed (")
    assert f"generation {first['generation']} (unchanged)\n{first['path']}\n" in r.out, r
    res = bl.library(d)
    b = res["last_build"]
    assert (b["compiled"], b["cached"], b["unchanged"], b["ok"]) == (0, 3, True, True)
    assert (res["generation"], res["path"]) == (first["generation"], first["path"])
    # A rescan finding the same set builds nothing either.
    assert d.ok("rescan")["mods"] == 3
    res = bl.library(d)
    assert res["last_build"]["compiled"] == 0 and res["last_build"]["unchanged"]
    assert res["generation"] == first["generation"]
    assert bl.processes(d) == before


def test_library_wait_across_rescans_that_change_nothing(gliad, tmp_path):
    """`library {wait}` answers once rescans that find nothing new (and so
    start no build) are over. The second rescan is asked while the first
    runs, after the library call has waited for that one (scans of 5000
    dist-infos take long enough). Once it then waited for a build that
    never came."""
    site = tmp_path / "site"
    for i in range(5000):  # dist-infos of other tools: slow to scan, nothing to build
        di = site / f"other{i}-1.0.dist-info"
        di.mkdir(parents=True)
        (di / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n")
    lib.Venv(tmp_path / "venv", with_pip=False).install_target(
        site, tiny_package(tmp_path / "src", assets=("A",)))
    d = gliad({"default": [site]})
    first = bl.library(d)
    t0 = time.monotonic()
    d.ok("rescan")
    scan_s = time.monotonic() - t0
    with d.connect() as c, d.connect() as c2:
        r1 = c2.request("rescan")
        time.sleep(scan_s / 4)
        lid = c.request("library", {"wait": True})
        time.sleep(scan_s / 4)
        r2 = c2.request("rescan")
        err, res = c.response(lid, timeout=15)
        assert c2.response(r1)[0] is None and c2.response(r2)[0] is None
    assert err is None and res["status"] == "ready", (err, res)
    assert (res["generation"], res["path"]) == (first["generation"], first["path"])


def test_a_set_built_before_is_reused_without_a_compiler(inc):
    """Edit and edit back: the second edit's set is the first generation's,
    whose library is reused (a new generation, the same file)."""
    d, first = inc
    bl.edit(d.mods / "B__0.mod", "gbar = 1\n", "gbar = 7\n")
    second = bl.library(d)
    assert second["last_build"]["compiled"] == 1
    before = bl.processes(d)
    bl.edit(d.mods / "B__0.mod", "gbar = 7\n", "gbar = 1\n")
    third = bl.library(d)
    assert third["generation"] > second["generation"]
    assert (third["path"], third["key"]) == (first["path"], first["key"])
    assert third["last_build"]["compiled"] == 0 and third["last_build"]["cached"] == 3
    assert bl.processes(d) == before


def test_force_recompiles_everything(inc):
    d, first = inc
    before = bl.processes(d)
    r = bl.ctl(d, "build", "--wait", "--force")
    assert r.rc == 0, r
    res = bl.library(d)
    assert res["last_build"]["compiled"] == 3
    assert res["key"] == first["key"]  # the same objects, so the same library
    assert bl.processes(d) == before + 6


def test_build_wait_on_a_terminal_redraws_one_progress_line(inc):
    """With stderr a TTY, gliactl build --wait redraws one line (\\r) with
    done/total there and ends it before the outcome (on stdout)."""
    d, first = inc
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR  # the pty as written: no \r added before \n
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLIA_", "XDG_RUNTIME"))}
    try:
        r = subprocess.run([str(lib.gliactl_binary()), "build", "--wait", "--force"],
                           stdout=subprocess.PIPE, stderr=slave,
                           env={**env, "GLIA_SOCKET": d.socket}, timeout=bl.BUILD_TIMEOUT)
    finally:
        os.close(slave)
    # All of it: one read of a pty may return the first writes only (once
    # this read once and lost the last line one run in three).
    err = b""
    try:
        while chunk := os.read(master, 1 << 16):
            err += chunk
    except OSError:  # EIO: the other end is closed and everything read
        pass
    finally:
        os.close(master)
    err = err.decode()
    out = r.stdout.decode()
    lib.assert_no_sanitizer_reports(err, "gliactl")
    assert r.returncode == 0, err
    assert "\r[default] building: 3/3 mods\n" in err and err.count("\n") == 1, repr(err)
    assert out.startswith("3 mechanisms: 3 compiled, 0 cached, 0 failed ("), out
    assert first["path"] in out


def test_editing_an_include_rebuilds_the_including_mod(inc):
    d, first = inc
    assert bl.range_default(first["path"], full("C")) == 1.5
    before = bl.processes(d)
    (d.mods / "params.inc").write_text(bl.include_params(4.25))
    res = bl.library(d)
    assert res["generation"] > first["generation"]
    b = res["last_build"]
    assert (b["compiled"], b["cached"], b["failed"]) == (1, 2, 0)
    assert bl.processes(d) == before + 2
    # A fresh NEURON sees the new default; A and B are as they were.
    assert bl.range_default(res["path"], full("C")) == 4.25
    assert bl.range_default(res["path"], full("A")) == 1


def test_an_include_is_part_of_the_object_key(inc):
    """Whatever the watcher makes of an edited INCLUDE file, a build keys
    the including mod by it: one recompile, and the new value."""
    d, first = inc
    before = bl.processes(d)
    (d.mods / "params.inc").write_text(bl.include_params(2.75))
    bl.library(d)
    r = bl.ctl(d, "build", "--wait")
    assert r.rc == 0, r
    res = bl.library(d)
    assert res["key"] != first["key"]
    assert bl.processes(d) == before + 2
    assert bl.range_default(res["path"], full("C")) == 2.75


def test_a_missing_include_fails_until_it_appears(gliad, fresh_venv, tmp_path):
    """A missing INCLUDE is part of the key too: the failure is remembered,
    and creating the file builds the mod."""
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_miss", {
        "mods/D__0.mod": bl.tiny_mod("glia__glia_miss__D__0", include="later.inc"),
        "mods/E__0.mod": bl.tiny_mod("glia__glia_miss__E__0")}))
    d = gliad({"default": [fresh_venv.site]})
    res = bl.library(d)
    assert res["names"] == ["glia__glia_miss__E__0"] and res["failed"] == 1
    (f,) = d.ok("log")["failures"]
    mod = fresh_venv.site / "glia_miss/mods/D__0.mod"
    assert f["file"] == str(mod) and f["summary"].startswith(f"{mod}:")
    assert "later.inc" in f["summary"] + f["detail"]
    (mod.parent / "later.inc").write_text(bl.include_params(9))
    res = bl.library(d)
    assert sorted(res["names"]) == ["glia__glia_miss__D__0", "glia__glia_miss__E__0"]
    assert res["last_build"]["compiled"] == 1 and res["failed"] == 0
    assert bl.range_default(res["path"], "glia__glia_miss__D__0") == 9


HEADER_MOD = """\
NEURON {
    SUFFIX glia__glia_hdr__H__0
    RANGE gbar
}
PARAMETER {
    gbar = 1
}
INITIAL {
VERBATIM
#include "helper.h"
    gbar = HELPER_VALUE;
ENDVERBATIM
}
"""

INITIAL_GBAR = """
    load(ARGS["lib"])
    soma = h.Section(name="soma")
    soma.insert(ARGS["name"])
    h.finitialize(-65)
    result(getattr(soma(0.5), "gbar_" + ARGS["name"]))
"""


def test_editing_a_verbatim_header_rebuilds_the_mod(gliad, fresh_venv, tmp_path):
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_hdr", {
        "mods/H__0.mod": HEADER_MOD, "mods/helper.h": "#define HELPER_VALUE 3\n"}))
    d = gliad({"default": [fresh_venv.site]})
    first = bl.library(d)
    name = "glia__glia_hdr__H__0"
    assert bl.neuron(INITIAL_GBAR, lib=first["path"], name=name) == 3
    (fresh_venv.site / "glia_hdr/mods/helper.h").write_text("#define HELPER_VALUE 5\n")
    # Asked for explicitly, whatever the watcher made of the edit.
    assert bl.ctl(d, "build", "--wait").rc == 0
    res = bl.library(d)
    assert bl.neuron(INITIAL_GBAR, lib=res["path"], name=name) == 5


def test_same_mods_in_two_environments_compile_once(gliad, tmp_path):
    """Two site dirs holding the same package, two [env:...]: each mod is
    compiled once for both (2 processes per mod, as for one env alone), and
    both envs end up with the same content-addressed library."""
    src = tiny_package(tmp_path / "src")
    venv = lib.Venv(tmp_path / "venv", with_pip=False)
    site1, site2 = tmp_path / "site1", tmp_path / "site2"
    venv.install_target(site1, src)
    venv.install_target(site2, src)

    alone = gliad({"default": [site1]})
    assert bl.library(alone)["mechanisms"] == 3
    single = bl.processes(alone)
    assert single == 2 * len(ASSETS)

    d = gliad({"default": [site1], "other": [site2]})
    one, two = bl.library(d), bl.library(d, "other")
    assert sorted(one["names"]) == sorted(two["names"]) == [full(a) for a in ASSETS]
    assert bl.processes(d) == single
    assert one["path"] == two["path"]
    # Each env still has its own generation and manifest, naming its own files.
    state = Path(d.ok("status")["state_dir"])
    for env, site in (("default", site1), ("other", site2)):
        text = (state / f"manifests/{env}-{one['key']}.json").read_text()
        assert str(site / PKG / "mods/A__0.mod") in text
    # An edit in one env's copy: one object for that env, none for the other.
    before = bl.processes(d)
    bl.edit(site2 / PKG / "mods/A__0.mod", "gbar = 1\n", "gbar = 3\n")
    two2 = bl.library(d, "other")
    assert two2["last_build"]["compiled"] == 1 and two2["path"] != one["path"]
    assert bl.library(d)["path"] == one["path"]
    assert bl.processes(d) == before + 2
