"""The loop thread answers every client: what gliad writes to disk on a
client's or a build's behalf (SQLite with its busy timeout, preferences.txt
with its fsync, the lease on a possibly remote cache) is written by other
threads, while the reply still promises what is on disk.

strace -f names the thread of every system call; gliad's loop is its main
thread, whose id is the process id.
"""

import shutil
import subprocess
import time

import pytest

import buildlib as bl
import glia_testlib as lib

pytestmark = pytest.mark.shared_build_cache

STRACE = shutil.which("strace", path=lib.SYSTEM_PATH)
needs_strace = pytest.mark.skipif(STRACE is None, reason="watching gliad's threads needs strace")

WRITES = "openat,write,pwrite64,fsync,fdatasync,rename"


def traced(d, tmp_path, action, calls=WRITES):
    """The system calls of every gliad thread while action() runs."""
    out = tmp_path / "strace.txt"
    st = subprocess.Popen([STRACE, "-f", "-y", "-qq", "-e", f"trace={calls}", "-o", out,
                           "-p", str(d.pid)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # attached to every thread
        action()
    finally:
        st.terminate()
        st.wait(lib.TIMEOUT)
    return out.read_text().splitlines()


def touching(lines, *needles):
    """(thread id, line) of the calls that name one of needles."""
    return [(int(l.split()[0]), l) for l in lines
            if l.split() and l.split()[0].isdigit() and any(n in l for n in needles)]


def assert_off_the_loop(d, calls):
    assert calls, "the trace saw no write at all"
    on_loop = [l for tid, l in calls if tid == d.pid]
    assert not on_loop, "\n".join(on_loop)


@needs_strace
def test_preferences_are_written_off_the_loop_and_durable_when_answered(gliad, main_site,
                                                                         tmp_path):
    d = gliad({"default": [main_site.site]})

    def select_and_unselect():
        assert d.ok("select", {"asset": "Na", "variant": "t"})["matches"] >= 1
        # Answered: in the database and in its text copy already.
        assert "Na\t\tt\n" in (d.state_dir / "preferences.txt").read_text()
        assert d.ok("unselect", {"asset": "Na"})["removed"] is True
        assert "Na\t" not in (d.state_dir / "preferences.txt").read_text()

    lines = traced(d, tmp_path, select_and_unselect)
    writes = [c for c in touching(lines, "gliad.db", "preferences.txt")
              if "write" in c[1] or "fsync" in c[1] or "rename" in c[1]]
    assert_off_the_loop(d, writes)
    d.restart()
    assert d.ok("prefs") == {"assets": {}}


@needs_strace
def test_a_load_is_recorded_off_the_loop(gliad, main_site, tmp_path):
    d = gliad({"default": [main_site.site]})
    gen = bl.library(d)["generation"]
    assert gen > 0

    def load():
        assert d.ok("loaded", {"generation": gen})["generation"] == gen

    writes = [c for c in touching(traced(d, tmp_path, load), "gliad.db")
              if "write" in c[1] or "fsync" in c[1]]
    assert_off_the_loop(d, writes)


@needs_strace
def test_the_lease_is_written_off_the_loop(gliad, main_site, tmp_path):
    d = gliad({"default": [main_site.site]})
    bl.library(d)

    def rebuild():
        assert d.ok("build", {"force": True})["started"]
        assert bl.library(d)["last_build"]["ok"]

    leases = touching(traced(d, tmp_path, rebuild), "/leases/")
    assert_off_the_loop(d, leases)


@needs_strace
def test_a_compiles_work_dir_is_removed_off_the_loop(gliad, main_site, tmp_path):
    d = gliad({"default": [main_site.site]})
    site = tmp_path / "site"
    mod = bl.tiny_mod("glia__glia_loopio__W__0", value=tmp_path.stat().st_ino)  # not cached yet
    lib.Venv(tmp_path / "venv", with_pip=False).install_target(site, lib.write_package(
        tmp_path / "src", "glia_loopio", {"mods/W__0.mod": mod}))
    name = str(tmp_path / "venv")

    def build():  # a new env: its mod is compiled while traced
        d.ok("env.register", {"name": name, "site_packages": [str(site)]})
        assert bl.library(d, name)["last_build"]["ok"]

    lines = traced(d, tmp_path, build, calls="rmdir")
    removals = touching(lines, f"{bl.work_dir_name(d.pid)}/c")
    assert_off_the_loop(d, removals)
