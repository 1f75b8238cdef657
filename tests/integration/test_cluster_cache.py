"""Two gliads of two hosts sharing one cache dir, as on an NFS home: each in
pid and UTS namespaces of its own (both pid 1, as in containers; hostnames
hosta and hostb), building at once for several rounds, one restarted while
the other builds. Work dirs named by pid alone were the same dir for both:
each removed the other's work mid-compile, and libraries with missing
objects were published. Every library must load whole, every round."""

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import buildlib as bl
import bundlelib
import glia_testlib as lib

ROUNDS = 6
UNSHARE = shutil.which("unshare")
pytestmark = pytest.mark.skipif(
    UNSHARE is None or os.geteuid() != 0, reason="needs unshare (util-linux) and root")


class NsGliad:
    """gliad as pid 1 of new pid, UTS and mount (for /proc) namespaces,
    under hostname `host`."""

    def __init__(self, base, host, cache, site, **daemon):
        self.base, self.host = Path(base), host
        self.socket = self.base / "run/gliad.sock"
        self.config = lib.write_config(
            self.base / "gliad.ini", socket_path=self.socket, state_dir=self.base / "state",
            cache_dir=cache, envs={"default": [site]},
            daemon_extra={"jobs": 2, "debounce_ms": 50, "log_level": "debug", **daemon})
        self.log_path = self.base / "gliad.log"
        self.proc = None

    def start(self):
        env = lib.daemon_env(self.base / "home")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [UNSHARE, "--pid", "--uts", "--fork", "--mount-proc", "--kill-child=SIGKILL",
             "sh", "-c", 'hostname "$0" && exec "$@"', self.host,
             str(lib.gliad_binary()), "--config", str(self.config)],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        lib.wait_for(self.answers, what=f"gliad of {self.host} to answer")

    def answers(self):
        try:
            with lib.Rpc(self.socket, timeout=2) as c:
                err, res = c.call("hello")
            return err is None and res["pid"] == 1  # pid 1 of its namespace
        except (OSError, lib.Closed):
            return False

    def call(self, method, params=None, timeout=bl.BUILD_TIMEOUT):
        with lib.Rpc(self.socket, timeout=timeout) as c:
            err, res = c.call(method, params or {}, timeout=timeout)
        assert err is None, f"{self.host}: {method}: {err}\n{self.stderr()}"
        return res

    def stderr(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        """SIGTERM to gliad itself (unshare's child); it must exit 0."""
        if self.proc is None or self.proc.poll() is not None:
            return
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        os.kill(int(children.split()[0]), signal.SIGTERM)
        assert self.proc.wait(lib.TIMEOUT) == 0, self.stderr()


def write_round(site, host, r):
    """Mods for round r: two the hosts share (one object key, compiled by
    both at once) and two of this host's own; every round new texts."""
    pkg = Path(site) / "glia_cl" / "mods"
    if not pkg.exists():
        bundlelib.write_site_package(site, "glia_cl", {})
        pkg.mkdir(parents=True)
    for f in pkg.glob("*.mod"):
        f.unlink()
    names = []
    for asset, owner in (("S1", "both"), ("S2", "both"), (f"{host}1", host), (f"{host}2", host)):
        full = f"glia__glia_cl__{asset}__0"
        (pkg / f"{asset}__0.mod").write_text(bl.tiny_mod(full, value=r + 1 if owner == "both"
                                                         else 100 * r + len(asset)))
        names.append(full)
    return sorted(names)


@pytest.fixture
def two_hosts(tmp_path):
    cache = tmp_path / "shared-cache"
    hosts = {}
    for h in ("hosta", "hostb"):
        site = tmp_path / h / "site"
        site.mkdir(parents=True)
        hosts[h] = (NsGliad(lib.short_tmpdir(), h, cache, site, keep_generations=1), site)
    yield cache, hosts
    for g, _ in hosts.values():
        try:
            g.stop()
        finally:
            if g.proc and g.proc.poll() is None:
                g.proc.kill()
            shutil.rmtree(g.base, ignore_errors=True)


def test_two_hosts_build_at_once_on_one_cache(two_hosts):
    cache, hosts = two_hosts
    for g, _ in hosts.values():
        g.start()
    a, b = hosts["hosta"][0], hosts["hostb"][0]
    for r in range(ROUNDS):
        want = {h: write_round(site, h, r) for h, (_, site) in hosts.items()}
        libs = {}

        def wait(g):
            libs[g.host] = g.call("library", {"wait": True, "names": True, "sync": True})

        t = threading.Thread(target=wait, args=(a,))
        t.start()
        # hostb starts again while hosta builds: its start cleans the
        # work dirs it takes for dead ones.
        time.sleep(0.2)
        b.stop()
        b.start()
        wait(b)
        t.join(bl.BUILD_TIMEOUT)
        for g in (a, b):
            res = libs[g.host]
            assert res["last_build"]["ok"] and res["last_build"]["failed"] == 0, (
                res, g.stderr())
            assert sorted(res["names"]) == want[g.host], res
            used = bl.use_all(res["path"])
            assert set(used["used"].values()) == {"ok"}, (g.host, r, used)
            assert sorted(used["added"]) == want[g.host]
    for g in (a, b):
        log = g.stderr()
        assert "No such file" not in log and "undefined symbol" not in log, log
    # Each works in a dir named by its host, none by pid alone.
    names = {p.name for p in (cache / "tmp").iterdir()}
    assert names and all(n.startswith(("hosta.", "hostb.")) for n in names), names


def test_gc_keeps_what_another_host_serves(two_hosts):
    """Both hosts build the same mods (one library); then hostb's change a
    few times, and with keep_generations = 1 its collections drop the first
    library from its own store. hosta still serves it: its lease keeps it."""
    cache, hosts = two_hosts
    (a, site_a), (b, site_b) = hosts["hosta"], hosts["hostb"]
    same = write_round(site_a, "x", 0)
    assert write_round(site_b, "x", 0) == same
    for g, _ in hosts.values():
        g.start()
    first = a.call("library", {"wait": True})
    assert b.call("library", {"wait": True})["path"] == first["path"]
    for r in range(1, 3):
        write_round(site_b, "x", r)
        assert b.call("library", {"wait": True, "sync": True})["path"] != first["path"]
    lib.wait_for(lambda: any(w in b.stderr() for w in ("gc: removed", "leases it")),
                 what="hostb's collection of the first library")
    assert Path(first["path"]).is_file(), b.stderr()
    assert "stays: another gliad sharing the cache leases it" in b.stderr()
    assert a.call("library", {"wait": True})["path"] == first["path"]
    used = bl.use_all(first["path"])
    assert set(used["used"].values()) == {"ok"} and sorted(used["added"]) == same
    leases = {p.name.split(".")[0] for p in (cache / "leases").iterdir()}
    assert leases == {"hosta", "hostb"}, leases


BINDFS = shutil.which("bindfs")


@pytest.mark.skipif(BINDFS is None or os.geteuid() != 0,
                    reason="needs bindfs (tools/deps --test) and root for a FUSE mount")
def test_state_dir_on_a_network_filesystem_uses_a_rollback_journal(gliad, tmp_path):
    """SQLite's WAL is unsafe where processes of several hosts open the
    database (an NFS home's ~/.local/state): there gliad's store uses the
    rollback journal. FUSE (bindfs) is one of the filesystems gliad takes
    for shared, as NFS."""
    import sqlite3

    src, mnt = tmp_path / "src", tmp_path / "mnt"
    src.mkdir()
    mnt.mkdir()
    subprocess.run([BINDFS, src, mnt], check=True)
    d = None
    try:
        site = bundlelib.make_site(tmp_path / "site")
        d = gliad({"default": [site]}, state_dir=mnt / "state")
        assert d.ok("select", {"asset": "K", "pkg": bundlelib.BUND})["matches"] == 2
        assert "is on a network filesystem: its database uses a rollback journal" in d.stderr()
        d.stop()
        db = sqlite3.connect(src / "state/gliad.db")
        try:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            assert db.execute("SELECT asset, pkg FROM prefs").fetchall() == [
                ("K", bundlelib.BUND)]
        finally:
            db.close()
        assert not (src / "state/gliad.db-wal").exists()
    finally:
        if d is not None and not d.reaped:
            d.kill()  # the database open on the mount would keep it busy
        subprocess.run(["fusermount", "-u", "-z", mnt], check=False)


def test_objects_are_reused_only_under_the_same_toolchain(gliad, tmp_path):
    """Hosts sharing a cache share objects only when their toolchains are
    the same: the toolchain identity (here, other compiler flags) is part of
    every object's key."""
    cache = tmp_path / "shared-cache"
    site = tmp_path / "site"
    site.mkdir()
    names = write_round(site, "x", 0)

    def build(cflags=None):
        base = gliad.base()
        text = bl.config_text(base, {"default": [site]},
                              sections={"neuron": {"cflags": cflags}} if cflags else None)
        d = gliad(config_text=text.replace(f"cache_dir = {base / 'cache'}",
                                           f"cache_dir = {cache}"), base=base)
        res = bl.library(d)
        assert sorted(res["names"]) == names, res
        tc = d.ok("bundle")["toolchain"]["id"]
        d.stop()
        return res["last_build"], tc

    first, tc1 = build()
    assert (first["compiled"], first["cached"]) == (4, 0)
    other, tc2 = build("-O1 -fPIC -DHAVE_CONFIG_H")
    assert tc2 != tc1 and (other["compiled"], other["cached"]) == (4, 0), (tc1, tc2, other)
    same, tc3 = build()
    assert tc3 == tc1 and (same["compiled"], same["cached"]) == (0, 4), same
