"""gliad's SQLite state across versions of gliad."""

import sqlite3

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
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
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
