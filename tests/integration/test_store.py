"""gliad's SQLite state across versions of gliad."""

import contextlib
import os
import sqlite3
import subprocess

import pytest

import glia_testlib as lib

# The tables of schema version 1, the first one gliad shipped.
V1 = """
CREATE TABLE prefs(asset TEXT PRIMARY KEY, pkg TEXT, variant TEXT, updated INTEGER);
CREATE TABLE builtins(neuron TEXT, name TEXT, kind TEXT, PRIMARY KEY(neuron, name));
CREATE TABLE packages(env TEXT, name TEXT, version TEXT, entry TEXT, module TEXT,
  layout TEXT, site TEXT, dist_info TEXT, root TEXT, editable INTEGER, problems INTEGER);
CREATE TABLE mods(env TEXT, full TEXT, pkg TEXT, asset TEXT, variant TEXT, kind TEXT,
  path TEXT, mtime_ns INTEGER, size INTEGER);
INSERT INTO prefs VALUES('Na', NULL, 't', 0);
PRAGMA user_version = 1;
"""


def test_a_version_1_database_is_brought_up_to_date(gliad, main_site):
    base = gliad.base()
    state = base / "state"
    state.mkdir()
    db = sqlite3.connect(state / "gliad.db")
    db.executescript(V1)
    db.close()
    d = gliad({"default": [main_site.site]}, base=base, state_dir=state)
    lib_ = d.ok("library", {"wait": True})
    assert lib_["path"] and lib_["last_build"]["ok"], lib_
    assert d.ok("prefs")["assets"] == {"Na": {"pkg": None, "variant": "t"}}
    assert d.ok("resolve", {"asset": "Na"})["full"] == "glia__glia_test_mods__Na__t"
    db = sqlite3.connect(state / "gliad.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM generations").fetchone()[0] >= 1
    db.close()


def test_a_database_of_a_newer_gliad_is_refused(gliad):
    base = gliad.base()
    state = base / "state"
    state.mkdir()
    db = sqlite3.connect(state / "gliad.db")
    db.execute("PRAGMA user_version = 99")
    db.close()
    cfg = base / "gliad.ini"
    lib.write_config(cfg, state_dir=state, cache_dir=base / "cache", envs={"default": [base]},
                     socket_path=base / "s.sock")
    rc, log = gliad.run_to_exit(["--config", cfg], base=base)
    assert rc != 0 and "newer gliad (schema 99" in log, log


def test_a_failed_upgrade_says_what_sqlite_said(gliad):
    """The schema upgrade's own error, not the ROLLBACK's after it (which
    was "not an error")."""
    base = gliad.base()
    state = base / "state"
    state.mkdir()
    db = sqlite3.connect(state / "gliad.db")
    db.executescript(V1 + "CREATE VIEW mods_env AS SELECT 1;")
    db.close()
    cfg = base / "gliad.ini"
    lib.write_config(cfg, state_dir=state, cache_dir=base / "cache", envs={"default": [base]},
                     socket_path=base / "s.sock")
    rc, log = gliad.run_to_exit(["--config", cfg], base=base)
    errors = [l for l in log.splitlines() if "cannot create the schema" in l]
    assert rc != 0 and len(errors) == 1, log
    assert "mods_env" in errors[0] and "not an error" not in errors[0], log


# ---- a damaged or unwritable state --------------------------------------------------

PAS = {"pas": {"pkg": "NEURON", "variant": None}}


def with_a_preference(gliad):
    """A gliad that stored a preference, stopped: its state dir."""
    d = gliad()
    assert d.ok("select", {"asset": "pas", "pkg": "NEURON"})["matches"] == 1
    d.stop()
    text = (d.state_dir / "preferences.txt").read_text()
    assert "pas\tNEURON\t\n" in text, text
    return d


def drop_wal(state):
    for part in ("-wal", "-shm"):
        (state / f"gliad.db{part}").unlink(missing_ok=True)


def test_an_emptied_database_gets_its_preferences_back(gliad):
    """A 0-byte gliad.db (a full disk, a bad copy) is an empty database to
    SQLite: the preferences were silently gone."""
    d = with_a_preference(gliad)
    drop_wal(d.state_dir)
    (d.state_dir / "gliad.db").write_bytes(b"")
    d.spawn().wait_ready()
    assert d.ok("prefs")["assets"] == PAS
    assert f"{d.state_dir}/gliad.db was new or damaged: 1 preference restored from " \
        f"{d.state_dir}/preferences.txt" in d.stderr()


@pytest.mark.parametrize("damage", ["pages", "header"])
def test_a_damaged_database_is_set_aside_and_the_preferences_restored(gliad, damage):
    d = with_a_preference(gliad)
    drop_wal(d.state_dir)
    db = d.state_dir / "gliad.db"
    data = bytearray(db.read_bytes())
    if damage == "pages":  # every page but the first: the tables' b-trees
        data[4096:] = b"\xa5" * (len(data) - 4096)
    else:
        data[:100] = b"\xa5" * 100
    db.write_bytes(bytes(data))
    d.spawn().wait_ready()
    assert d.ok("prefs")["assets"] == PAS
    (aside,) = d.state_dir.glob("gliad.db.corrupt-*[0-9]")
    assert aside.read_bytes() == bytes(data)
    log = d.stderr()
    assert f"{db} is damaged (" in log and f"set aside as {aside}; starting with a new one" in log
    assert "1 preference restored" in log, log
    db = sqlite3.connect(db)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()


@contextlib.contextmanager
def unwritable(path):
    """path may not be written, even by root (who ignores permissions)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o500)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o700)


@pytest.mark.parametrize("used", [False, True])
def test_a_read_only_state_dir_says_so(gliad, used):
    """It said "unable to open database file"."""
    base = gliad.base()
    state = base / "state"
    state.mkdir()
    if used:
        gliad(state_dir=state).stop()
        drop_wal(state)
    cfg = base / "gliad.ini"
    lib.write_config(cfg, state_dir=state, cache_dir=base / "cache", envs={"default": [base]},
                     socket_path=base / "s.sock")
    with unwritable(state):
        rc, log = gliad.run_to_exit(["--config", cfg], base=base)
    assert rc == 1, log
    assert f"state_dir {state} is not writable: " in log or \
        f"state dir {state} is not writable: " in log, log
    assert "; set [daemon] state_dir" in log and "unable to open" not in log, log
