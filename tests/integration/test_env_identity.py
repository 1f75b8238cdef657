"""One environment per set of site-packages: a script's Python registers
(sys.prefix and its site dirs) and joins the environment gliad serves for
those dirs already, a configured one with its own name and backend above
all; Pythons whose own dirs differ are environments apart (sharing the
system's dist-packages, as every --system-site-packages venv does); one
whose own dirs a configured environment serves only in part is refused,
naming both; a configured environment added (SIGHUP) for a registered one
takes it over, with its library and who loaded it.
"""

import os
import sqlite3

import buildlib as bl
import glia_testlib as lib
import pylib
import watchlib as wl
from watchlib import full

MINE = full("glia_mine", "Mine")
MINE_FAST = full("glia_mine", "Mine", "fast")

# Inserts Mine, and says which environment the script joined.
INSERT = """
import glia
from neuron import h
s = h.Section(name="s")
glia.insert(s, "Mine")
out(env=glia.env, mechs=density(s))
"""


def venv_with(path, pkg, assets):
    """A --system-site-packages venv holding Glia package pkg."""
    venv = lib.Venv(path, with_pip=False)
    wl.fake_install(venv.site, pkg, assets)
    return venv


def mine_venv(path):
    return venv_with(path, "glia_mine", {
        "mods/Mine__0.mod": wl.mod("glia_mine", "Mine"),
        "mods/Mine__fast.mod": wl.mod("glia_mine", "Mine", variant="fast"),
    })


def registering(python, d, workdir):
    """Scripts that register their own Python, as without GLIA_ENV."""
    return pylib.Py(python, d.socket, workdir, glia_env=None)


def env_names(d):
    return [e["name"] for e in d.ok("envs")]


def empty_site(d_base):
    site = d_base / "empty-site"
    site.mkdir(exist_ok=True)
    return site


def test_module_joins_the_configured_environment_and_its_backend(gliad, tmp_path):
    venv = mine_venv(tmp_path / "venv")
    base = gliad.base()
    d = gliad(config_text=bl.config_text(
        base, {"default": [empty_site(base)], "sim": [venv.site]},
        sections={"env:sim": {"backend": "nrnivmodl"}}), base=base)
    built = wl.library(d, env="sim")
    sim = wl.env_status(d, "sim")
    compilers = d.ok("status")["compiler_processes"]
    assert sim["backend"] == "nrnivmodl", sim

    py = registering(venv.python, d, tmp_path / "py")
    r = py.ok(INSERT)
    # The configured environment, its library: nothing indexed or built again.
    assert r == {"env": "sim", "mechs": [MINE]}, r
    assert env_names(d) == ["default", "sim"]
    assert d.ok("status")["compiler_processes"] == compilers
    after = wl.env_status(d, "sim")
    assert (after["backend"], after["generation"], after["builds"]) == \
        ("nrnivmodl", built["generation"], sim["builds"]), after
    assert after["joined_by"] == [str(venv.path)], after
    assert f"  joined by: {venv.path}\n" in d.ctl("status").out

    # The `glia` command of that Python addresses it too, not `default`.
    bindir = lib.gliactl_binary().resolve().parent
    glia_cmd = py.with_env(PATH=f"{bindir}:{os.environ['PATH']}")
    r = glia_cmd.run("import sys; from glia._cli import main; sys.argv[1:] = ['resolve', 'Mine']; "
                     "main()")
    assert (r.rc, r.out) == (0, MINE + "\n"), r


def test_two_venvs_are_two_environments_and_a_symlinked_one_the_same(gliad, tmp_path):
    a = venv_with(tmp_path / "a", "glia_a", wl.mods_of("glia_a", {"Ay": "HHk"}))
    b = venv_with(tmp_path / "b", "glia_b", wl.mods_of("glia_b", {"Bee": "HHna"}))
    d = gliad()
    code = "import glia\nout(env=glia.env, full=glia.resolve({!r}))\n"
    assert registering(a.python, d, tmp_path / "pa").ok(code.format("Ay")) == \
        {"env": str(a.path), "full": full("glia_a", "Ay")}
    assert registering(b.python, d, tmp_path / "pb").ok(code.format("Bee")) == \
        {"env": str(b.path), "full": full("glia_b", "Bee")}
    # Both see the system's dist-packages: sharing those makes them no less two.
    assert env_names(d) == ["default", str(a.path), str(b.path)]

    # The same venv by another path: the same dirs once resolved.
    link = tmp_path / "link-to-a"
    link.symlink_to(a.path)
    r = registering(link / "bin/python", d, tmp_path / "pl").ok(code.format("Ay"))
    assert r == {"env": str(a.path), "full": full("glia_a", "Ay")}, r
    assert env_names(d) == ["default", str(a.path), str(b.path)]
    assert wl.env_status(d, str(a.path))["joined_by"] == [str(link)]
    # Forgetting the name that joined leaves the environment to the others.
    assert d.ok("env.forget", {"name": str(link)}) == {"name": str(link)}
    assert env_names(d) == ["default", str(a.path), str(b.path)]
    assert wl.env_status(d, str(a.path))["joined_by"] == []


def test_partial_overlap_is_refused_naming_both(gliad, tmp_path):
    venv = mine_venv(tmp_path / "venv")
    other = tmp_path / "other-site"
    other.mkdir()
    base = gliad.base()
    envs = {"default": [empty_site(base)], "sim": [venv.site, other]}
    d = gliad(config_text=bl.config_text(base, envs), base=base)
    py = registering(venv.python, d, tmp_path / "py")

    r = py.run(INSERT)
    assert r.rc != 0, r
    assert f"the Python at {venv.path} installs into {venv.site}, and environment 'sim' " \
           f"serves {venv.site}:{other}" in r.err, r
    assert "allow_overlap = yes" in r.err, r
    assert env_names(d) == ["default", "sim"]

    # Told to, gliad serves the two apart.
    lib.sighup(d, bl.config_text(base, envs, daemon={"allow_overlap": "yes"}))
    assert py.ok(INSERT) == {"env": str(venv.path), "mechs": [MINE]}
    assert env_names(d) == ["default", "sim", str(venv.path)]


def loaded_rows(d):
    db = sqlite3.connect(f"file:{d.state_dir}/gliad.db?mode=ro", uri=True)
    try:
        return db.execute("SELECT env, gen, pid FROM loaded ORDER BY env, gen, pid").fetchall()
    finally:
        db.close()


def test_sighup_merges_a_registered_environment_into_a_configured_one(gliad, tmp_path):
    venv = mine_venv(tmp_path / "venv")
    base = gliad.base()
    envs = {"default": [empty_site(base)]}
    d = gliad(config_text=bl.config_text(base, envs), base=base)
    py = registering(venv.python, d, tmp_path / "py")
    try:
        merge_under_a_running_script(d, py, base, envs, str(venv.path), venv.site)
    finally:
        py.close()

    # After a restart, the same: the registration stored joins "sim".
    gen = wl.env_status(d, "sim")["generation"]
    d.restart()
    assert env_names(d) == ["default", "sim"]
    sim = wl.env_status(d, "sim")
    assert (sim["generation"], sim["joined_by"]) == (gen, [str(venv.path)]), sim


def merge_under_a_running_script(d, py, base, envs, name, site):
    # SIGURG taken, the module hears of changes by its thread alone, which
    # heeds only notes for the environment it registered under.
    s = py.start("import signal\nsignal.signal(signal.SIGURG, lambda *a: None)\n"
                 "import glia\nglia.env  # registers\nwait_go('registered')\n" + INSERT + """
out(gen=glia._manager.library.generation)
wait_go("merged")
t = h.Section(name="t")
glia.insert(t, "Mine")
out(after=density(t))
""")
    s.wait_for("registered")
    assert d.ok("select", {"asset": "Mine", "variant": "fast", "env": name})["matches"] == 1
    s.go()
    r = {k: v for x in s.wait_for("merged") for k, v in x.items()}
    gen = r.get("gen")
    assert r == {"env": name, "mechs": [MINE_FAST], "gen": gen} and gen, r
    before = wl.env_status(d, name)
    compilers = d.ok("status")["compiler_processes"]
    assert loaded_rows(d) == [(name, gen, s.proc.pid)]

    envs["sim"] = [site]
    lib.sighup(d, bl.config_text(base, envs))
    wl.library(d, env="sim")
    assert env_names(d) == ["default", "sim"]
    sim = wl.env_status(d, "sim")
    assert sim["joined_by"] == [name], sim
    assert (sim["generation"], sim["builds"]) == (gen, before["builds"]), sim
    assert d.ok("status")["compiler_processes"] == compilers
    assert loaded_rows(d) == [("sim", gen, s.proc.pid)]
    assert wl.resolved(d, "Mine", env="sim") == MINE_FAST  # the preference holds
    # The script, still using the name it registered under, goes on, and
    # hears of sim's changes: the preferred variant gone, Mine is Mine__0.
    (site / "glia_mine/mods/Mine__fast.mod").unlink()
    d.ok("sync", {"env": "sim"})
    wl.library(d, env="sim")
    s.go()
    assert s.finish().ok()["after"] == [MINE]
