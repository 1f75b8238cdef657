"""Scripts, packages and the `glia` command of the Python Glia, unchanged.

A venv holds the glia module (pip-installed, so its `glia` command is the
venv's) and glia_compat, a Glia 4 package written as Glia 4 writes them:
its __init__.py builds `package = Package(...)` from `glia`. Its mods:
Leak (density), Syn (a point process with a NET_RECEIVE) and Bad, which
compiles but fails at finitialize. gliad's `default` environment is an
empty site dir, so every answer about glia_compat shows that the module
and the command spoke for the venv they run in.
"""

import os
import subprocess

import pytest

import glia_testlib as lib
import pylib

PKG = "glia_compat"
LEAK, SYN, BAD = (f"glia__{PKG}__{a}__0" for a in ("Leak", "Syn", "Bad"))
SYN_1 = f"glia__{PKG}__Syn__1"

LEAK_MOD = f"""
NEURON {{ SUFFIX {LEAK} NONSPECIFIC_CURRENT i RANGE g, e }}
UNITS {{ (mV) = (millivolt) (mA) = (milliamp) }}
PARAMETER {{ g = 0.001 (S/cm2) e = -65 (mV) }}
ASSIGNED {{ v (mV) i (mA/cm2) }}
BREAKPOINT {{ i = g * (v - e) }}
"""

# An exponential synapse whose NET_RECEIVE scales each event by U.
SYN_MOD = """
NEURON {{ POINT_PROCESS {name} RANGE tau, e, i, U NONSPECIFIC_CURRENT i }}
UNITS {{ (nA) = (nanoamp) (mV) = (millivolt) (uS) = (microsiemens) }}
PARAMETER {{ tau = 2 (ms) e = 0 (mV) U = 1 }}
ASSIGNED {{ v (mV) i (nA) }}
STATE {{ g (uS) }}
INITIAL {{ g = 0 }}
BREAKPOINT {{ SOLVE state METHOD cnexp i = g * (v - e) }}
DERIVATIVE state {{ g' = -g / tau }}
NET_RECEIVE (weight (uS)) {{ g = g + weight * U }}
"""

# Compiles and loads; raises a hoc error (no abort) at finitialize.
BAD_MOD = f"""
NEURON {{ SUFFIX {BAD} }}
INITIAL {{
VERBATIM
    hoc_execerror("{BAD}", "fails at finitialize on purpose");
ENDVERBATIM
}}
"""

INIT = f'''"""A Glia 4 package, declared as Glia 4 packages declare themselves."""
from pathlib import Path

from glia import Mod, Package

package = Package(
    "{PKG}",
    Path(__file__).resolve().parent,
    mods=[
        Mod("mods/Leak__0.mod", "Leak"),
        Mod("mods/Syn__0.mod", "Syn", is_point_process=True),
        Mod("mods/Syn__1.mod", "Syn", variant="1", is_point_process=True),
        Mod("mods/Bad__0.mod", "Bad"),
    ],
)
'''


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("compat")
    proj = lib.write_package(root / "src", PKG, {
        "mods/Leak__0.mod": LEAK_MOD, "mods/Syn__0.mod": SYN_MOD.format(name=SYN),
        "mods/Syn__1.mod": SYN_MOD.format(name=SYN_1), "mods/Bad__0.mod": BAD_MOD})
    (proj / PKG / "__init__.py").write_text(INIT)
    v = lib.Venv(root / "venv", with_pip=False)
    v.install(lib.REPO / "client/python", proj)
    return v


@pytest.fixture(scope="module")
def d(module_gliad, tmp_path_factory, venv):
    empty = tmp_path_factory.mktemp("empty-site")
    d = module_gliad({"default": [empty]})
    return d


@pytest.fixture
def py(d, venv, tmp_path):
    """Scripts of the venv's python, registering the venv themselves."""
    p = pylib.Py(venv.python, d.socket, tmp_path, glia_env=None)
    yield p
    p.close()


def glia(d, venv, tmp_path, *args, socket=None, timeout=None):
    """Runs the venv's `glia` command, gliactl on PATH."""
    env = pylib.script_env(tmp_path / "home", socket or d.socket, glia_env=None,
                           extra={"PYTHONPATH": None})
    env["PATH"] = f"{lib.gliactl_binary().parent}:{env['PATH']}"
    r = subprocess.run([str(venv.path / "bin/glia"), *args], env=env, capture_output=True,
                           text=True, timeout=timeout or pylib.SCRIPT_TIMEOUT, cwd=tmp_path)
    return lib.CtlResult(r.returncode, r.stdout, r.stderr)


# ---- scripts --------------------------------------------------------------------------

def test_a_glia_05_script(py):
    """Glia 0.5's insert: attributes in third place, the synapse returned
    is the NEURON object a NetCon connects to."""
    r = py.ok("""
        from neuron import h
        import glia
        h.load_file("stdrun.hoc")
        soma = h.Section(name="soma")
        soma.L = soma.diam = 10
        soma.nseg = 5
        leak = glia.insert(soma, "Leak", {"g": 0.0002, "e": -70})
        syn = glia.insert(soma, "Syn", {"tau": 3}, None, "0")
        far = glia.insert(soma, "Syn", None, "glia_compat", "1", 0.3)
        stim = h.NetStim()
        stim.number, stim.start = 1, 5
        nc = h.NetCon(stim, syn)
        nc.weight[0] = 0.005
        v = h.Vector().record(soma(0.5)._ref_v)
        def peak():
            h.finitialize(-70)
            h.continuerun(30)
            return v.max() + 70
        got = {"g": soma(0.5).g_glia__glia_compat__Leak__0, "tau": syn.tau,
               "target": nc.syn().hname(), "far": round(far.get_segment().x, 2),
               "firing": peak()}
        syn.U = 0
        got["U"] = syn.U
        got["silent"] = peak()
        try:
            syn.tua = 1
        except AttributeError as e:
            got["typo"] = [str(e), isinstance(e, LookupError)]
        out(**got)
    """)
    assert (r["g"], r["tau"], r["U"], r["far"]) == (0.0002, 3, 0, 0.3), r
    assert r["target"] == SYN + "[0]", r
    assert r["firing"] > 1.0 and r["silent"] < 0.01, r
    assert "tua" in r["typo"][0] and r["typo"][1], r


def test_glia_4_keyword_forms(py):
    r = py.ok("""
        from neuron import h
        import glia
        s = h.Section(name="s")
        s.nseg = 5
        leak = glia.insert(s, "Leak", "0", "glia_compat", attributes={"g": 0.002})
        syn = glia.insert(s, "Syn", "0", pkg="glia_compat", attributes={"tau": 4}, x=0.3)
        syn.set("e", -10)
        got = {"leak": [type(leak).__name__, leak.mod_name, leak.get_parameter("g")],
               "syn": [isinstance(syn, glia.MechAccessor), syn.__neuron__() is syn,
                       syn.get_parameter("tau"), syn.e, round(syn.get_segment().x, 2),
                       sorted(syn.parameters)],
               "same class": type(syn) is type(glia.insert(s, ("Syn", "0"))),
               "resolve": [glia.resolve(("Leak", "0", "glia_compat")), glia.resolve(("Leak",)),
                           glia.resolve(("Syn", "1"))]}
        for what, call in (("density", lambda: leak.set("nope", 1)),
                           ("point", lambda: syn.set("nope", 1)),
                           ("insert", lambda: glia.insert(s, "Syn", attributes={"nope": 1}))):
            try:
                call()
            except AttributeError as e:
                got[what] = str(e)
        out(**got)
    """)
    assert r["leak"] == ["MechAccessor", LEAK, 0.002], r
    assert r["syn"] == [True, True, 4, -10, 0.3, ["U", "e", "tau"]], r
    assert r["same class"] and r["resolve"] == [LEAK, LEAK, SYN_1], r
    assert all("nope" in r[k] for k in ("density", "point", "insert")), r


def test_a_point_process_resolved_before_follows_the_preferences(py):
    """The second insert of a point process takes the fast path; a change
    of preferences is seen by the next one all the same."""
    r = py.ok("""
        from neuron import h
        import glia
        s = h.Section(name="s")
        glia.select("Syn", variant="0")
        got = [glia.insert(s, "Syn"), glia.insert(s, "Syn")]
        fast = "Syn" in glia._manager.fast.point
        glia.select("Syn", variant="1")
        got.append(glia.insert(s, "Syn"))
        with glia.context(assets={"Syn": {"variant": "0"}}):
            got.append(glia.insert(s, "Syn"))
        got.append(glia.insert(s, "Syn", x=0.2))
        out(names=[p.hname().split("[")[0] for p in got], fast=fast,
            types=len({type(p) for p in got}))
    """)
    assert r["names"] == [SYN, SYN, SYN_1, SYN, SYN_1] and r["fast"], r
    assert r["types"] == 2, r


def test_a_glia_4_package_imports_and_describes_its_mods(py, venv, tmp_path):
    # No gliad needed to import a package: nothing listens on this socket.
    nobody = py.with_env(GLIA_SOCKET=tmp_path / "nobody.sock")
    r = nobody.ok(f"""
        import glia, {PKG}
        p = {PKG}.package
        out(type=type(p) is glia.Package, name=p.name, root=str(p.root), path=str(p.path),
            mods=[[m.mod_name, m.asset_name, m.variant, m.pkg_name, m.pkg is p,
                   m.is_point_process, m.path.is_file(), type(m) is glia.Mod] for m in p.mods])
    """)
    root = str(venv.site / PKG)
    assert r["type"] and r["name"] == PKG and r["root"] == r["path"] == root, r
    assert r["mods"] == [[LEAK, "Leak", "0", PKG, True, False, True, True],
                         [SYN, "Syn", "0", PKG, True, True, True, True],
                         [SYN_1, "Syn", "1", PKG, True, True, True, True],
                         [BAD, "Bad", "0", PKG, True, False, True, True]], r


def test_noload_leaves_loading_to_the_program(py):
    r = py.with_env(GLIA_NOLOAD=1).ok("""
        from neuron import h
        import glia
        s = h.Section(name="s")
        try:
            glia.insert(s, "Leak")
            got = {"before": "inserted"}
        except glia.GliaError as e:
            got = {"before": type(e).__name__}
        path = glia._manager.call("library", {"wait": True})["path"]
        h.nrn_load_dll(path)
        glia.insert(s, "Leak")
        got["after"] = density(s)
        out(**got)
    """)
    assert r == {"before": "LibraryError", "after": [LEAK]}, r


# ---- the glia command ---------------------------------------------------------------------

def test_glia_alone_prints_help(d, venv, tmp_path):
    r = glia(d, venv, tmp_path)
    assert r.rc == 0 and r.out.startswith("usage: glia"), r
    for cmd in ("compile", "test", "list", "select", "show", "show-pkg", "cache"):
        assert cmd in r.out, (cmd, r)


def test_glia_list_and_show_answer_for_the_venv(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "list")
    assert r.rc == 0 and "Leak" in r.out and "Syn" in r.out, r
    r = glia(d, venv, tmp_path, "show", "Syn")
    assert r.rc == 0 and f"resolves to {SYN}" in r.out, r
    assert lib.gliactl("list", socket=d.socket).out.count("\n") <= 1  # default: empty


@pytest.mark.parametrize("args", [["-p", PKG, "-v", "0"], ["--package", PKG],
                                  [f"--pkg={PKG}", "--variant=0"]])
def test_glia_select(d, venv, tmp_path, args):
    r = glia(d, venv, tmp_path, "select", "Leak", *args)
    try:
        assert r.rc == 0, r
        assert d.ok("prefs")["assets"]["Leak"]["pkg"] == PKG, r
    finally:
        d.ok("unselect", {"asset": "Leak"})


def test_glia_unknown_asset_or_package_is_a_usage_error(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "show", "NoSuchAsset")
    assert r.rc == 2 and 'Unknown ASSET "NoSuchAsset"' in r.err and r.out == "", r
    r = glia(d, venv, tmp_path, "show-pkg", "nosuch")
    assert r.rc == 2 and 'Unknown PACKAGE "nosuch"' in r.err and r.out == "", r


def test_glia_show_pkg_matches_part_of_a_name(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "show-pkg", "compat")
    assert r.rc == 0 and PKG in r.out and "Leak" in r.out, r


def test_glia_test_named_mechanisms(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "test", "Leak", SYN)
    assert r.rc == 0, r
    assert r.out.splitlines() == ["[OK] Leak", f"[OK] {SYN}",
                                  "Tests finished: 2 out of 2 passed"], r
    r = glia(d, venv, tmp_path, "test", "Leak", "NoSuchMech")
    assert r.rc == 1 and "[?] NoSuchMech" in r.out, r
    assert "Tests finished: 1 out of 2 passed" in r.out, r


def test_glia_test_reports_a_mechanism_failing_at_finitialize(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "test", "--verbose", "Bad")
    assert r.rc == 1 and r.out.startswith("[ERROR] Bad\n"), r
    assert "fails at finitialize on purpose" in r.out, r
    assert "Tests finished: 0 out of 1 passed" in r.out, r


def test_glia_compile_builds_then_tests_everything(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "compile")
    assert r.rc == 1, r
    lines = r.out.splitlines()
    assert f"[ERROR] {BAD}" in lines and f"[OK] {LEAK}" in lines and f"[OK] {SYN}" in lines, r
    assert f"[OK] {SYN_1}" in lines and lines[-1] == "Tests finished: 3 out of 4 passed", r


def test_glia_cache(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "cache")
    assert r.rc == 0 and r.out.strip().endswith(".so") and os.path.isfile(r.out.strip()), r
    r = glia(d, venv, tmp_path, "cache", "--clear")
    assert r.rc == 0 and os.path.isfile(r.out.strip()), r
    # Built anew: every mod compiled again, none taken from the cache.
    env = next(e["name"] for e in d.ok("envs") if e["name"] != "default")
    last = d.ok("library", {"env": env})["last_build"]
    assert (last["compiled"], last["cached"]) == (4, 0), last


def test_glia_says_glia(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "list", socket=tmp_path / "nobody.sock")
    assert r.rc == 3 and r.err.startswith("glia: gliad is not running"), r
    r = glia(d, venv, tmp_path, "select", "Leak", "--pkg")
    assert r.rc == 2 and "gliactl" not in r.err, r


def test_nocompile_takes_the_library_as_built(gliad, fresh_venv, tmp_path):
    """GLIA_NOCOMPILE=1 never waits for a build: while gliad builds a new
    environment's first library the script is told there is none; once it
    is built, the script uses it."""
    fresh_venv.install(pylib.many_mods_package(tmp_path / "src", 8, name="glia_nocompile"))
    (tmp_path / "empty").mkdir()
    d = gliad({"default": [tmp_path / "empty"]})
    py = pylib.Py(fresh_venv.python, d.socket, tmp_path / "w", glia_env=None)
    script = """
        import glia
        try:
            glia.load_library()
            out(loaded=True)
        except glia.LibraryError as e:
            out(error=str(e))
    """
    try:
        first = py.with_env(GLIA_NOCOMPILE=1).ok(script)
        waited = py.ok(script)
        built = py.with_env(GLIA_NOCOMPILE=1).ok(script)
    finally:
        py.close()
    assert "no mechanism library" in first.get("error", ""), first
    assert waited == built == {"loaded": True}, (waited, built)


def test_glia_runs_gliactls_other_commands_for_the_venv(d, venv, tmp_path):
    r = glia(d, venv, tmp_path, "resolve", "Leak")
    assert (r.rc, r.out) == (0, LEAK + "\n"), r
    r = glia(d, venv, tmp_path, "resolve", "Leak", "--env", "default")
    assert r.rc == 1 and "Leak" in r.err and r.err.startswith("glia:"), r


def test_glia_cache_clear_drops_the_older_libraries(gliad, tmp_path):
    """`glia cache --clear`: built anew, and the environment's older
    libraries gone (no live process loaded them)."""
    proj = lib.write_package(tmp_path / "src", "glia_clear", {
        "mods/Leak__0.mod": LEAK_MOD.replace(LEAK, "glia__glia_clear__Leak__0")})
    venv = lib.Venv(tmp_path / "venv", with_pip=False)
    venv.install(lib.REPO / "client/python", proj)
    (tmp_path / "empty").mkdir()
    d = gliad({"default": [tmp_path / "empty"]})
    r = glia(d, venv, tmp_path, "cache")
    assert r.rc == 0, r
    first = r.out.strip()
    (venv.site / "glia_clear/mods/Two__0.mod").write_text(
        LEAK_MOD.replace(LEAK, "glia__glia_clear__Two__0"))
    r = glia(d, venv, tmp_path, "cache")
    second = r.out.strip()
    assert r.rc == 0 and second != first and os.path.isfile(first), r
    r = glia(d, venv, tmp_path, "cache", "--clear")
    assert r.rc == 0 and r.out.strip() == second, r
    lib.wait_for(lambda: not os.path.exists(first), what=f"{first} to be collected")
    assert os.path.isfile(second)
