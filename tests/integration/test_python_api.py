"""The glia Python module against a real gliad: the Python Glia's API and the
examples of its README, run as written, each checking in NEURON itself that
the mechanism went in.

Every script runs in a fresh process of the session venv's python (NEURON
cannot unload a library). Environments of this module's daemon:
  default = the session venv: glia_test_mods (Na 0/t, AMPA 0/1), glia_demo
            (NEURON's demo mods: HHna, HHk, ...), glia_plain (Kdr 0/fast)
  dup     = the same plus glia_rival, which offers HHna and Na too
  broken  = the same as default plus glia_broken (Kok compiles, Kbad does not)
"""

import pytest

import glia_testlib as lib
from glia_testlib import NA_0, NA_T, AMPA_0, AMPA_1, DEMO_HHNA, DEMO_HHK, RIVAL_HHNA, RIVAL_NA
import pylib

KDR_FAST = "glia__glia_plain__Kdr__fast"
KOK = "glia__glia_broken__Kok__0"
KBAD = "glia__glia_broken__Kbad__0"
# The C part of the module (insert's fast path, the wire codec), absent in a sanitizer build.
SPEEDUPS = lib.SPEEDUPS
# Runs a test with the module as built, and as pure Python (its sources alone).
with_and_without_c = pytest.mark.parametrize("speedups", [
    pytest.param(True, marks=pytest.mark.skipif(not SPEEDUPS, reason="a build without the "
                                                "C speedups (a sanitizer build)")),
    False], ids=["C", "python"])


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory, main_site):
    root = tmp_path_factory.mktemp("broken")
    proj, line = pylib.broken_package(root / "src")
    main_site.venv.install_target(root / "site", proj)
    return root / "site", line


@pytest.fixture(scope="module")
def d(module_gliad, main_site, rival_site, broken_site):
    return module_gliad({"default": [main_site.site],
                         "dup": [main_site.site, rival_site],
                         "broken": [main_site.site, broken_site[0]]})


@pytest.fixture(autouse=True)
def no_global_prefs(d):
    """Tests that select globally leave nothing behind for the next."""
    yield
    for asset in d.ok("prefs")["assets"]:
        d.ok("unselect", {"asset": asset})


@pytest.fixture
def dup(py):
    return py.with_env(GLIA_ENV="dup")


# ---- the README's examples, as written ------------------------------------------------

def test_single_use_pkg_and_variant(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        a, b, c = h.Section(name="a"), h.Section(name="b"), h.Section(name="c")
        m = g.insert(a, "Na", pkg="glia_test_mods", variant="t")
        g.insert(b, "Na", "t", "glia_test_mods")   # the positional spelling
        g.insert(c, "Na")                           # no preference: variant 0
        out(a=density(a), b=density(b), c=density(c), name=m.mod_name)
    """)
    assert r == {"a": [NA_T], "b": [NA_T], "c": [NA_0], "name": NA_T}


def test_single_use_pkg_settles_an_ambiguity(dup):
    r = dup.ok("""
        from neuron import h
        import glia as g
        a, b = h.Section(name="a"), h.Section(name="b")
        g.insert(a, "HHna", pkg="glia_rival")
        g.insert(b, "HHna", pkg="glia_demo")
        out(a=density(a), b=density(b))
    """)
    assert r == {"a": [RIVAL_HHNA], "b": [DEMO_HHNA]}


def test_context_with_pkg(dup):
    r = dup.ok("""
        from neuron import h
        import glia as g
        a, b, c = h.Section(name="a"), h.Section(name="b"), h.Section(name="c")
        with g.context(pkg="glia_rival"):
            g.insert(a, "HHna")
        with g.context(package="glia_demo"):     # the README's spelling
            g.insert(b, "HHna")
        try:                                      # the context is over
            g.insert(c, "HHna")
            after = "inserted"
        except g.TooManyMatchesError:
            after = "ambiguous"
        out(a=density(a), b=density(b), c=density(c), after=after)
    """)
    assert r == {"a": [RIVAL_HHNA], "b": [DEMO_HHNA], "c": [], "after": "ambiguous"}


def test_context_with_assets(dup):
    r = dup.ok("""
        from neuron import h
        import glia as g
        a, b = h.Section(name="a"), h.Section(name="b")
        with g.context(assets={"HHna": {"package": "glia_demo"},
                               "Na": {"package": "glia_test_mods", "variant": "t"}}):
            g.insert(a, "HHna")
            g.insert(a, "Na")
        with g.context(assets={"HHna": {"pkg": "glia_rival"}}):
            g.insert(b, "HHna")
        out(a=density(a), b=density(b))
    """)
    assert r == {"a": sorted([DEMO_HHNA, NA_T]), "b": [RIVAL_HHNA]}


def test_context_combined_pkg_and_assets(dup):
    # "preferring a certain package unless the dictionary specifies otherwise",
    # field by field: Na's own variant with the general package.
    r = dup.ok("""
        from neuron import h
        import glia as g
        a, b, c = h.Section(name="a"), h.Section(name="b"), h.Section(name="c")
        with g.context(pkg="glia_rival",
                       assets={"Na": {"package": "glia_test_mods", "variant": "t"}}):
            g.insert(a, "HHna")
            g.insert(b, "Na")
        with g.context(pkg="glia_test_mods", assets={"Na": {"variant": "t"}}):
            g.insert(c, "Na")
        out(a=density(a), b=density(b), c=density(c))
    """)
    assert r == {"a": [RIVAL_HHNA], "b": [NA_T], "c": [NA_T]}


def test_nested_contexts_innermost_wins(dup):
    r = dup.ok("""
        from neuron import h
        import glia as g
        def put(name):
            s = h.Section(name=name)
            g.insert(s, "HHna")
            return density(s)
        got = {}
        with g.context(pkg="glia_demo"):
            got["outer"] = put("outer")
            with g.context(pkg="glia_rival"):
                got["inner"] = put("inner")
                with g.context(assets={"HHna": {"package": "glia_demo"}}):
                    got["innermost"] = put("innermost")
                got["inner again"] = put("inner2")
            got["outer again"] = put("outer2")
        out(**got)
    """)
    assert r == {"outer": [DEMO_HHNA], "inner": [RIVAL_HHNA], "innermost": [DEMO_HHNA],
                 "inner again": [RIVAL_HHNA], "outer again": [DEMO_HHNA]}


def test_select_script_scope(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        section_global_Na = h.Section(name="global")
        section_local_Na = h.Section(name="local")
        g.insert(section_global_Na, "Na")       # the default
        g.select("Na", pkg="glia_test_mods", variant="t")
        g.insert(section_local_Na, "Na")        # the one selected above
        g.select("AMPA", None, "1")             # the Python Glia's positions
        pp = g.insert(section_local_Na, "AMPA").__neuron__()
        out(glob=density(section_global_Na), local=density(section_local_Na),
            pp=pp.hname())
    """)
    assert r == {"glob": [NA_0], "local": [NA_T], "pp": AMPA_1 + "[0]"}


def test_scopes_rank_script_context_call(dup):
    r = dup.ok("""
        from neuron import h
        import glia as g
        def put(name, **kw):
            s = h.Section(name=name)
            g.insert(s, "HHna", **kw)
            return density(s)
        g.select("HHna", pkg="glia_rival")
        got = {"script": put("s")}
        with g.context(pkg="glia_demo"):
            got["context"] = put("c")
            got["call"] = put("k", pkg="glia_rival")
        got["script again"] = put("s2")
        out(**got)
    """)
    assert r == {"script": [RIVAL_HHNA], "context": [DEMO_HHNA], "call": [RIVAL_HHNA],
                 "script again": [RIVAL_HHNA]}


def test_global_preference_from_gliactl(d, py, dup):
    # The README's `glia select Kv1 --pkg=... --variant=...`, before the script.
    r = d.ctl("select", "Na", "--pkg=glia_test_mods", "--variant=t")
    assert r.rc == 0, r
    r = d.ctl("--env", "dup", "select", "HHna", "--pkg=glia_rival")
    assert r.rc == 0, r
    code = """
        from neuron import h
        import glia as g
        a, b = h.Section(name="a"), h.Section(name="b")
        g.insert(a, "Na")
        {more}
        out(a=density(a), b=density(b))
    """
    assert py.ok(code.format(more="g.insert(b, 'Na', variant='0')")) == {"a": [NA_T],
                                                                         "b": [NA_0]}
    assert dup.ok(code.format(more="g.insert(b, 'HHna')")) == {"a": [NA_T], "b": [RIVAL_HHNA]}


def test_global_preference_from_python(d, py):
    # select(..., glbl=True) stores it in gliad, for every later script.
    r = py.ok("""
        import glia as g
        g.select("AMPA", glbl=True, variant="1")
        try:
            g.select("AMPA", "nope", glbl=True)
            bad = "accepted"
        except g.NoMatchesError as e:
            bad = str(e)
        out(bad=bad)
    """)
    assert "nope" in r["bad"]
    assert d.ok("prefs") == {"assets": {"AMPA": {"pkg": None, "variant": "1"}}}
    assert py.ok("""
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        out(pp=g.insert(s, "AMPA").__neuron__().hname())
    """) == {"pp": AMPA_1 + "[0]"}


# ---- insert, attributes, MechAccessor ---------------------------------------------------

def test_attributes_change_the_simulation(py):
    # A Hodgkin-Huxley soma made of glia_demo's HHna/HHk, NEURON's pas and
    # an IClamp, all through glia.insert: it fires with the default sodium
    # conductance and the clamp on, not with either taken away.
    r = py.ok("""
        from neuron import h
        import glia as g
        soma = h.Section(name="soma")
        soma.L = soma.diam = 20
        leak = g.insert(soma, "pas", attributes={"g": 0.0003, "e": -54.3})
        na = g.insert(soma, "HHna", attributes={"gnabar": 0.12})
        k = g.insert(soma, "HHk", attributes={"gkbar": 0.036})
        stim = g.insert(soma, "IClamp", attributes={"delay": 5, "dur": 30, "amp": 0.5})
        got = {"mechs": density(soma), "g_pas": soma(0.5).g_pas,
               "gnabar": na.get_parameter("gnabar"), "amp": stim.__neuron__().amp}
        got["firing"] = spikes(soma)
        na.set("gnabar", 0)
        got["no sodium"] = spikes(soma)
        na.set({"gnabar": 0.12})
        stim.set("amp", 0)
        got["no stimulus"] = spikes(soma)
        stim.set({"amp": 0.5})
        got["again"] = spikes(soma)
        out(**got)
    """)
    assert r["mechs"] == sorted(["pas", DEMO_HHNA, DEMO_HHK])
    assert (r["g_pas"], r["gnabar"], r["amp"]) == (0.0003, 0.12, 0.5)
    assert r["firing"] >= 2 and r["again"] == r["firing"], r
    assert r["no sodium"] == 0 and r["no stimulus"] == 0, r


def test_passive_time_constant_follows_g_pas(py):
    # tau = cm / g_pas: with cm 1 uF/cm2, g 0.001 S/cm2 gives 1 ms, 0.0001 gives 10.
    r = py.ok("""
        from neuron import h
        import glia as g
        h.load_file("stdrun.hoc")
        def tau(gpas):
            s = h.Section(name="s")
            s.L = s.diam = 10
            g.insert(s, "pas", attributes={"g": gpas, "e": -70})
            # keep the clamp: a point process lives as long as its reference
            clamp = g.insert(s, "IClamp", attributes={"delay": 0, "dur": 1e9, "amp": 0.001})
            v = h.Vector().record(s(0.5)._ref_v)
            t = h.Vector().record(h._ref_t)
            h.dt = 0.01
            h.finitialize(-70)
            h.continuerun(100)
            vs, ts = list(v), list(t)
            target = vs[0] + (vs[-1] - vs[0]) * (1 - 2.718281828 ** -1)
            return next(tt for vv, tt in zip(vs, ts) if vv >= target)
        out(fast=tau(0.001), slow=tau(0.0001))
    """)
    assert r["fast"] == pytest.approx(1.0, rel=0.05), r
    assert r["slow"] == pytest.approx(10.0, rel=0.05), r


def test_point_processes(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        s = h.Section(name="dend")
        s.nseg = 5
        syn = g.insert(s, "AMPA", x=0.3)
        pp = syn.__neuron__()
        mid = g.insert(s, "AMPA", variant="1").__neuron__()   # x defaults to 0.5
        out(name=syn.mod_name, type=type(pp).__name__, hname=pp.hname(),
            x=pp.get_segment().x, sec=pp.get_segment().sec.name(),
            mid=mid.hname(), mid_x=mid.get_segment().x, mechs=density(s),
            r=repr(syn))
    """)
    assert r["name"] == AMPA_0 and r["hname"] == AMPA_0 + "[0]"
    assert AMPA_0 in r["type"] or r["type"] == "HocObject"
    assert (r["x"], r["sec"]) == (pytest.approx(0.3), "dend")
    assert (r["mid"], r["mid_x"]) == (AMPA_1 + "[0]", pytest.approx(0.5))
    assert r["mechs"] == [] and "point process" in r["r"]


def test_neuron_builtins(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        pas = g.insert(s, "pas")
        g.insert(s, "hh", attributes={"gnabar": 0.2})
        syn = g.insert(s, "ExpSyn", x=0.2, attributes={"tau": 3})
        clamp = g.insert(s, "IClamp", attributes={"amp": 0.25})
        out(mechs=density(s), gnabar=s(0.5).gnabar_hh, pas=pas.mod_name,
            syn=syn.__neuron__().hname(), tau=syn.__neuron__().tau,
            clamp=clamp.__neuron__().hname(), amp=clamp.get_parameter("amp"),
            resolved=[g.resolve(a) for a in ("pas", "hh", "ExpSyn", "IClamp")])
    """)
    assert r["mechs"] == ["hh", "pas"] and r["gnabar"] == 0.2 and r["pas"] == "pas"
    assert (r["syn"], r["tau"]) == ("ExpSyn[0]", 3)
    assert (r["clamp"], r["amp"]) == ("IClamp[0]", 0.25)
    assert r["resolved"] == ["pas", "hh", "ExpSyn", "IClamp"]


def test_mech_accessor(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        h.load_file("stdrun.hoc")
        s = h.Section(name="s")
        s.nseg = 3
        na = g.insert(s, "Na")
        na.set("gnabar", 0.02)
        got = {"set": [seg.glia__glia_test_mods__Na__0.gnabar for seg in s]}
        na.set({"gnabar": 0.03, "Aalfa": 300})
        got["set dict"] = [na.get_parameter("gnabar", x=seg.x) for seg in s]
        got["Aalfa"] = na.get_parameter("Aalfa")
        na.set("gnabar", 0.04, x=0.5)       # one segment only
        got["one segment"] = [na.get_parameter("gnabar", x=seg.x) for seg in s]
        rec = na.record("gnabar")
        cur = na.record("ina")
        h.finitialize(-65)
        h.continuerun(2)
        got["recorded"] = [len(rec), min(rec), max(rec)]
        got["current samples"] = len(cur)
        got["parameters"] = na.parameters
        got["repr"] = repr(na)
        try:
            na.set("nope", 1)
        except AttributeError as e:
            got["bad param"] = str(e)
        out(**got)
    """)
    assert r["set"] == [0.02] * 3
    assert r["set dict"] == [0.03] * 3 and r["Aalfa"] == 300
    assert r["one segment"] == [0.03, 0.04, 0.03]
    n, lo, hi = r["recorded"]
    assert n > 10 and lo == hi == 0.04
    assert r["current samples"] == n
    p = r["parameters"]
    assert p["gnabar"] == ["0.013", "mho/cm2"]
    assert p["celsius"] == ["32", "degC"] and "Aalfa" in p
    assert r["repr"] == f"<MechAccessor density mechanism {NA_0}>"
    assert "nope" in r["bad param"] and NA_0 in r["bad param"]


def test_tuple_form(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        a, b = h.Section(name="a"), h.Section(name="b")
        g.insert(a, ("Na", "t", "glia_test_mods"))
        g.insert(b, ("Kdr", "fast"))
        pp = g.insert(a, ("AMPA", "1", "glia_test_mods"), x=0.25).__neuron__()
        out(a=density(a), b=density(b), pp=pp.hname())
    """)
    assert r == {"a": [NA_T], "b": [KDR_FAST], "pp": AMPA_1 + "[0]"}


def test_objects_offering_neuron(py):
    # As NRN-PATCH's sections do: glia.insert unwraps them with __neuron__().
    r = py.ok("""
        from neuron import h
        import glia as g
        class Wrapped:
            def __init__(self, name):
                self.sec = h.Section(name=name)
            def __neuron__(self):
                return self.sec
        cell = Wrapped("cell")
        cell.sec.nseg = 5
        na = g.insert(cell, "Na", attributes={"gnabar": 0.05})
        syn = g.insert(cell, "AMPA", x=0.7)
        out(mechs=density(cell.sec), gnabar=cell.sec(0.5).glia__glia_test_mods__Na__0.gnabar,
            got=na.get_parameter("gnabar"), x=syn.__neuron__().get_segment().x,
            sec=syn.__neuron__().get_segment().sec.name())
    """)
    assert r == {"mechs": [NA_0], "gnabar": 0.05, "got": 0.05, "x": pytest.approx(0.7),
                 "sec": "cell"}


def test_full_names_insert_directly(py):
    r = py.ok("""
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        g.insert(s, "glia__glia_test_mods__Na__t")
        pp = g.insert(s, "glia__glia_test_mods__AMPA__1").__neuron__()
        out(mechs=density(s), pp=pp.hname(), r=g.resolve("glia__glia_test_mods__Na__t"),
            r2=g.resolve("Na", variant="t"))
    """)
    assert r == {"mechs": [NA_T], "pp": AMPA_1 + "[0]", "r": NA_T, "r2": NA_T}


# ---- errors -------------------------------------------------------------------------------

def test_resolution_errors(dup):
    r = dup.ok("""
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        got = {}
        try:
            g.insert(s, "HHna")
        except g.TooManyMatchesError as e:
            got["ambiguous"] = [sorted(e.matches), str(e),
                                isinstance(e, g.ResolveError), isinstance(e, g.GliaError)]
        try:
            g.insert(s, "Nope")
        except g.UnknownAssetError as e:
            got["unknown"] = [str(e), isinstance(e, g.ResolveError)]
        try:
            g.insert(s, "Na", pkg="glia_test_mods", variant="zz")
        except g.NoMatchesError as e:
            got["no match"] = [str(e), isinstance(e, g.ResolveError)]
        try:
            g.insert(s, "HHna", pkg="nope")
        except g.NoMatchesError as e:
            got["no pkg"] = str(e)
        try:
            g.resolve("Na")
        except g.TooManyMatchesError as e:
            got["resolve"] = sorted(e.matches)
        got["mechs"] = density(s)
        out(**got)
    """)
    matches, msg, resolve_error, glia_error = r["ambiguous"]
    assert matches == [DEMO_HHNA, RIVAL_HHNA]
    assert DEMO_HHNA in msg and RIVAL_HHNA in msg and resolve_error and glia_error
    assert "Nope" in r["unknown"][0] and r["unknown"][1]
    assert "zz" in r["no match"][0] and r["no match"][1]
    assert "nope" in r["no pkg"]
    assert r["resolve"] == sorted([NA_0, NA_T, RIVAL_NA])
    assert r["mechs"] == []


def test_exception_hierarchy(py):
    r = py.ok("""
        import glia as g
        out(h={n: [b.__name__ for b in getattr(g, n).__mro__[1:-3]] for n in (
            "GliaError", "ResolveError", "UnknownAssetError", "NoMatchesError",
            "TooManyMatchesError", "LibraryError", "CompileError", "NeuronError")})
    """)
    assert r["h"] == {
        "GliaError": [], "ResolveError": ["GliaError"],
        "UnknownAssetError": ["ResolveError", "GliaError"],
        "NoMatchesError": ["ResolveError", "GliaError"],
        "TooManyMatchesError": ["ResolveError", "GliaError"],
        "LibraryError": ["GliaError"], "CompileError": ["GliaError"],
        "NeuronError": ["GliaError"]}


def test_broken_mod_fails_only_its_own_insert(py, broken_site):
    _site, line = broken_site
    r = py.with_env(GLIA_ENV="broken").ok("""
        import glia as g                         # must not raise
        from neuron import h
        s = h.Section(name="s")
        got = {}
        g.insert(s, "Kok")
        for attempt in ("first", "second"):
            try:
                g.insert(s, "Kbad")
                got[attempt] = "inserted"
            except g.CompileError as e:
                got[attempt] = str(e)
        g.insert(s, "Na", variant="t")
        g.insert(s, "HHk")
        got["mechs"] = density(s)
        got["test"] = g.test_mechanism("Kok")
        out(**got)
    """)
    assert r["mechs"] == sorted([KOK, NA_T, DEMO_HHK])
    for attempt in ("first", "second"):
        assert f"Kbad__0.mod:{line}" in r[attempt], r[attempt]
    assert r["test"] is True


# ---- the library ------------------------------------------------------------------------

def test_import_is_cheap_and_glia_library_loads(py):
    r = py.ok("""
        import sys
        import glia
        got = {"neuron at import": "neuron" in sys.modules}
        import glia.library
        from neuron import h
        s = h.Section(name="s")
        s.insert("glia__glia_test_mods__Na__t")   # plain NEURON, no glia.insert
        pp = h.glia__glia_test_mods__AMPA__0(s(0.5))
        got.update(mechs=density(s), pp=pp.hname())
        glia.load_library()                          # again: a no-op
        out(**got)
    """)
    assert r == {"neuron at import": False, "mechs": [NA_T], "pp": AMPA_0 + "[0]"}


@with_and_without_c
def test_talks_to_gliad_without_the_msgpack_package_when_built_with_its_codec(py, speedups):
    # Importing msgpack (and the datetime its ext types import) was most of
    # what `import glia.library` cost; without the C part, msgpack speaks.
    p = py if speedups else py.with_env(PYTHONPATH=str(pylib.CLIENT))
    r = p.ok("""
        import sys
        import glia.library
        import glia as g
        from neuron import h
        s = h.Section(name="s")
        g.insert(s, "Na", variant="t")
        out(mechs=density(s), msgpack="msgpack" in sys.modules,
            datetime="datetime" in sys.modules, env=g.env)
    """)
    assert r == {"mechs": [NA_T], "msgpack": not speedups, "datetime": not speedups,
                 "env": "default"}


def test_registers_its_own_environment(d, py, main_site):
    # Without GLIA_ENV the module registers sys.prefix and its site dirs;
    # `default` serves them already, so gliad answers with that one.
    r = py.with_env(GLIA_ENV=None).ok("""
        import sys
        from neuron import h
        import glia as g
        s = h.Section(name="s")
        g.insert(s, "Kdr", variant="fast")
        out(prefix=sys.prefix, mechs=density(s), env=g.env)
    """)
    assert r["mechs"] == [KDR_FAST] and r["env"] == "default", r
    envs = {e["name"]: e for e in d.ok("envs")}
    assert str(main_site.site) in envs["default"]["site_packages"]


def test_packages(py):
    r = py.ok("""
        import glia as g
        pkgs = {p.name: p for p in g.get_packages()}
        tm = g.package("glia_test_mods")
        try:
            g.package("nope")
            missing = "found"
        except g.GliaError as e:
            missing = type(e).__name__
        out(names=sorted(pkgs), mods=sorted(m.mod_name for m in tm.mods),
            points=sorted(m.asset_name for m in tm.mods if m.is_point_process),
            missing=missing)
    """)
    assert r["names"] == ["glia_demo", "glia_plain", "glia_test_mods"]
    assert r["mods"] == sorted([AMPA_0, AMPA_1, NA_0, NA_T])
    assert r["points"] == ["AMPA", "AMPA"]
    assert r["missing"] != "found"


def test_newer_generation_needs_a_restart(gliad, fresh_venv, tmp_path):
    # A package installed while the script runs is built into a new
    # generation; NEURON cannot load a second library, so the script is told
    # to restart rather than failing inside NEURON.
    fresh_venv.install(pylib.one_asset_package(tmp_path / "src", "glia_early", "Early"))
    d = gliad({"default": [fresh_venv.site]})
    py = pylib.Py(fresh_venv.python, d.socket, tmp_path / "run", glia_env=None)
    try:
        s = py.start("""
            from neuron import h
            import glia as g
            a = h.Section(name="a")
            g.insert(a, "Early")
            out(a=density(a))
            wait_go("installed")
            b = h.Section(name="b")
            try:
                g.insert(b, "Late")
                out(late="inserted")
            except g.LibraryError as e:
                out(late=str(e))
            g.insert(b, "Early")
            out(b=density(b))
        """)
        assert s.wait_for("installed") == [{"a": ["glia__glia_early__Early__0"]}]
        fresh_venv.install(pylib.one_asset_package(tmp_path / "src", "glia_late", "Late"))
        s.go()
        r = s.finish().ok()
    finally:
        py.close()
    assert "restart" in r["late"] and "glia__glia_late__Late__0" in r["late"], r
    assert r["b"] == ["glia__glia_early__Early__0"]


# ---- glia.insert's fast path, in C and in Python ---------------------------------------

FAST_PATH = """
    from neuron import h
    import glia as g
    secs = [h.Section(name=f"s{i}") for i in range(50)]
    with g.context(variant="t"):
        g.insert(secs[0], "Na")           # resolved under the context: not the fast path's
    ms = [g.insert(s, "Na") for s in secs[1:]]   # the first resolves, the rest are fast
    secs[0].nseg = 5
    pp = g.insert(secs[0], "AMPA", x=0.3)
    out(kind=type(g.insert).__name__, first=density(secs[0]),
        rest=sorted({d for s in secs[1:] for d in density(s)}),
        accessor=all(type(m) is g.MechAccessor and m.mod_name == ms[0][1] for m in ms),
        same_section=ms[-1][0] is secs[-1], pp=round(pp.__neuron__().get_segment().x, 2))
"""


@with_and_without_c
def test_fast_path_inserts_and_returns_accessors(py, speedups):
    p = py if speedups else py.with_env(PYTHONPATH=str(pylib.CLIENT))
    r = p.ok(FAST_PATH)
    assert r["kind"] == ("builtin_function_or_method" if speedups else "function")
    assert r["first"] == [NA_T] and r["rest"] == [NA_0], r
    assert r["accessor"] and r["same_section"] and r["pp"] == 0.3, r


# ---- processes and threads ------------------------------------------------------------

def test_forked_children_have_connections_of_their_own(py):
    """multiprocessing forks: parent and children once shared one socket,
    took each other's replies (wrong answers) and hung."""
    r = py.ok("""
        import multiprocessing as mp, threading
        import glia as g
        g.load_library()
        g.resolve("Na")                      # the parent has a connection now
        def job(asset):
            return asset, g.resolve(asset)
        wrong, done = [], threading.Event()
        def parent_asks():
            while not done.is_set():
                if g.resolve("AMPA") != "glia__glia_test_mods__AMPA__0":
                    wrong.append("parent")
        t = threading.Thread(target=parent_asks)
        t.start()
        with mp.get_context("fork").Pool(3) as pool:
            res = pool.map_async(job, ["Na", "Kdr", "HHk"] * 30).get(60)
        done.set()
        t.join()
        out(answers=sorted(set(res)), wrong=wrong, after=g.resolve("Na", variant="t"))
    """)
    assert r["answers"] == [["HHk", DEMO_HHK], ["Kdr", "glia__glia_plain__Kdr__0"],
                            ["Na", NA_0]]
    assert r["wrong"] == [] and r["after"] == NA_T


def test_select_racing_another_threads_insert(py):
    """A select while another thread's resolution is in flight: that answer,
    made under the old preferences, once landed in the new ones' cache and
    later inserts ignored the selection."""
    r = py.ok("""
        import random, threading, time
        from neuron import h
        import glia as g
        g.load_library()
        stale = 0
        for i in range(300):
            g.select("Na", variant="0")
            w = threading.Thread(target=g.insert, args=(h.Section(name=f"w{i}"), "Na"))
            w.start()
            deadline = time.perf_counter() + random.random() / 1000
            while time.perf_counter() < deadline:
                pass
            g.select("Na", variant="t")
            w.join()
            s = h.Section(name=f"m{i}")
            g.insert(s, "Na")
            stale += density(s) != ["glia__glia_test_mods__Na__t"]
        out(stale=stale)
    """)
    assert r == {"stale": 0}


def test_a_request_over_the_limit_is_refused_not_retried(py):
    """gliad refuses a message over 1 MiB and hangs up, saying why: the
    module raised "is it crashing?" after sending it twice."""
    r = py.ok("""
        import glia as g
        from glia.exceptions import GliaError
        try:
            g.resolve("x" * (2 << 20))
        except GliaError as e:
            out(err=str(e))
        out(after=g.resolve("Na"))
    """)
    assert "1 MiB" in r["err"] and "crashing" not in r["err"], r
    assert r["after"] == NA_0
