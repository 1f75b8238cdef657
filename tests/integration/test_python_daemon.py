"""The glia Python module and the life of gliad around it: starting gliad
when nobody answers, carrying on across a restart, following `gliactl select`
made in another shell while a script runs, and saying what a long first
build is doing.

Each test has a gliad of its own (or none); scripts run in fresh processes
of the session venv's python (or of a venv of the test's own).
"""

import os
import shutil
import subprocess
import time

import pytest

import glia_testlib as lib
from glia_testlib import NA_0, NA_T, AMPA_1
import pylib


@pytest.fixture(scope="module")
def test_mods_site(tmp_path_factory, main_site):
    """A site dir holding glia_test_mods alone: 4 mods, a quick cold build."""
    root = tmp_path_factory.mktemp("test_mods")
    main_site.venv.install_target(root / "site", lib.copy_test_package(root / "src"))
    return root / "site"


@pytest.fixture
def d(gliad, test_mods_site):
    return gliad({"default": [test_mods_site]})


# ---- starting gliad -----------------------------------------------------------------------

@pytest.fixture
def nobody():
    """A socket path nobody listens on; at the end, any gliad found
    answering there (one the module started) is stopped."""
    base = lib.short_tmpdir()
    sock = base / "run/gliad.sock"
    yield sock
    pid = pylib.hello_pid(sock)
    if pid is not None:
        pylib.stop_pid(pid)
    shutil.rmtree(base, ignore_errors=True)


def test_autostart(main_site, tmp_path, nobody):
    py = pylib.Py(main_site.venv.python, nobody, tmp_path, glia_env=None, autostart=True,
                  extra={"GLIAD": lib.gliad_binary()})
    code = """
        import os, sys
        import glia as g
        from neuron import h
        s = h.Section(name="s")
        g.insert(s, "Na", variant="t")
        out(mechs=density(s), sid=os.getsid(0), prefix=sys.prefix)
    """
    r = py.ok(code)
    assert r["mechs"] == [NA_T]
    pid = pylib.hello_pid(nobody)
    assert pid is not None, "no gliad answers after the script ended"
    # Detached: a session of its own, outliving the script that started it.
    assert os.getsid(pid) == pid != r["sid"]
    with lib.Rpc(nobody) as c:
        err, envs = c.call("envs")
    assert err is None and r["prefix"] in [e["name"] for e in envs]
    # Its output goes to the log under XDG_STATE_HOME, not to the script.
    log = py.workdir / "home/state/glia/gliad.log"
    assert log.is_file() and "listening on" in log.read_text()
    # A second script finds it running and starts no other.
    assert py.ok(code)["mechs"] == [NA_T]
    assert pylib.hello_pid(nobody) == pid
    assert pylib.stop_pid(pid), "the autostarted gliad ignored SIGTERM"
    lib.assert_no_sanitizer_reports(log.read_text())


def test_no_autostart_says_how_to_start(main_site, tmp_path, nobody):
    py = pylib.Py(main_site.venv.python, nobody, tmp_path, glia_env=None)
    assert py.env["GLIA_NO_AUTOSTART"] == "1"
    r = py.ok("""
        import glia  # connects on first use, not at import
        try:
            glia.resolve("Na")
            out(resolved=True)
        except Exception as e:
            out(type=type(e).__name__, bases=[b.__name__ for b in type(e).__mro__],
                msg=str(e))
    """)
    assert r["type"] == "GliaError", r
    assert "gliad" in r["msg"] and str(nobody) in r["msg"]
    assert "systemctl --user start gliad" in r["msg"] or "gliad &" in r["msg"], r["msg"]
    assert pylib.hello_pid(nobody) is None


def first_use_error(py):
    """What glia's first request raised in py's script: {type, msg}."""
    return py.ok("""
        import glia
        try:
            glia.resolve("Na")
            out(resolved=True)
        except Exception as e:
            out(type=type(e).__name__, msg=str(e))
    """)


def test_autostart_failure_says_how_to_start(main_site, tmp_path, nobody):
    py = pylib.Py(main_site.venv.python, nobody, tmp_path, glia_env=None, autostart=True,
                  extra={"GLIAD": tmp_path / "no-such-gliad"})
    r = first_use_error(py)
    assert r["type"] == "GliaError", r
    assert "no-such-gliad" in r["msg"] and "systemctl --user start gliad" in r["msg"], r


# ---- a gliad that changes under a running script ------------------------------------------

def test_reconnects_after_a_restart(d, py):
    s = py.start("""
        from neuron import h
        import glia as g
        a = h.Section(name="a")
        g.insert(a, "Na")
        out(before=density(a))
        wait_go("restart")
        b = h.Section(name="b")
        g.insert(b, "Na")                          # maybe cached
        g.insert(b, "Na", variant="t")             # surely asked anew
        pp = g.insert(b, "AMPA", variant="1").__neuron__()
        out(after=density(b), pp=pp.hname(), resolved=g.resolve("Na", variant="t"))
    """)
    assert s.wait_for("restart") == [{"before": [NA_0]}]
    old = d.pid
    d.restart()
    assert d.pid != old
    s.go()
    r = s.finish().ok()
    assert r["after"] == sorted([NA_0, NA_T]) and r["pp"] == AMPA_1 + "[0]"
    assert r["resolved"] == NA_T


def test_reconnect_waits_for_a_slow_restart(d, py):
    # gliad is still down when the script next needs it: the module waits
    # a little for it to come back (as systemd or a person restarts it)
    # instead of failing, or starting a second one.
    s = py.start("""
        from neuron import h
        import glia as g
        a = h.Section(name="a")
        g.insert(a, "Na")
        wait_go("stopped")
        pp = g.insert(a, "AMPA", variant="1").__neuron__()
        out(mechs=density(a), pp=pp.hname())
    """)
    try:
        s.wait_for("stopped")
        d.stop()
        s.go()
        time.sleep(1.0)
        d.spawn()
        d.wait_ready()
        r = s.finish().ok()
    finally:
        s.kill()
    assert r == {"mechs": [NA_0], "pp": AMPA_1 + "[0]"}


@pytest.fixture
def cpu_load():
    """Busy processes, two per CPU, for the length of the test: the module's
    reading thread must not get to run first by luck."""
    procs = [subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"])
             for _ in range(2 * (os.cpu_count() or 1))]
    yield
    for p in procs:
        p.kill()
        p.wait()


def test_gliactl_select_changes_the_next_insert(d, py, cpu_load):
    # The module caches resolutions; gliad's prefs.changed must reach it
    # before the next insert, every time, not most of the time. Under load
    # the thread reading notifications may run after the script inserts;
    # the module's SIGURG must not (without it, a few rounds in 24 failed).
    rounds = [None, "t", "0", "t", None, "t", "0", "t"] * 3
    s = py.start(f"""
        from neuron import h
        import glia as g
        for i in range({len(rounds)}):
            if i:
                wait_go(str(i))
            s = h.Section(name="s%d" % i)
            g.insert(s, "Na")                  # right after the go
            t = h.Section(name="t%d" % i)
            g.insert(t, "Na")                  # and once more, surely cached
            out(**{{str(i): [density(s), density(t)]}})
    """)
    try:
        for i, variant in enumerate(rounds):
            if i:
                s.wait_for(str(i))
                r = d.ctl("select", "Na", "--variant", variant) if variant else \
                    d.ctl("unselect", "Na")
                assert r.rc == 0, r
                s.go()
        r = s.finish().ok()
    finally:
        s.kill()
    want = {str(i): [[NA_T if v == "t" else NA_0]] * 2 for i, v in enumerate(rounds)}
    assert r == want


def test_notifications_during_a_simulation_change_nothing_in_it(d, py):
    # The module's SIGURG arrives while NEURON computes (and while Python
    # sleeps and reads): nothing in NEURON or Python may notice.
    s = py.start("""
        from neuron import h
        import glia as g
        h.load_file("stdrun.hoc")
        soma = h.Section(name="soma")
        soma.L = soma.diam = 20
        g.insert(soma, "hh")
        stim = g.insert(soma, "IClamp", attributes={"delay": 1, "dur": 1e9, "amp": 0.2})
        other = h.Section(name="other")
        g.insert(other, "Na", variant="t")
        def run():
            v = h.Vector().record(soma(0.5)._ref_v)
            h.finitialize(-65)
            h.continuerun(1000)
            v = list(v)
            return len(v), sum(1 for a, b in zip(v, v[1:]) if a < 0 <= b)
        quiet = run()
        wait_go("noisy")
        before = g._manager.cache.epoch
        noisy = [run() for _ in range(5)]
        during = g._manager.cache.epoch - before   # caches dropped while it ran
        wait_go("selected")
        g.insert(other, "Na")                  # after all those selects: variant 0
        out(quiet=quiet, noisy=noisy, during=during, mechs=density(soma),
            other=density(other))
    """)
    try:
        s.wait_for("noisy")
        s.go()
        for i in range(30):
            assert d.ctl("select", "Na", "--variant", "t0"[i % 2]).rc == 0
        s.go()
        r = s.finish().ok()
    finally:
        s.kill()
    assert r["quiet"][1] > 10, r
    assert r["noisy"] == [r["quiet"]] * 5, r
    assert r["during"] > 0, r
    assert r["mechs"] == ["hh"] and r["other"] == sorted([NA_0, NA_T])


def test_gliactl_select_reaches_a_program_that_owns_sigurg(d, py):
    # The module borrows SIGURG to hear gliad at once; a program with its
    # own handler keeps it, and the reading thread alone delivers (within
    # Python's switch interval: the script gives it a moment).
    s = py.start("""
        import signal, time
        mine = lambda signum, frame: None
        signal.signal(signal.SIGURG, mine)
        from neuron import h
        import glia as g
        for i in range(3):
            if i:
                wait_go(str(i))
                time.sleep(0.2)
            s = h.Section(name="s%d" % i)
            g.insert(s, "Na")
            out(**{str(i): density(s)})
        out(kept=signal.getsignal(signal.SIGURG) is mine)
    """)
    try:
        for i, variant in ((1, "t"), (2, "0")):
            s.wait_for(str(i))
            assert d.ctl("select", "Na", "--variant", variant).rc == 0
            s.go()
        r = s.finish().ok()
    finally:
        s.kill()
    assert r == {"0": [NA_0], "1": [NA_T], "2": [NA_0], "kept": True}


def test_gliactl_select_right_after_a_restart(d, py):
    # The notification connection is lost with the old gliad too. A
    # preference changed before it is back must not be missed: the module
    # must not keep answering from a cache nobody invalidates any more.
    s = py.start("""
        from neuron import h
        import glia as g
        for i in range(3):
            if i:
                wait_go(str(i))
            s = h.Section(name="s%d" % i)
            g.insert(s, "Na")
            out(**{str(i): density(s)})
    """)
    try:
        s.wait_for("1")
        d.restart()
        s.go()
        s.wait_for("2")  # it inserted (and may have cached) on the new gliad
        assert d.ctl("select", "Na", "--variant", "t").rc == 0
        s.go()
        r = s.finish().ok()
    finally:
        s.kill()
    assert r == {"0": [NA_0], "1": [NA_0], "2": [NA_T]}


def test_gliactl_select_before_any_insert(d, py):
    # Between import (connect, register) and the first insert: nothing is
    # cached yet, yet the preference must apply.
    s = py.start("""
        from neuron import h
        import glia as g
        wait_go("imported")
        s = h.Section(name="s")
        g.insert(s, "Na")
        out(mechs=density(s))
    """)
    try:
        s.wait_for("imported")
        assert d.ctl("select", "Na", "--variant", "t").rc == 0
        s.go()
        assert s.finish().ok() == {"mechs": [NA_T]}
    finally:
        s.kill()


def test_builtins_without_any_glia_package(gliad, main_site, tmp_path):
    # An environment with no Glia package still has a library (an empty
    # one) and NEURON's own mechanisms.
    d = gliad()
    r = pylib.Py(main_site.venv.python, d.socket, tmp_path).ok("""
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        g.insert(s, "hh")
        clamp = g.insert(s, "IClamp", attributes={"amp": 0.3})
        out(mechs=density(s), clamp=clamp.__neuron__().hname(), amp=clamp.__neuron__().amp)
    """)
    assert r == {"mechs": ["hh"], "clamp": "IClamp[0]", "amp": 0.3}


def test_site_dir_whose_name_is_not_utf8(gliad, main_site, test_mods_site, tmp_path):
    """Paths are the file system's bytes: gliad passes them on as they are,
    and the module decodes them as os.fsdecode does (it raised
    UnicodeDecodeError on such a reply)."""
    site = tmp_path / os.fsdecode(b"site-\xff")
    shutil.copytree(test_mods_site, site)
    d = gliad({"default": [site]})
    r = pylib.Py(main_site.venv.python, d.socket, tmp_path).ok("""
        import os
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        g.insert(s, "Na")
        roots = [os.fsencode(p.root) for p in g.get_packages() if p.name == "glia_test_mods"]
        out(mechs=density(s), ff=[b"site-\\xff" in r for r in roots])
    """)
    assert r == {"mechs": [NA_0], "ff": [True]}


# ---- a long first build ---------------------------------------------------------------------

def test_long_first_build_shows_progress(gliad, fresh_venv, tmp_path):
    n = 30
    fresh_venv.install(pylib.many_mods_package(tmp_path / "src", n))
    d = gliad()  # its default env is empty: the build starts when the script registers
    py = pylib.Py(fresh_venv.python, d.socket, tmp_path / "run", glia_env=None)
    out = py.run("""
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        g.insert(s, "K7")
        lib = g.compile()               # nothing left to do: no progress
        out(mechs=density(s), n=lib["mechanisms"])
    """)
    r = out.ok()
    assert r == {"mechs": ["glia__glia_many__K7__0"], "n": n}
    lines = [l for l in out.err.splitlines() if "building" in l]
    assert lines, out
    figures = [tuple(map(int, m.groups())) for m in map(pylib.PROGRESS.search, lines) if m]
    assert figures and all(total == n and 0 <= done <= n for done, total in figures), lines
    assert [f for f, _ in figures] == sorted(f for f, _ in figures), lines


# ---- the README's example package ----------------------------------------------------------

def test_the_readme_example_package(gliad, main_site, tmp_path):
    """examples/glia_example, as the README's walk-through uses it: Leak's
    variants give the membrane time constants their conductances imply
    (cm / g: 10 ms and 1 ms), and Syn depolarises on an event."""
    site = tmp_path / "site"
    main_site.venv.install_target(site, lib.REPO / "examples/glia_example")
    d = gliad({"default": [site]})
    r = pylib.Py(main_site.venv.python, d.socket, tmp_path).ok("""
        from neuron import h
        import glia as g
        h.load_file("stdrun.hoc")
        def tau(variant):
            s = h.Section(name="s")
            s.L = s.diam = 10
            g.insert(s, "Leak", variant=variant, attributes={"e": -70})
            clamp = g.insert(s, "IClamp", attributes={"delay": 0, "dur": 1e9, "amp": 0.001})
            v, t = h.Vector().record(s(0.5)._ref_v), h.Vector().record(h._ref_t)
            h.dt = 0.01
            h.finitialize(-70)
            h.continuerun(100)
            vs, ts = list(v), list(t)
            target = vs[0] + (vs[-1] - vs[0]) * (1 - 2.718281828 ** -1)
            return next(tt for vv, tt in zip(vs, ts) if vv >= target)
        soma = h.Section(name="soma")
        soma.L = soma.diam = 10
        g.insert(soma, "Leak")
        syn = g.insert(soma, "Syn", attributes={"tau": 2})
        stim = h.NetStim()
        stim.number, stim.start = 1, 5
        nc = h.NetCon(stim, syn.__neuron__())
        nc.weight[0] = 0.01
        v = h.Vector().record(soma(0.5)._ref_v)
        h.finitialize(-70)
        h.continuerun(20)
        out(slow=tau("0"), fast=tau("fast"), peak=max(v), rest=v[0],
            names=sorted(soma.psection()["density_mechs"]), params=g.insert(
                soma, "Leak").parameters)
    """)
    assert r["slow"] == pytest.approx(10.0, rel=0.05), r
    assert r["fast"] == pytest.approx(1.0, rel=0.05), r
    assert r["peak"] > r["rest"] + 5, r
    assert r["names"] == ["glia__glia_example__Leak__0"]
    assert r["params"] == {"g": ["0.0001", "S/cm2"], "e": ["-70", "mV"]}


def test_how_to_start_names_tools_run(main_site, tmp_path, nobody):
    """Before installing, gliad is not on PATH: both messages name tools/run."""
    for autostart, extra in ((False, None), (True, {"GLIAD": tmp_path / "no-such-gliad"})):
        py = pylib.Py(main_site.venv.python, nobody, tmp_path / str(autostart), glia_env=None,
                      autostart=autostart, extra=extra)
        r = first_use_error(py)
        assert r["type"] == "GliaError", r
        assert "run `gliad &` (from a source tree: tools/run)" in r["msg"], r
