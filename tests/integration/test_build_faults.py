"""Failures of the environment are not the mod's fault: a compiler killed
(by a signal, or the OOM killer under gcc), the cache removed under a
compile, a mod edited while it compiles. None of these is cached or
reported as the mod's failure; the build is tried again by itself and the
library comes back whole. And what the cache holds is checked before it is
reused: a damaged library or object is rebuilt, and compilers keep their
temporary files in gliad's own work dirs.

The faults are injected by a cc wrapper configured in [neuron]: the real cc,
except on the mod named Victim, where a shell snippet the test writes runs
first (`once`: removed before it runs; `always`: kept).
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import buildlib as bl
import glia_testlib as lib
import pylib

PKG = "glia_faults"
GOOD = f"glia__{PKG}__Good__0"
VICTIM = f"glia__{PKG}__Victim__0"
RETRY_TIMEOUT = 30.0  # retries come after 1 s, 2 s, 4 s...

WRAPPER = """#!/bin/sh
case "$*" in
*Victim*)
    if [ -e {ctl}/once ]; then mv {ctl}/once {ctl}/ran; . {ctl}/ran; fi
    if [ -e {ctl}/always ]; then . {ctl}/always; fi;;
esac
exec cc "$@"
"""


class Faults:
    """A site with Good and Victim, a gliad whose cc is the fault wrapper,
    and the wrapper's control dir."""

    def __init__(self, gliad, tmp_path, victim=None, daemon=None, env=None):
        self.site = tmp_path / "site"
        self.mods = self.site / PKG / "mods"
        lib.Venv(tmp_path / "venv", with_pip=False).install_target(
            self.site, lib.write_package(tmp_path / "src", PKG, {
                "mods/Good__0.mod": bl.tiny_mod(GOOD),
                "mods/Victim__0.mod": victim or bl.tiny_mod(VICTIM)}))
        self.base = gliad.base()
        self.ctl = self.base / "ctl"
        self.ctl.mkdir()
        self.cache = self.base / "cache"
        cc = self.base / "faultcc"
        cc.write_text(WRAPPER.format(ctl=self.ctl))
        cc.chmod(0o755)
        self.gliad = gliad
        self.config = bl.config_text(self.base, {"default": [self.site]}, daemon=daemon,
                                     sections={"neuron": {"cc": cc}})
        self.env = env

    def once(self, snippet):
        (self.ctl / "once").write_text(snippet + "\n")

    def always(self, snippet):
        (self.ctl / "always").write_text(snippet + "\n")

    def clear(self):
        for f in ("once", "always"):
            (self.ctl / f).unlink(missing_ok=True)

    def start(self):
        if self.env is None:
            return self.gliad(config_text=self.config, base=self.base)
        cfg = self.base / "gliad.ini"
        cfg.write_text(self.config)
        return self.gliad.launch(["--config", cfg], base=self.base, env=self.env,
                                 socket_path=self.base / "run/gliad.sock",
                                 state_dir=self.base / "state")


def cached_failures(d):
    db = sqlite3.connect(f"file:{d.state_dir}/gliad.db?mode=ro", uri=True)
    try:
        return db.execute("SELECT key, summary FROM failures").fetchall()
    finally:
        db.close()


def whole_library(d, timeout=RETRY_TIMEOUT):
    """Waits, with no request that would start a build, for a library with
    both mechanisms; returns the library's result."""
    res = {}

    def whole():
        res.update(bl.library(d, wait=False))
        return sorted(res["names"]) == [GOOD, VICTIM] and res["last_build"]["ok"]
    try:
        lib.wait_for(whole, timeout=timeout, what="the whole library")
    except AssertionError as e:
        raise AssertionError(f"{e}; the last answer: {res}\n{d.stderr()}") from None
    return res


def finished(d):
    """The library's result once a build has finished, else None."""
    res = bl.library(d, wait=False)
    return res if res["last_build"] else None


def assert_not_the_mods_failure(d):
    """Victim resolves (not built yet), and nothing blames it."""
    err, res = d.call("resolve", {"asset": "Victim"})
    assert err is None, err
    assert res["full"] == VICTIM and res["built"] is False, res
    assert d.ok("log")["failures"] == []
    assert cached_failures(d) == []


# ---- compiles that failed because of the environment --------------------------------

KILLED = "kill -9 $$"
OOM = 'echo "cc: fatal error: Killed signal terminated program cc1" >&2; exit 1'


def check_retried_after(gliad, tmp_path, snippet, reason):
    f = Faults(gliad, tmp_path)
    f.once(snippet)
    d = f.start()
    first = bl.library(d)  # the first build, failed: no library without Victim
    assert first["path"] is None and first["status"] == "failed", first
    b = first["last_build"]
    assert not b["ok"] and b["outside"] and b["failed"] == 0, b
    assert reason in b["error"] and "Victim__0.mod" in b["error"], b
    assert_not_the_mods_failure(d)
    # Tried again by itself (the fault happened once): the library is whole.
    res = whole_library(d)
    assert res["failed"] == 0 and res["stale"] is None
    assert set(bl.use_all(res["path"])["used"].values()) == {"ok"}
    assert cached_failures(d) == []


def test_a_compiler_killed_by_a_signal_is_retried_not_blamed(gliad, tmp_path):
    """(Once reported as Victim's failure, and never tried again until
    something else changed.)"""
    check_retried_after(gliad, tmp_path, KILLED, "killed by signal 9")


def test_a_compiler_whose_cc1_was_killed_is_retried_not_cached(gliad, tmp_path):
    """gcc exits 1 when the OOM killer takes cc1: its words tell. (Once
    cached by content: the mod stayed failed across restarts.)"""
    check_retried_after(gliad, tmp_path, OOM, "Killed signal terminated program")


def test_a_compiler_that_crashes_on_a_mod_fails_that_mod(gliad, tmp_path):
    """A compiler that segfaults on Victim does so every time: its verdict
    on Victim, cached; the library is linked without it. (Once taken for
    the environment's fault: no library at all, retried for ever.)"""
    f = Faults(gliad, tmp_path)
    f.always("kill -SEGV $$")
    d = f.start()
    res = bl.library(d)
    assert res["path"] is not None and res["names"] == [GOOD], f"{res}\n{d.stderr()}"
    assert not res["last_build"]["outside"] and res["last_build"]["failed"] == 1, res
    assert [x["full"] for x in d.ok("log")["failures"]] == [VICTIM]
    assert [k for k, _ in cached_failures(d)] != []
    assert d.call("resolve", {"asset": "Victim"})[0]["code"] == "build_failed"


def test_the_cache_removed_mid_compile(gliad, tmp_path):
    """The whole cache dir goes while Victim compiles: cc's input is gone.
    (Once cached as Victim's own error: "No such file or directory".)"""
    f = Faults(gliad, tmp_path)
    f.once(f"rm -rf {f.cache}")
    d = f.start()
    res = whole_library(d)
    assert cached_failures(d) == [] and d.ok("log")["failures"] == []
    assert set(bl.use_all(res["path"])["used"].values()) == {"ok"}
    assert not (f.ctl / "once").exists()  # the fault did happen


def test_a_mod_edited_while_it_compiles_is_not_reported_failed(gliad, tmp_path):
    """Victim does not compile as it was; it is fixed while cc runs on the
    old text. The failure belongs to text that is gone: never build_failed
    for the new one, nothing cached. The watcher is slow here (60 s): only
    gliad's own check after the failure can tell."""
    f = Faults(gliad, tmp_path, victim=bl.C_ERROR % VICTIM, daemon={"debounce_ms": 60000})
    fixed = f.base / "fixed.mod"
    fixed.write_text(bl.tiny_mod(VICTIM, 5))
    f.once(f"cp {fixed} {f.mods / 'Victim__0.mod'}")
    # Every compile of Victim after the edit is slow: the retry that follows
    # the failure (1 s later) cannot overtake the checks below.
    f.always(f"[ -e {f.ctl}/ran ] && sleep 3")
    d = f.start()
    # Not library {wait}: its sync would take the edit in before the check.
    first = lib.wait_for(lambda: finished(d), what="the first build's end")
    err, res = d.call("resolve", {"asset": "Victim", "sync": False})
    assert err is None and res["built"] is False, err
    assert d.ok("log")["failures"] == [] and cached_failures(d) == []
    assert "changed while it compiled" in first["last_build"]["error"], first
    f.clear()
    # A sync'd resolve takes the edit in; the new text builds.
    err, res = d.call("resolve", {"asset": "Victim", "sync": True})
    assert err is None, err
    res = whole_library(d)
    assert bl.range_default(res["path"], VICTIM) == 5


def test_a_failure_of_the_old_text_is_not_the_new_texts(gliad, tmp_path):
    """Victim failed (a real error, cached); then it is fixed, and its new
    text compiles slowly. While it does, resolve says it is not built yet,
    not that it failed: that failure was of the old text. (Once build_failed
    until the new build ended: test_watch_sync's flaky round 13.)"""
    f = Faults(gliad, tmp_path, victim=bl.C_ERROR % VICTIM)
    d = f.start()
    first = bl.library(d)
    assert [x["full"] for x in d.ok("log")["failures"]] == [VICTIM]
    assert d.call("resolve", {"asset": "Victim"})[0]["code"] == "build_failed"
    f.always(f"touch {f.ctl}/compiling; sleep 4")
    (f.mods / "Victim__0.mod").write_text(bl.tiny_mod(VICTIM, 7))
    t0 = time.monotonic()
    err, res = d.call("resolve", {"asset": "Victim", "sync": True})
    assert err is None, err
    assert res["full"] == VICTIM and res["built"] is False
    assert time.monotonic() - t0 < 3.5, "resolve waited for the build"
    f.clear()
    res = bl.library(d)
    assert res["generation"] > first["generation"]
    assert bl.range_default(res["path"], VICTIM) == 7


def test_a_failure_remembered_across_a_restart_is_not_the_new_texts(gliad, tmp_path):
    """The same when the mod was fixed while gliad was down: the failure
    read back at startup is of the text before."""
    f = Faults(gliad, tmp_path, victim=bl.C_ERROR % VICTIM)
    d = f.start()
    bl.library(d)
    assert d.call("resolve", {"asset": "Victim"})[0]["code"] == "build_failed"
    d.stop()
    time.sleep(1.1)  # a later second than the generation's
    (f.mods / "Victim__0.mod").write_text(bl.tiny_mod(VICTIM, 7))
    f.always("sleep 4")
    d.spawn()
    d.wait_ready()
    err, res = d.call("resolve", {"asset": "Victim", "sync": True})
    assert err is None, err
    assert res["full"] == VICTIM and res["built"] is False
    f.clear()
    assert bl.range_default(bl.library(d)["path"], VICTIM) == 7


def test_library_wait_says_the_library_is_old_and_why(gliad, tmp_path):
    f = Faults(gliad, tmp_path)
    d = f.start()
    good = bl.library(d)
    assert good["stale"] is None and good["generation"] == 1
    f.always(KILLED)
    bl.edit(f.mods / "Victim__0.mod", "gbar = 1\n", "gbar = 3\n")
    r = bl.ctl(d, "library", "--wait")
    assert r.rc == 0 and r.out == good["path"] + "\n", r
    assert r.err.startswith("gliactl: serving generation 1 from "), r
    assert "; the newest build failed: 1 mod not compiled for reasons outside it: " in r.err
    assert "killed by signal 9" in r.err
    assert r.err.rstrip().split("; ")[-1].startswith("retrying in "), r
    j = json.loads(bl.ctl(d, "--json", "library", "--wait").out)
    assert j["stale"]["since"] > 0 and "killed by signal 9" in j["stale"]["reason"]
    assert j["generation"] == 1
    f.clear()
    res = whole_library(d)
    assert res["generation"] == 2 and res["stale"] is None
    r = bl.ctl(d, "library", "--wait")
    assert r.rc == 0 and r.err == "", r


def test_the_module_says_when_it_loads_an_old_library(gliad, tmp_path):
    f = Faults(gliad, tmp_path)
    d = f.start()
    bl.library(d)
    f.always(KILLED)
    bl.edit(f.mods / "Victim__0.mod", "gbar = 1\n", "gbar = 3\n")
    py = pylib.Py(bl.NEURON_PYTHON, d.socket, tmp_path / "py")
    r = py.run("import glia\nglia.load_library()\nout(loaded=True)")
    assert r.ok() == {"loaded": True}
    assert "glia: loading generation 1 from " in r.err, r
    assert "; the newest build failed: 1 mod not compiled for reasons outside it: " in r.err
    assert "killed by signal 9" in r.err and "; retrying in " in r.err, r


# ---- what the cache holds is checked before it is reused ---------------------------

def test_a_damaged_library_is_relinked(gliad, tmp_path):
    """Garbage at the library's content-addressed path: `build --force`
    replaces it (once it republished the same garbage), so does a plain
    build, and a restart does not serve it."""
    f = Faults(gliad, tmp_path)
    d = f.start()
    res = bl.library(d)
    lib_path = Path(res["path"])
    good = lib_path.read_bytes()

    lib_path.write_bytes(b"\0garbage" * (len(good) // 8))
    assert bl.ctl(d, "build", "--force", "--wait").rc == 0
    assert bl.library(d)["path"] == str(lib_path)
    assert lib_path.read_bytes()[:4] == b"\x7fELF"
    assert set(bl.use_all(lib_path)["used"].values()) == {"ok"}

    with open(lib_path, "r+b") as fh:  # cut short
        fh.truncate(len(good) // 2)
    assert bl.ctl(d, "build", "--wait").rc == 0
    assert lib_path.stat().st_size == len(good)

    with open(lib_path, "r+b") as fh:
        fh.seek(len(good) // 2)
        fh.write(b"\xff" * 64)  # same size, other bytes
    d.restart()
    assert "is gone or damaged (its SHA-256 is not the one published)" in d.stderr()
    res = bl.library(d)
    assert res["path"] == str(lib_path)
    assert set(bl.use_all(lib_path)["used"].values()) == {"ok"}


def test_a_library_published_before_seals_is_served_and_sealed(gliad, tmp_path):
    """A library with no seal was published by an older gliad: served as
    it is, not relinked, and sealed. (Once every one was taken for damaged
    after an upgrade: no library until a rebuild.)"""
    f = Faults(gliad, tmp_path)
    d = f.start()
    res = bl.library(d)
    lib_path = Path(res["path"])
    seal = Path(f"{lib_path}.sha256")
    sealed, inode = seal.read_text(), lib_path.stat().st_ino
    seal.unlink()
    d.restart()
    again = bl.library(d)
    assert (again["path"], again["generation"]) == (res["path"], res["generation"]), again
    assert lib_path.stat().st_ino == inode
    assert "damaged" not in d.stderr()
    lib.wait_for(seal.exists, what="the seal")
    assert seal.read_text() == sealed


def test_a_forced_build_beside_another_gliads_set_aside_library(gliad, tmp_path):
    """Another gliad sharing the cache sets the same library aside while
    this one replaces it: their names differ. (Once both named it after the
    build's number, which starts at 1 in every gliad: the rename failed.)"""
    f = Faults(gliad, tmp_path)
    d = f.start()
    lib_dir = Path(bl.library(d)["path"]).parent
    for n in range(1, 20):  # what the other gliad's builds set aside
        (lib_dir.parent / f"{lib_dir.name}.old-{n}").mkdir()
        (lib_dir.parent / f"{lib_dir.name}.old-{n}" / "libglia.so").write_bytes(b"other")
    r = bl.ctl(d, "build", "--force", "--wait")
    assert r.rc == 0, f"{r}\n{d.stderr()}"
    assert bl.library(d)["last_build"]["ok"]


def test_a_build_with_nothing_to_do_does_not_read_the_library(gliad, tmp_path):
    """The library's digest is read once per file as it is on disk, not by
    every build: a build with nothing to do opens neither it nor its seal.
    (Once read whole on the loop thread by every build.)"""
    f = Faults(gliad, tmp_path)
    d = f.start()
    lib_path = bl.library(d)["path"]
    assert bl.ctl(d, "build", "--wait").rc == 0  # checked once here
    trace = tmp_path / "strace.txt"
    st = subprocess.Popen([STRACE, "-f", "-qq", "-e", "trace=open,openat", "-o", trace,
                           "-p", str(d.pid)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # attached to every thread
        assert bl.ctl(d, "build", "--wait").rc == 0
    finally:
        st.terminate()
        st.wait(lib.TIMEOUT)
    calls = trace.read_text()
    assert "openat" in calls or "open(" in calls, calls  # the trace saw the build
    assert lib_path not in calls, calls


def test_a_damaged_object_is_compiled_again(gliad, tmp_path):
    f = Faults(gliad, tmp_path)
    d = f.start()
    bl.library(d)
    objects = list((f.cache / "objects").glob("*/*.o"))  # the mods' and the package's
    assert len(objects) >= 2
    for o in objects:
        with open(o, "r+b") as fh:
            fh.truncate(o.stat().st_size // 2)
    # A new set (Victim edited): Good's object would be reused as it is.
    bl.edit(f.mods / "Victim__0.mod", "gbar = 1\n", "gbar = 4\n")
    res = bl.library(d)
    assert res["last_build"]["ok"] and res["last_build"]["compiled"] == 2, res["last_build"]
    assert "the cached object " in d.stderr() and "is damaged (cut short" in d.stderr()
    assert set(bl.use_all(res["path"])["used"].values()) == {"ok"}


STRACE = shutil.which("strace", path=lib.SYSTEM_PATH)


@pytest.mark.skipif(STRACE is None, reason="watching gliad's system calls needs strace")
def test_an_object_is_on_disk_before_it_is_renamed_into_the_cache(gliad, tmp_path):
    """The object is fsynced before its rename into the cache, and the dir
    after: a power cut leaves the old state or the whole new file, never an
    empty object at its key (which was renamed in unsynced)."""
    f = Faults(gliad, tmp_path)
    d = f.start()
    bl.library(d)
    trace = tmp_path / "strace.txt"
    st = subprocess.Popen([STRACE, "-f", "-y", "-qq", "-e", "trace=fsync,rename", "-o", trace,
                           "-p", str(d.pid)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # attached to every thread
        bl.edit(f.mods / "Victim__0.mod", "gbar = 1\n", "gbar = 9\n")
        bl.library(d)
    finally:
        st.terminate()
        st.wait(lib.TIMEOUT)
    calls = trace.read_text()
    (src, dest), = re.findall(rf'rename\("([^"]+/{VICTIM}\.o)", "([^"]+/objects/[^"]+\.o)"\) = 0',
                              calls)
    before, after = calls.split(f'rename("{src}", "{dest}")')
    assert re.search(rf"fsync\(\d+<{re.escape(src)}>\) = 0", before), calls
    objdir = os.path.dirname(dest)
    assert re.search(rf"fsync\(\d+<{re.escape(objdir)}>\) = 0", after), calls


# ---- compilers' temporary files ------------------------------------------------------

SUBCOMMAND = """#!/bin/sh
case "$1" in *as) touch {ctl}/assembling; sleep 30;; esac
exec "$@"
"""


def test_killed_compiles_leave_no_temporary_files_in_tmpdir(gliad, tmp_path):
    """gcc keeps its .s in $TMPDIR while `as` runs; a compile killed then
    (a cancelled build, gliad stopping) left it there. Compilers get
    gliad's own work dir as TMPDIR, removed with the task."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    f = Faults(gliad, tmp_path, env={"TMPDIR": tmpdir})
    sub = f.base / "subcommand"
    sub.write_text(SUBCOMMAND.format(ctl=f.ctl))
    sub.chmod(0o755)
    f.always(f'exec cc -wrapper {sub} "$@"')
    d = f.start()
    marker = f.ctl / "assembling"
    for _ in range(2):
        lib.wait_for(marker.exists, what="cc running as")
        marker.unlink()
        assert d.ok("build", {"force": True})["started"]  # kills the compile
    lib.wait_for(marker.exists, what="cc running as")
    d.stop()
    assert list(tmpdir.iterdir()) == []
    assert not list((f.cache / "tmp").glob("*/*/cc*"))


# ---- a full disk -------------------------------------------------------------------

UNSHARE = shutil.which("unshare", path=lib.SYSTEM_PATH)


def fill(fs, leave):
    """Fills the filesystem of dir fs but `leave` bytes; returns the filler."""
    filler = fs / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


@pytest.mark.skipif(os.geteuid() != 0 or UNSHARE is None,
                    reason="a tmpfs in a mount namespace of gliad's own needs root and unshare")
def test_disk_full_during_a_build_then_freed(gliad, tmp_path):
    """The cache is on a 16 MiB tmpfs (mounted in gliad's own mount
    namespace: nobody else sees it). It fills up, a package is installed,
    its build runs out of space; the space is freed, and the library comes
    back whole with no request but `library`. (Once the out-of-space errors
    were cached as the mods' own and the library never came back.)"""
    base = gliad.base()
    fs, site = base / "fs", base / "site"
    fs.mkdir(), site.mkdir()
    cfg = lib.write_config(base / "gliad.ini", socket_path=base / "run/gliad.sock",
                           state_dir=base / "state", cache_dir=fs / "cache",
                           envs={"default": [site]},
                           daemon_extra={"jobs": 2, "debounce_ms": 50, "log_level": "info"})
    mount = f'mount -t tmpfs -o size=16m glia-test {fs} && exec "$0" "$@"'
    d = gliad.launch(["--config", cfg], base=base, socket_path=base / "run/gliad.sock",
                     state_dir=base / "state",
                     wrapper=[UNSHARE, "-m", "--propagation", "private", "sh", "-c", mount])
    assert bl.library(d)["generation"] == 1  # an empty library, in the cache on the tmpfs
    seen = Path(f"/proc/{d.pid}/root") / str(fs).lstrip("/")  # the tmpfs, as gliad sees it
    filler = fill(seen, 0)
    lib.Venv(base / "venv", with_pip=False).install_target(site, lib.write_package(
        base / "src", PKG, {"mods/Good__0.mod": bl.tiny_mod(GOOD),
                            "mods/Victim__0.mod": lib.demo_mods()["HHk"][0]}))
    full = bl.library(d)
    assert d.ok("log")["failures"] == []
    assert full["generation"] == 1 and full["stale"] is not None, full
    assert "No space left on device" in full["stale"]["reason"] or \
        "nearly full" in full["stale"]["reason"], full["stale"]
    filler.unlink()
    res = {}

    def whole():
        res.update(bl.library(d, wait=False))
        return len(res["names"]) == 2
    lib.wait_for(whole, timeout=RETRY_TIMEOUT, what="the whole library after the space came back")
    assert res["last_build"]["ok"] and res["stale"] is None
    in_ns = Path(f"/proc/{d.pid}/root") / res["path"].lstrip("/")
    assert set(bl.use_all(in_ns)["used"].values()) == {"ok"}
