"""Never a stale answer, whatever the watcher has yet to deliver: sync, {sync: true} on a request and
library {wait: true} first take in every change made on disk before the
request, through watchman's cookie technique.

The cookie is written to gliad's own state dir, not to the changed dirs:
that it is a barrier for every other watched dir rests on libuv serving all
of a loop's uv_fs_events from one inotify instance that delivers events in
order. These tests check that claim rather than trust it: with a debounce
of 5 s, a sync that answers within a fraction of it with the change in
place can only have come through the barrier.
"""

import os
import time

import watchlib as wl
from watchlib import full

SLOW = {"debounce_ms": 5000}  # the watcher alone would take 5 s


def site_with(tmp_path, packages):
    """A site dir with fake-installed packages {name: {asset: demo mod}}."""
    site = tmp_path / "site"
    site.mkdir()
    for name, assets in packages.items():
        wl.fake_install(site, name, wl.mods_of(name, assets))
    return site


def test_sync_forces_the_pending_rescan(gliad, tmp_path):
    site = site_with(tmp_path, {})
    d = gliad({"default": [site]}, daemon_extra=SLOW)
    v0 = d.ok("sync")["index_version"]
    wl.fake_install(site, "glia_b", wl.mods_of("glia_b", {"Bar": "HHk"}))
    # The debounce holds the change back: a plain request does not see it.
    assert wl.resolved(d, "Bar", sync=False) == "unknown_asset"
    t0 = time.monotonic()
    res = d.ok("sync")
    took = time.monotonic() - t0
    assert took < 1.0, f"sync took {took:.2f} s: it waited for the debounce"
    assert res["env"] == "default" and res["index_version"] > v0
    assert wl.resolved(d, "Bar", sync=False) == full("glia_b", "Bar")


def test_one_sync_covers_changes_in_many_dirs(gliad, tmp_path):
    """Changes in five different watched dirs (a site dir, three packages'
    mods dirs, a subfolder), none of them the cookie's dir, all in one
    sync, and the library built from them without waiting for the debounce."""
    site = site_with(tmp_path, {"glia_a": {"Aa": "HHk"}, "glia_b": {"Bb": "HHk"},
                                "glia_c": {"Cc": "HHk", "Cd": "HHna"}})
    (site / "glia_c/mods/deep").mkdir()
    (site / "glia_c/mods/deep/Cx__0.mod").write_text(wl.mod("glia_c", "Cx", "capump"))
    d = gliad({"default": [site]}, daemon_extra=SLOW)
    before = wl.library(d)
    assert len(before["names"]) == 5

    wl.fake_install(site, "glia_new", wl.mods_of("glia_new", {"Nn": "HHna"}))  # site dir
    (site / "glia_a/mods/Ab__0.mod").write_text(wl.mod("glia_a", "Ab", "HHna"))  # added
    bb = site / "glia_b/mods/Bb__0.mod"
    wl.replace_file(bb, wl.set_param(bb.read_text(), "gkbar", 0.051))  # saved over
    (site / "glia_c/mods/Cd__0.mod").unlink()  # deleted
    (site / "glia_c/mods/deep/Cx__0.mod").unlink()  # deleted, in a subfolder

    t0 = time.monotonic()
    r = d.ctl("sync")
    took = time.monotonic() - t0
    assert r.rc == 0 and r.out.startswith("default: in sync (index version "), r
    assert took < 2.0, f"gliactl sync took {took:.2f} s"
    assert wl.resolved(d, "Nn", sync=False) == full("glia_new", "Nn")
    assert wl.resolved(d, "Ab", sync=False) == full("glia_a", "Ab")
    assert wl.resolved(d, "Cd", sync=False) == "unknown_asset"
    assert wl.resolved(d, "Cx", sync=False) == "unknown_asset"
    assert wl.asset_param(d, "Bb", "gkbar") == "0.051"

    t0 = time.monotonic()
    res = wl.library(d)
    took = time.monotonic() - t0
    assert sorted(res["names"]) == sorted([
        full("glia_a", "Aa"), full("glia_a", "Ab"), full("glia_b", "Bb"), full("glia_c", "Cc"),
        full("glia_new", "Nn")])
    assert res["last_build"]["compiled"] == 3  # Ab, Nn and the new Bb
    assert took < 4.0, f"library wait took {took:.2f} s"


def test_library_wait_alone_takes_in_a_change(gliad, tmp_path):
    site = site_with(tmp_path, {"glia_w": {"Ww": "HHk"}})
    d = gliad({"default": [site]}, daemon_extra=SLOW)
    assert wl.library(d)["names"] == [full("glia_w", "Ww")]
    (site / "glia_w/mods/Wx__0.mod").write_text(wl.mod("glia_w", "Wx", "HHna"))
    t0 = time.monotonic()
    res = wl.library(d)
    assert time.monotonic() - t0 < 4.0
    assert sorted(res["names"]) == [full("glia_w", "Ww"), full("glia_w", "Wx")]
    # Without wait, library answers at once, whatever is pending.
    (site / "glia_w/mods/Wx__0.mod").unlink()
    assert full("glia_w", "Wx") in wl.library(d, wait=False)["names"]
    assert wl.library(d)["names"] == [full("glia_w", "Ww")]


def test_sync_errors_and_envs(gliad, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    d = gliad({"default": [a], "other": [b]}, daemon_extra=SLOW)
    err, _ = d.call("sync", {"env": "nope"})
    assert err["code"] == "unknown_env"
    err, _ = d.call("resolve", {"asset": "X", "env": "nope", "sync": True})
    assert err["code"] == "unknown_env"
    wl.fake_install(b, "glia_o", wl.mods_of("glia_o", {"Oo": "HHk"}))
    assert d.ok("sync", {"env": "other"})["env"] == "other"
    assert wl.resolved(d, "Oo", env="other", sync=False) == full("glia_o", "Oo")
    r = d.ctl("--env", "other", "sync")
    assert r.rc == 0 and r.out.startswith("other: in sync"), r


def race(d, site, n, query):
    """n installs and n uninstalls, each followed at once by query(asset)
    -> full name or error text; the stale answers."""
    texts = {v: wl.mod("glia_race", "Race", variant=v) for v in ("a", "b")}
    stale = []
    for i in range(n):
        v = "ab"[i % 2]  # each install a different variant than the last
        wl.fake_install(site, "glia_race", {f"mods/Race__{v}.mod": texts[v]},
                        version=f"1.{i}")
        got = query("Race")
        if got != full("glia_race", "Race", v):
            stale.append((i, "install", got))
        wl.fake_uninstall(site, "glia_race")
        got = query("Race")
        if "unknown_asset" not in got:
            stale.append((i, "uninstall", got))
    return stale


def test_install_then_resolve_200_times_with_gliactl(gliad, tmp_path):
    """`install && gliactl resolve`, pip's file operations done directly
    (pip itself takes ~0.5 s): 200 installs, 200 uninstalls, zero stale."""
    site = site_with(tmp_path, {})
    d = gliad({"default": [site]})
    wl.library(d)
    t0 = time.monotonic()
    stale = race(d, site, 200, lambda asset: wl.ctl_resolve(d, asset))
    print(f"\n400 gliactl resolves after file operations in {time.monotonic() - t0:.1f} s")
    assert stale == []
    # The library after all that: the package installed once more builds fine.
    wl.fake_install(site, "glia_race", {"mods/Race__0.mod": wl.mod("glia_race", "Race")})
    res = wl.library(d)
    assert res["names"] == [full("glia_race", "Race")] and res["last_build"]["failed"] == 0


def test_install_then_resolve_200_times_on_one_connection(gliad, tmp_path):
    """The same with raw resolve {sync: true} on one connection (the Python
    module's way), with the default debounce so rescans from the watcher
    and from syncs interleave."""
    site = site_with(tmp_path, {})
    d = gliad({"default": [site]}, daemon_extra={"debounce_ms": 200})
    wl.library(d)

    with d.connect() as conn:
        def query(asset):
            err, res = wl.resolve(d, asset, conn=conn)
            return err["code"] if err else res["full"]
        stale = race(d, site, 200, query)
    assert stale == []


def test_upgrades_as_file_operations_then_resolve(gliad, tmp_path):
    """pip's upgrade as file operations, 50 times over: the old version's
    mod removed, the new one's written, the dist-info renamed to the new
    version. A sync'd resolve after each sees exactly the new version."""
    site = site_with(tmp_path, {})
    wl.fake_install(site, "glia_up", {"mods/U0__0.mod": wl.mod("glia_up", "U0")}, version="1.0")
    mods = site / "glia_up/mods"
    d = gliad({"default": [site]})
    stale = []
    with d.connect() as conn:
        for i in range(1, 51):
            (mods / f"U{i - 1}__0.mod").unlink()
            (mods / f"U{i}__0.mod").write_text(wl.mod("glia_up", f"U{i}"))
            os.rename(site / f"glia_up-1.{i - 1}.dist-info", site / f"glia_up-1.{i}.dist-info")
            err, res = wl.resolve(d, f"U{i}", conn=conn)
            if err or res["full"] != full("glia_up", f"U{i}"):
                stale.append((i, "new", err or res))
            err, res = wl.resolve(d, f"U{i - 1}", conn=conn)
            if not err or err["code"] != "unknown_asset":
                stale.append((i, "old", err or res))
    assert stale == []
    (p,) = d.ok("packages")["packages"]
    assert (p["version"], p["mods"]) == ("1.50", 1)
