"""Watched dirs that come and go, and dirs that cannot be watched, followed
with no rescan asked for:
a venv made after gliad started, a venv deleted and made again, new dirs
appearing while a scan is in flight, inotify watches running out.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

import glia_testlib as lib
import watchlib as wl
from watchlib import full


def test_venv_made_after_gliad_started_deleted_and_made_again(gliad, tmp_path):
    base = tmp_path / "late"  # nothing of the venv exists yet, not even this
    site = wl.venv_site(base / "venv")
    d = gliad({"late": [site]})
    e = wl.env_status(d, "late")
    assert (e["ready"], e["packages"], e["problems"]) == (True, 0, 1), e
    proj = wl.package(tmp_path / "src", "glia_late", {"Klate": "HHk"})

    for round_ in ("made", "made again"):
        venv = lib.Venv(base / "venv", with_pip=False)
        assert venv.site == site
        wl.pip_install(venv, proj)
        assert wl.ctl_resolve(d, "Klate", env="late") == full("glia_late", "Klate"), round_
        res = wl.library(d, env="late")
        assert res["names"] == [full("glia_late", "Klate")], (round_, res)
        e = wl.env_status(d, "late")
        assert (e["packages"], e["problems"], e["watch_fallback"]) == (1, 0, None), (round_, e)

        shutil.rmtree(base)  # the whole venv, watched dirs and all
        got = wl.ctl_resolve(d, "Klate", env="late")
        assert got.endswith("(unknown_asset)"), (round_, got)
        e = wl.env_status(d, "late")
        assert (e["packages"], e["mods"], e["problems"]) == (0, 0, 1), (round_, e)
        assert wl.library(d, env="late")["names"] == []
        assert d.ok("hello")["envs"] == ["late"]
    assert "does not exist (yet)" in d.stderr()


# ---- a dir made while a scan is in flight ------------------------------------------

def assert_sync_then_eventually(d, asset, want, env=None):
    """The sync'd answer right away must be `want`; checked last, after
    making sure gliad does get there on its own (so a failure here is the
    sync's, not the watcher's)."""
    first = wl.resolved(d, asset, env=env)
    lib.wait_for(lambda: wl.resolved(d, asset, env=env, sync=False) == want,
                 what=f"{asset} to resolve at all")
    assert first == want, "the sync'd answer was stale"


def test_site_dir_made_while_a_scan_is_in_flight(gliad, tmp_path):
    """The venv's dirs appear one level at a time (as `mkdir -p` or a slow
    venv tool makes them), the deeper ones while the scan that saw the first
    is still on its way: a sync right after must see the package."""
    base = tmp_path / "late"
    base.mkdir()
    site = base / "a/b/site-packages"
    d = gliad({"late": [site]})
    wl.library(d, env="late")
    with lib.scans_held_at_save(d):
        (base / "a").mkdir()  # an event; the rescan 50 ms later watches a/
        time.sleep(0.5)
        site.mkdir(parents=True)  # b/ is made before the watch on a/ starts
        wl.fake_install(site, "glia_l", {"mods/L__0.mod": wl.mod("glia_l", "L")})
    assert_sync_then_eventually(d, "L", full("glia_l", "L"), env="late")


def test_mod_added_while_the_scan_of_its_package_is_in_flight(gliad, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    d = gliad({"default": [site]})
    wl.library(d)
    with lib.scans_held_at_save(d):
        wl.fake_install(site, "glia_p", {"mods/A__0.mod": wl.mod("glia_p", "A")})
        time.sleep(0.5)  # the rescan has read glia_p/mods, its watch is not started
        (site / "glia_p/mods/B__0.mod").write_text(wl.mod("glia_p", "B"))
    assert_sync_then_eventually(d, "B", full("glia_p", "B"))
    assert wl.resolved(d, "A") == full("glia_p", "A")


def test_module_dir_made_anew_while_a_scan_is_in_flight(gliad, tmp_path):
    """As a pip upgrade or rm -rf and a copy do: the dir's old watch is
    stale, the new dir is watched anew, and a mod made in it meanwhile counts."""
    site = tmp_path / "site"
    site.mkdir()
    wl.fake_install(site, "glia_p", {"mods/A__0.mod": wl.mod("glia_p", "A")})
    d = gliad({"default": [site]})
    wl.library(d)
    with lib.scans_held_at_save(d):
        shutil.rmtree(site / "glia_p")  # the module dir goes, a new one comes
        (site / "glia_p/mods").mkdir(parents=True)
        (site / "glia_p/mods/A__0.mod").write_text(wl.mod("glia_p", "A"))
        time.sleep(0.5)  # the rescan has read the new glia_p/mods
        (site / "glia_p/mods/B__0.mod").write_text(wl.mod("glia_p", "B"))
    assert_sync_then_eventually(d, "B", full("glia_p", "B"))
    assert wl.resolved(d, "A") == full("glia_p", "A")


# ---- when inotify cannot serve -------------------------------------------------------

needs_userns = pytest.mark.skipif(
    not wl.userns_works(),
    reason="no user namespaces here: cannot give one gliad fewer inotify watches without "
           "changing fs.inotify.max_user_watches for the whole machine")


def limited_gliad(gliad, monkeypatch, tmp_path, max_watches, site, debounce_ms):
    """A gliad in a user namespace of its own whose inotify watch limit
    is max_watches (the machine's fs.inotify.max_user_watches is untouched)."""
    monkeypatch.setenv("GLIAD", str(wl.limited_gliad_wrapper(tmp_path / "gliad-limited",
                                                             max_watches)))
    return gliad({"default": [site]}, daemon_extra={"debounce_ms": debounce_ms})


RAN_OUT = "inotify watches ran out"


def assert_polled(d, site, pkg):
    """Installs pkg (one asset, P) into site: the poll every 2 s must see it
    without a sync."""
    with wl.Notes(d, topics=["index"]) as notes:
        t0 = time.monotonic()
        wl.fake_install(site, pkg, {"mods/P__0.mod": wl.mod(pkg, "P")})
        # Polls that find nothing new publish nothing: the first index
        # change after the install is the install.
        notes.wait(lambda m, p: m == "index.changed", timeout=2 * 2.0 + 2)
        took = time.monotonic() - t0
    assert wl.resolved(d, "P", sync=False) == full(pkg, "P")
    assert took < 2.0 + 1.5, f"the install was seen after {took:.1f} s, polling every 2 s"


@needs_userns
def test_out_of_inotify_watches_falls_back_to_polling(gliad, monkeypatch, tmp_path):
    """One watch allowed: gliad's own cookie dir takes it, the site dir gets
    none. The env is then rescanned every max(10 x debounce_ms, 2 s),
    logged once, shown in status and in gliactl status."""
    site = tmp_path / "site"
    site.mkdir()
    d = limited_gliad(gliad, monkeypatch, tmp_path, 1, site, 100)
    wl.library(d)
    e = wl.env_status(d)
    assert e["watch_fallback"] and RAN_OUT in e["watch_fallback"], e
    assert str(site) in e["watch_fallback"] and "max_user_watches" in e["watch_fallback"]
    assert e["watched_dirs"] == 0
    st = d.ctl("status")
    assert f"polling instead of watching: {RAN_OUT} at {site}" in st.out, st

    assert_polled(d, site, "glia_poll")
    assert wl.library(d)["names"] == [full("glia_poll", "P")]
    log = d.stderr()
    assert re.search(rf"{RAN_OUT} at {re.escape(str(site))} .*rescanning every 2000 ms", log)
    assert log.count(RAN_OUT) == 1, log
    assert d.ok("hello")["pid"] == d.pid


@needs_userns
def test_no_inotify_at_all_sync_still_sees_every_change(gliad, monkeypatch, tmp_path):
    """Zero watches: not even the cookie dir can be watched, so sync falls
    back to a full rescan of the env, which is slower but never stale."""
    site = tmp_path / "site"
    site.mkdir()
    d = limited_gliad(gliad, monkeypatch, tmp_path, 0, site, 1000)  # polls every 10 s
    wl.library(d)
    assert "sync falls back to full rescans" in d.stderr()
    for i in range(5):
        wl.fake_install(site, "glia_nw", {"mods/W__0.mod": wl.mod("glia_nw", "W")})
        assert wl.ctl_resolve(d, "W") == full("glia_nw", "W"), i
        wl.fake_uninstall(site, "glia_nw")
        assert wl.ctl_resolve(d, "W").endswith("(unknown_asset)"), i


@needs_userns
def test_sync_sees_changes_in_a_polled_env(gliad, monkeypatch, tmp_path):
    """One watch: the cookie dir has it, the site dir is polled every 10 s.
    A change made right after a scan, then a sync: the sync must cover it."""
    site = tmp_path / "site"
    site.mkdir()
    d = limited_gliad(gliad, monkeypatch, tmp_path, 1, site, 1000)
    wl.library(d)
    assert wl.env_status(d)["watch_fallback"]
    wl.fake_install(site, "glia_polled", {"mods/Q__0.mod": wl.mod("glia_polled", "Q")})
    assert wl.ctl_resolve(d, "Q") == full("glia_polled", "Q")


def fs_type(path):
    """The filesystem type of path as statfs numbers it, in hex."""
    return subprocess.run(["stat", "-f", "-c", "%t", path], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_site_dir_on_a_network_filesystem_is_polled(gliad, tmp_path):
    """A site dir on a filesystem whose remote changes inotify never hears
    of (NFS, CIFS, FUSE...; or one GLIAD_REMOTE_FS names, here the temp dir's
    own) is polled every max(10 x debounce_ms, 2 s), logged once, shown in
    status; a bad GLIAD_REMOTE_FS entry is named and ignored."""
    site = tmp_path / "site"
    site.mkdir()
    d = gliad({"default": [site]}, daemon_extra={"debounce_ms": 100},
              env={"GLIAD_REMOTE_FS": f"nfs,0x{fs_type(site)}"})
    wl.library(d)
    e = wl.env_status(d)
    assert e["watch_fallback"] == f"{site} is on a network filesystem", e
    assert e["watched_dirs"] == 0
    st = d.ctl("status")
    assert f"polling instead of watching: {site} is on a network filesystem" in st.out, st

    assert_polled(d, site, "glia_nfs")
    log = d.stderr()
    assert re.search(rf"{re.escape(str(site))} is on a network filesystem; rescanning every "
                     r"2000 ms", log), log
    assert log.count(f"{site} is on a network filesystem") == 1, log
    # The store, on the same filesystem, takes it for shared as well.
    assert f"state_dir {d.state_dir} is on a network filesystem" in log, log
    assert "GLIAD_REMOTE_FS: 'nfs' is not a filesystem type" in log, log


def test_mod_dir_made_anew_with_the_same_inode(gliad, tmp_path):
    """rm -rf and mkdir at once often get the freed inode back: the old watch
    is dead though the dir's inode looks the same. gliad is stopped (SIGSTOP)
    while it happens, so it sees the events only once the new dir is there.
    ext4 gives the inode back at once; on a filesystem that never does
    (tmpfs, btrfs) the test still checks that the dir made anew is watched."""
    site = tmp_path / "site"
    site.mkdir()
    wl.fake_install(site, "glia_q", {"mods/A__0.mod": wl.mod("glia_q", "A")})
    d = gliad({"default": [site]})
    wl.library(d)
    mods = site / "glia_q/mods"
    ino = mods.stat().st_ino
    os.kill(d.pid, signal.SIGSTOP)
    try:
        for _ in range(10):  # until the inode comes back, if it ever does
            shutil.rmtree(mods)
            mods.mkdir()
            if mods.stat().st_ino == ino:
                break
        (mods / "A__0.mod").write_text(wl.mod("glia_q", "A"))
    finally:
        os.kill(d.pid, signal.SIGCONT)
    time.sleep(1.0)  # the events are in, the rescan done: the new dir is watched
    (mods / "B__0.mod").write_text(wl.mod("glia_q", "B"))  # seen only by a live watch
    lib.wait_for(lambda: wl.resolved(d, "B", sync=False) == full("glia_q", "B"),
                 what="B to resolve without a sync")


def test_a_dir_two_packages_share_is_watched_once(gliad, tmp_path):
    """Two dist-infos whose entry points name the same module: its dirs
    belong to both. gliad watches them once, for both, and then rests.
    (Once each scan watched them for the other package, which called for
    another scan, forever.)"""
    site = tmp_path / "site"
    site.mkdir()
    wl.fake_install(site, "glia_sh", {"mods/A__0.mod": wl.mod("glia_sh", "A")})
    alias = site / "glia_sh_alias-1.0.dist-info"
    alias.mkdir()
    (alias / "entry_points.txt").write_text("[glia.package]\nglia_sh_alias = glia_sh:package\n")
    d = gliad({"default": [site]})
    assert wl.resolved(d, "A") == full("glia_sh", "A")

    def jobs():
        (e,) = d.ok("status")["envs"]
        return e["scan_jobs"]
    time.sleep(wl.QUIET)
    before = jobs()
    time.sleep(1.0)  # 20 debounce periods
    assert jobs() == before
    (site / "glia_sh/mods/B__0.mod").write_text(wl.mod("glia_sh", "B"))
    lib.wait_for(lambda: wl.resolved(d, "B", sync=False) == full("glia_sh", "B"),
                 what="B to resolve without a sync")
    time.sleep(wl.QUIET)
    before = jobs()
    time.sleep(1.0)
    assert jobs() == before
