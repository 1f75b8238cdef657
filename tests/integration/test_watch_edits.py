"""Mods edited, added and deleted inside installed packages, the way editors
and people do it, and a package deleted by hand while it is being built,
each rebuilt with no rescan asked for. Packages are installed with real pip; the changes after that
are plain file operations, picked up by the watcher alone.
"""

import os
import shutil
import time

import buildlib as bl
import glia_testlib as lib
import watchlib as wl
from watchlib import full


def installed(venv, tmp_path, name, assets):
    """pip-installs a fixture package; returns its mods dir in site-packages."""
    wl.pip_install(venv, wl.package(tmp_path / f"src-{name}", name, assets))
    return venv.site / name / "mods"


def test_rename_over_saves_are_rebuilt(gliad, fresh_venv, tmp_path):
    """VS Code writes a temp file and renames it over the mod; vim (with
    backupcopy=no) renames the mod to a backup, writes a new file, deletes
    the backup. Each is one rebuilt mod with the new parameter."""
    mods = installed(fresh_venv, tmp_path, "glia_ed", {"Kro": "HHk", "Nro": "HHna"})
    d = gliad({"default": [fresh_venv.site]})
    assert wl.library(d)["last_build"]["compiled"] == 2
    kro = mods / "Kro__0.mod"

    wl.replace_file(kro, wl.set_param(kro.read_text(), "gkbar", 0.061))
    res = wl.library(d)
    assert (res["last_build"]["compiled"], res["last_build"]["cached"]) == (1, 1), res
    assert full("glia_ed", "Kro") in res["names"]
    assert wl.asset_param(d, "Kro", "gkbar") == "0.061"

    # vim: mod -> mod~, write mod, remove mod~
    text = wl.set_param(kro.read_text(), "gkbar", 0.062)
    backup = kro.with_name(kro.name + "~")
    os.rename(kro, backup)
    kro.write_text(text)
    backup.unlink()
    res = wl.library(d)
    assert (res["last_build"]["compiled"], res["last_build"]["failed"]) == (1, 0), res
    assert wl.asset_param(d, "Kro", "gkbar") == "0.062"
    show = d.ctl("show", "Kro")
    assert any(l.split()[:2] == ["gkbar", "0.062"] for l in show.out.splitlines()), show
    assert sorted(res["names"]) == [full("glia_ed", "Kro"), full("glia_ed", "Nro")]


def test_mods_added_and_deleted_in_an_installed_package(gliad, fresh_venv, tmp_path):
    mods = installed(fresh_venv, tmp_path, "glia_grow", {"Kg": "HHk"})
    d = gliad({"default": [fresh_venv.site]})
    wl.library(d)

    (mods / "Kadd__0.mod").write_text(wl.mod("glia_grow", "Kadd", "HHna"))
    assert wl.ctl_resolve(d, "Kadd") == full("glia_grow", "Kadd")
    assert full("glia_grow", "Kadd") in wl.library(d)["names"]
    # A new subfolder of mods/, made and filled at once.
    (mods / "extra").mkdir()
    (mods / "extra/Kdeep__0.mod").write_text(wl.mod("glia_grow", "Kdeep", "capump"))
    assert wl.ctl_resolve(d, "Kdeep") == full("glia_grow", "Kdeep")
    res = wl.library(d)
    assert sorted(res["names"]) == sorted(full("glia_grow", a) for a in ("Kg", "Kadd", "Kdeep"))
    assert res["last_build"]["failed"] == 0

    (mods / "Kadd__0.mod").unlink()
    assert wl.ctl_resolve(d, "Kadd").endswith("(unknown_asset)")
    shutil.rmtree(mods / "extra")
    assert wl.ctl_resolve(d, "Kdeep").endswith("(unknown_asset)")
    res = wl.library(d)
    assert res["names"] == [full("glia_grow", "Kg")]
    assert d.ok("package", {"name": "glia_grow"})["mods"] == 1
    # A mod edited in place (truncate and write) is seen as well.
    kg = mods / "Kg__0.mod"
    kg.write_text(wl.set_param(kg.read_text(), "gkbar", 0.044))
    assert wl.asset_param(d, "Kg", "gkbar") == "0.044"


def test_package_deleted_by_hand_during_its_build(gliad, fresh_venv, tmp_path):
    """A 30-mod package is being compiled when its module dir and dist-info
    are removed with rm -rf: gliad lives on, forgets the package, and the
    other package's mechanisms stay in the library. Its compiles are held
    until it is gone."""
    installed(fresh_venv, tmp_path, "glia_keep", {"Keep": "HHk", "KeepNa": "HHna"})
    base = gliad.base()
    cc = bl.HeldCc(base / "heldcc", "glia_big")
    d = gliad({"default": [fresh_venv.site]}, sections={"neuron": {"cc": cc.path}}, base=base)
    keep = {full("glia_keep", "Keep"), full("glia_keep", "KeepNa")}
    assert set(wl.library(d)["names"]) == keep
    demo = sorted(lib.demo_mods())
    big_mods = {f"mods/{name}__v{k}.mod": wl.mod("glia_big", name, name, variant=f"v{k}")
                for name in demo for k in range(3)}
    assert len(big_mods) == 30
    big = lib.write_package(tmp_path / "src-big", "glia_big", big_mods)

    with wl.Notes(d, topics=["build"]) as notes:
        wl.pip_install(fresh_venv, big)
        _m, p = notes.wait(lambda m, p: m.startswith("build.") and p.get("total") == 32,
                           timeout=6 * lib.TIMEOUT, what="the big build to be under way")
        cc.wait_held()
        shutil.rmtree(fresh_venv.site / "glia_big")
        for di in fresh_venv.site.glob("glia_big-*.dist-info"):
            shutil.rmtree(di)
        cc.release()
        during = p["done"]
        assert d.proc.poll() is None
        assert d.ok("hello")["pid"] == d.pid
        res = wl.library(d)
        notes.settle()
    assert during < 30, "the build was over before the package was removed"
    assert d.proc.poll() is None, d.stderr()
    assert set(res["names"]) == keep, res
    assert res["status"] == "ready" and res["last_build"]["ok"], res
    assert [p["name"] for p in d.ok("packages")["packages"]] == ["glia_keep"]
    assert d.call("resolve", {"asset": "HHk", "sync": True})[0]["code"] == "unknown_asset"
    assert d.ok("hello")["pid"] == d.pid
    assert d.ok("log")["failures"] == []

    # Nothing of the interrupted build sticks: installed again, it all builds.
    wl.pip_install(fresh_venv, big)
    res = wl.library(d)
    assert res["last_build"]["failed"] == 0, d.ok("log")
    assert len(res["names"]) == 32


def test_a_change_during_a_compile_does_not_fail_the_mod(gliad, tmp_path):
    """A mod is added and, while it compiles (held), another one: the first
    build is overtaken and its compiles killed; the next must still build
    both, not inherit 'killed by signal 9' from a compile it wanted too."""
    site = tmp_path / "site"
    site.mkdir()
    wl.fake_install(site, "glia_k", {"mods/Base__0.mod": wl.mod("glia_k", "Base")})
    mods = site / "glia_k/mods"
    base = gliad.base()
    cc = bl.HeldCc(base / "heldcc", "glia_k__X0")
    d = gliad({"default": [site]}, sections={"neuron": {"cc": cc.path}}, base=base)
    wl.library(d)
    (mods / "X0__0.mod").write_text(wl.mod("glia_k", "X0", "HHna"))
    d.ok("sync")
    cc.wait_held()
    with wl.Notes(d, topics=["build"]) as notes:
        (mods / "Y0__0.mod").write_text(wl.mod("glia_k", "Y0", "capump"))
        d.ok("sync")
        notes.wait(lambda m, p: m == "build.started" and p["total"] == 3,
                   what="a build with Y0 to overtake the one compiling X0")
    cc.release()
    res = wl.library(d)
    assert [f["summary"] for f in d.ok("log")["failures"]] == []
    assert res["last_build"]["failed"] == 0
    assert sorted(res["names"]) == [full("glia_k", a) for a in ("Base", "X0", "Y0")]


def test_a_steady_stream_of_events_still_gets_rescanned(gliad, fresh_venv, tmp_path):
    """Events closer together than debounce_ms postpone the rescan, but at
    most 10 x debounce_ms after the first one (watch.c's arm)."""
    mods = installed(fresh_venv, tmp_path, "glia_busy", {"Busy": "HHk"})
    d = gliad({"default": [fresh_venv.site]}, daemon_extra={"debounce_ms": 250})
    wl.library(d)
    mod = mods / "Busy__0.mod"
    text = mod.read_text()
    with wl.Notes(d, topics=["index"]) as notes:
        notes.settle(quiet=0.5)
        start = time.monotonic()
        mark = notes.mark()
        i = 0
        while time.monotonic() - start < 4.0:
            i += 1  # an edit every 50 ms, for 4 s, each a new gkbar
            mod.write_text(wl.set_param(text, "gkbar", f"0.{1000 + i}"))
            notes.pump(0.05)
        end = time.monotonic()
        during = [t - start for t, m, _p in notes.got[mark:] if m == "index.changed"]
        notes.settle(quiet=1.0)
    assert during, "no rescan during 4 s of events 50 ms apart (debounce 250 ms)"
    # Not before the cap (2.5 s), give or take the pauses of a busy machine.
    assert 1.8 <= during[0] < end - start, during
    assert wl.asset_param(d, "Busy", "gkbar") == f"0.{1000 + i}"  # the last edit
