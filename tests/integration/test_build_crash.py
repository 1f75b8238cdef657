"""gliad killed with SIGKILL in the middle of a build of 40 mods, then
started again on the same state and cache: the database is intact, the
last good generation is served (and loads) at once, the build completes,
and no compiler outlived the daemon.
"""

import os
import signal
import sqlite3
from pathlib import Path

import buildlib as bl
import glia_testlib as lib

FIRST = "glia__glia_first__A__0"
MANY = 40


def db_rows(state_dir, sql):
    db = sqlite3.connect(f"file:{state_dir}/gliad.db?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def sigkill_alone(d):
    """SIGKILL to gliad itself, not its process group: what its children
    do then is up to gliad (gliad-child's PR_SET_PDEATHSIG)."""
    os.kill(d.pid, signal.SIGKILL)
    d.returncode = d.proc.wait(lib.TIMEOUT)
    d.reaped = True
    d.log.close()
    assert d.returncode == -signal.SIGKILL


def test_sigkill_during_a_build_then_restart(gliad, fresh_venv, tmp_path):
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_first", {
        "mods/A__0.mod": bl.tiny_mod(FIRST)}))
    d = gliad({"default": [fresh_venv.site]})
    good = bl.library(d)
    assert good["names"] == [FIRST] and good["generation"] == 1

    # 40 more mods: the build that follows is killed once it is under way,
    # with at least one new object in the cache.
    c = bl.subscribe(d)
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_many",
                                         bl.demo_copies(MANY, "glia_many")))
    note = bl.next_note(c, "build.progress", lambda p: p["total"] == MANY + 1 and p["done"] >= 2)
    st = d.ok("status")
    assert st["envs"][0]["building"] and st["compile_queue"] > 0, st
    cache = Path(st["cache_dir"])
    killed = d.pid
    assert (cache / "tmp" / bl.work_dir_name(killed)).is_dir()
    sigkill_alone(d)
    c.close()

    # Compilers die with gliad (a cc1 may finish the file it was given).
    left = bl.wait_no_processes_mentioning(str(d.base))
    assert not left, f"compiler processes outlived gliad: {left}"

    # The database is consistent and knows only the good generation.
    assert db_rows(d.state_dir, "PRAGMA integrity_check") == [("ok",)]
    gens = db_rows(d.state_dir, "SELECT gen, path FROM generations WHERE env = 'default'")
    assert gens == [(1, good["path"])]

    d.spawn()
    d.wait_ready()
    # At once, before any build: the last good generation, which loads.
    now = bl.library(d, wait=False)
    assert (now["generation"], now["path"], now["names"]) == (1, good["path"], [FIRST])
    assert now["status"] in ("scanning", "building"), now
    r = bl.use_all(now["path"])
    assert r["added"] == {FIRST: "density"} and r["used"] == {FIRST: "ok"}
    assert bl.ctl(d, "library").out == good["path"] + "\n"

    # The build completes, keeping what was compiled before the kill.
    res = bl.library(d)
    assert res["generation"] == 2 and res["mechanisms"] == MANY + 1
    assert sorted(res["names"]) == sorted(
        [FIRST] + [f"glia__glia_many__C{i}__0" for i in range(MANY)])
    b = res["last_build"]
    assert b["ok"] and b["failed"] == 0
    assert b["compiled"] + b["cached"] == MANY + 1
    assert b["cached"] >= note["done"], (b, note)
    r = bl.use_all(res["path"])
    assert sorted(r["added"]) == sorted(res["names"])
    assert set(r["used"].values()) == {"ok"}
    assert db_rows(d.state_dir, "PRAGMA integrity_check") == [("ok",)]
    assert [g for g, in db_rows(d.state_dir, "SELECT gen FROM generations ORDER BY gen")] == [1, 2]
    # The killed run's work dirs went with the restart.
    assert not (cache / "tmp" / bl.work_dir_name(killed)).exists()
    assert {p.name for p in (cache / "tmp").iterdir()} <= {bl.work_dir_name(d.pid)}


def test_gliads_sharing_a_cache_keep_each_others_work_dirs(gliad, main_site):
    """Two gliads (two sockets) on one cache: the second's start removed the
    first's work dirs mid-compile ("....o: No such file or directory"), and
    their build and compile numbers, both starting at 1, named the same
    dirs. Each works in tmp/<host id>-<pid>; a start removes only dead gliads' dirs."""
    a = gliad({"default": [main_site.site]})
    cache = Path(a.ok("status")["cache_dir"])
    mine = cache / "tmp" / bl.work_dir_name(a.pid)
    mine.mkdir(parents=True, exist_ok=True)
    (mine / "in-use").write_text("")
    dead = cache / "tmp" / "999999999"   # past pid_max: no such process
    legacy = cache / "tmp" / "c1-0123456789abcdef"  # an older gliad's layout
    # This host before a reboot: every process of that boot is gone, a
    # running pid of now notwithstanding.
    host = bl.work_dir_name(a.pid).rsplit(".", 1)[0]
    rebooted = cache / "tmp" / f"{host}.000000000000-{a.pid}"
    # Another host's, with a pid of a live process here: not ours to judge.
    elsewhere = cache / "tmp" / f"otherhost.0123456789ab-{a.pid}"
    for x in (dead, legacy, rebooted, elsewhere):
        x.mkdir(parents=True)
        (x / "left").write_text("")
    base = gliad.base()
    cfg = base / "gliad.ini"
    lib.write_config(cfg, socket_path=base / "b.sock", state_dir=base / "state",
                     cache_dir=cache, envs={"default": [main_site.site]})
    b = gliad.launch(["--config", cfg], base=base, socket_path=base / "b.sock")
    assert b.ok("library", {"wait": True})["path"]
    assert (mine / "in-use").exists()
    assert not dead.exists() and not legacy.exists() and not rebooted.exists()
    assert (elsewhere / "left").exists()
    assert a.ok("library", {"wait": True})["path"]
