"""One broken mod never breaks the library: mods that fail in nocmodl or in
cc (or take too long), and mechanism names defined twice, are left out and
reported with the file and line; everything else loads in NEURON. For the
direct backend and for nrnivmodl.
"""

import json
import re

import pytest

import buildlib as bl
import glia_testlib as lib

PKG = "glia_broken"
GOOD = f"glia__{PKG}__Good__0"
KDR = f"glia__{PKG}__Kdr__0"  # NEURON's HHk demo, plain name: renamed
SYN = f"glia__{PKG}__Syn__0"  # fails in nocmodl
CERR = f"glia__{PKG}__Cerr__0"  # fails in cc, in a VERBATIM block


def broken_package(root, pkg=PKG):
    return lib.write_package(root, pkg, {
        "mods/Good__0.mod": bl.tiny_mod(f"glia__{pkg}__Good__0"),
        "mods/Kdr__0.mod": lib.demo_mods()["HHk"][0],
        "mods/Syn__0.mod": bl.SYNTAX_ERROR % f"glia__{pkg}__Syn__0",
        "mods/Cerr__0.mod": bl.C_ERROR % f"glia__{pkg}__Cerr__0",
    })


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    site = root / "site"
    lib.Venv(root / "venv", with_pip=False).install_target(site, broken_package(root / "src"))
    return site


@pytest.fixture(scope="module")
def broken(module_gliad, broken_site):
    d = module_gliad({"default": [broken_site]})
    return d, bl.library(d), broken_site / PKG / "mods"


def test_library_keeps_the_good_mods(broken):
    d, res, _mods = broken
    assert sorted(res["names"]) == sorted([GOOD, KDR])
    assert (res["status"], res["mechanisms"], res["failed"]) == ("ready", 2, 2)
    b = res["last_build"]
    assert (b["ok"], b["total"], b["compiled"], b["failed"]) == (True, 4, 2, 2)
    r = bl.use_all(res["path"])
    assert r["added"] == {GOOD: "density", KDR: "density"}
    assert set(r["used"].values()) == {"ok"}
    assert "library: generation 1 (direct backend), incomplete: 2 mods left out (2 failed to " \
        "build, 0 to link, 0 refused by NEURON at load)" in \
        bl.ctl(d, "status").out


def test_log_names_file_and_line(broken):
    d, _res, mods = broken
    syn, cerr = mods / "Syn__0.mod", mods / "Cerr__0.mod"
    r = bl.ctl(d, "log")
    assert r.rc == 0, r
    assert f"{SYN} (package {PKG})\n  {syn}:{bl.SYNTAX_ERROR_LINE}: nocmodl: syntax error" in r.out
    assert f"{CERR} (package {PKG})\n  {cerr}:{bl.C_ERROR_LINE}: cc: error: " in r.out
    assert "glia_undeclared_symbol" in r.out
    assert GOOD not in r.out and KDR not in r.out
    # The compiler's own lines follow, with the user's path, not the build copy's.
    assert "    | " in r.out and "gbar = = 2" in r.out
    assert f"at line {bl.SYNTAX_ERROR_LINE} in file {syn}" in r.out
    # Narrowed to an asset, a full name, or the package.
    one = bl.ctl(d, "log", "Syn")
    assert one.rc == 0 and SYN in one.out and CERR not in one.out, one
    assert bl.ctl(d, "log", CERR).out.startswith(f"{CERR} (package {PKG})\n")
    assert bl.ctl(d, "log", PKG).out == r.out
    assert bl.ctl(d, "log", "Good").out == "no build problems in default\n"
    # The same through the RPC, structured.
    fails = {f["full"]: f for f in d.ok("log")["failures"]}
    assert set(fails) == {SYN, CERR}
    assert (fails[SYN]["file"], fails[SYN]["line"], fails[SYN]["asset"]) == (
        str(syn), bl.SYNTAX_ERROR_LINE, "Syn")
    assert (fails[CERR]["file"], fails[CERR]["line"], fails[CERR]["pkg"]) == (
        str(cerr), bl.C_ERROR_LINE, PKG)
    assert "error:" in fails[CERR]["detail"]


def test_resolving_a_broken_asset_fails_with_build_failed(broken):
    d, _res, mods = broken
    r = bl.ctl(d, "resolve", "Syn")
    assert r.rc == 1 and r.out == "", r
    assert "(build_failed)" in r.err
    assert f"{mods / 'Syn__0.mod'}:{bl.SYNTAX_ERROR_LINE}: nocmodl: syntax error" in r.err
    err, res = d.call("resolve", {"asset": "Cerr"})
    assert res is None and err["code"] == "build_failed", err
    assert f"{mods / 'Cerr__0.mod'}:{bl.C_ERROR_LINE}: cc: error: " in err["message"]
    assert err["full"] == CERR and "glia_undeclared_symbol" in err["detail"]
    r = bl.ctl(d, "--json", "resolve", "Cerr")
    assert r.rc == 1 and '{"error": {"code": "build_failed"' in r.out, r
    # The good ones resolve as usual, the renamed one under its full name.
    assert bl.ctl(d, "resolve", "Kdr").out == KDR + "\n"
    assert d.ok("resolve", {"asset": "Good"})["built"] is True


def test_json_error_output_is_json(broken):
    """(gliactl's print_error once left the outer brace open.)"""
    d, _res, _mods = broken
    r = bl.ctl(d, "--json", "resolve", "Cerr")
    assert r.rc == 1
    assert json.loads(r.out)["error"]["code"] == "build_failed"


def test_build_wait_exits_1_when_a_mod_is_left_out(broken):
    d, res, _mods = broken
    r = bl.ctl(d, "build", "--wait")
    assert r.rc == 1, r
    assert r.out.startswith("2 mechanisms: 0 compiled, 2 cached, 2 failed (")
    assert "2 mods left out: gliactl log shows why\n" in r.out
    assert res["path"] + "\n" in r.out
    # Not a TTY: plain progress lines on stderr.
    assert re.search(r"^\[default\] building: 4/4 mods$", r.err, re.M), r
    j = bl.ctl(d, "--json", "build", "--wait")
    assert j.rc == 1
    b = json.loads(j.out)["last_build"]
    # The failures are remembered: nothing is run again for them.
    assert (b["compiled"], b["failed"], b["unchanged"]) == (0, 2, True)


def test_failures_are_remembered_not_recompiled(broken):
    """A rescan and a new build run no compiler for the mods that failed
    before: their failures are cached by content."""
    d, _res, _mods = broken
    before = bl.processes(d)
    assert d.ok("rescan")["mods"] == 4
    assert d.ok("build")["started"] is True
    res = bl.library(d)
    b = res["last_build"]
    assert (b["failed"], b["compiled"], b["cached"]) == (2, 0, 2)
    assert sorted(f["full"] for f in d.ok("log")["failures"]) == sorted([CERR, SYN])
    assert bl.processes(d) == before


def test_fixing_a_broken_mod_adds_it(gliad, fresh_venv, tmp_path):
    fresh_venv.install(broken_package(tmp_path / "src"))
    d = gliad({"default": [fresh_venv.site]})
    first = bl.library(d)
    assert first["failed"] == 2
    bl.edit(fresh_venv.site / PKG / "mods/Syn__0.mod", "gbar = = 2", "gbar = 2")
    res = bl.library(d)
    assert sorted(res["names"]) == sorted([GOOD, KDR, SYN])
    assert res["last_build"]["compiled"] == 1 and res["failed"] == 1
    assert [f["full"] for f in d.ok("log")["failures"]] == [CERR]
    assert bl.ctl(d, "resolve", "Syn").out == SYN + "\n"
    assert set(bl.use_all(res["path"])["added"]) == {GOOD, KDR, SYN}


# ---- the nrnivmodl backend -------------------------------------------------------

def test_nrnivmodl_backend_leaves_out_the_broken_mods(gliad, broken_site):
    d = bl.nrnivmodl_gliad(gliad, broken_site)
    res = bl.library(d)
    assert d.ok("status")["envs"][0]["backend"] == "nrnivmodl"
    assert sorted(res["names"]) == sorted([GOOD, KDR])
    assert res["failed"] == 2 and res["last_build"]["ok"]
    r = bl.use_all(res["path"])
    assert r["added"] == {GOOD: "density", KDR: "density"}
    assert set(r["used"].values()) == {"ok"}
    mods = broken_site / PKG / "mods"
    log = bl.ctl(d, "log")
    assert f"{mods / 'Syn__0.mod'}:{bl.SYNTAX_ERROR_LINE}: nocmodl: syntax error" in log.out
    assert f"{mods / 'Cerr__0.mod'}:{bl.C_ERROR_LINE}: cc: error: " in log.out
    assert bl.ctl(d, "resolve", "Syn").rc == 1
    assert bl.ctl(d, "build", "--wait").rc == 1


def test_nrnivmodl_backend_nothing_changed_is_unchanged(gliad, fresh_venv, tmp_path):
    """Without broken mods, the same set again is recognised."""
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_nb", {
        "mods/Good__0.mod": bl.tiny_mod("glia__glia_nb__Good__0"),
        "mods/Kdr__0.mod": lib.demo_mods()["HHk"][0]}))
    d = bl.nrnivmodl_gliad(gliad, fresh_venv.site)
    first = bl.library(d)
    assert first["mechanisms"] == 2 and first["last_build"]["compiled"] == 2
    r = bl.ctl(d, "build", "--wait")
    assert r.rc == 0, r
    res = bl.library(d)
    assert res["last_build"]["unchanged"] and res["last_build"]["compiled"] == 0
    assert res["generation"] == first["generation"]
    # One edit: nrnivmodl builds anew, the result loads.
    bl.edit(fresh_venv.site / "glia_nb/mods/Good__0.mod", "gbar = 1\n", "gbar = 6\n")
    res = bl.library(d)
    assert res["generation"] > first["generation"] and res["path"] != first["path"]
    assert bl.range_default(res["path"], "glia__glia_nb__Good__0") == 6


def test_nrnivmodl_backend_with_a_broken_mod_nothing_changed_runs_nothing(gliad, broken_site):
    """The failures are remembered, so the set without them keys as the
    published library: no nrnivmodl run, no new generation. (Once, with
    nothing remembered, every build ran nrnivmodl on everything again.)"""
    d = bl.nrnivmodl_gliad(gliad, broken_site)
    first = bl.library(d)
    assert first["failed"] == 2
    assert bl.ctl(d, "build", "--wait").rc == 1
    res = bl.library(d)
    assert res["key"] == first["key"]
    assert (res["last_build"]["compiled"], res["last_build"]["unchanged"]) == (0, True)
    assert res["generation"] == first["generation"]


# ---- time limits ---------------------------------------------------------------------

CHILD_SLEEP = "sleep 6.25"


def slow_cc(path, how):
    """A cc that hangs on any file whose name says Slow (in its own process
    for 30 s, or for 6.25 s in a child, as gcc's cc1 would) and is the real
    cc otherwise (--version included)."""
    sleep = "exec sleep 30" if how == "exec" else f"{CHILD_SLEEP}; exit 1"
    path.write_text(f'#!/bin/sh\ncase "$*" in *Slow*) {sleep};; esac\nexec cc "$@"\n')
    path.chmod(0o755)
    return path


def timeout_gliad(gliad, tmp_path, how):
    src = tmp_path / "src"
    venv = lib.Venv(tmp_path / "venv", with_pip=False)
    slow, fine = tmp_path / "slow", tmp_path / "fine"
    venv.install_target(slow, lib.write_package(src, "glia_slow", {
        "mods/Slow__0.mod": bl.tiny_mod("glia__glia_slow__Slow__0"),
        "mods/Quick__0.mod": bl.tiny_mod("glia__glia_slow__Quick__0")}))
    venv.install_target(fine, lib.write_package(src, "glia_fine", {
        "mods/Fine__0.mod": bl.tiny_mod("glia__glia_fine__Fine__0")}))
    base = gliad.base()
    cc = slow_cc(base / "slowcc", how)
    return gliad(config_text=bl.config_text(
        base, {"default": [slow], "other": [fine]},
        sections={"neuron": {"cc": cc, "timeout_s": 1}}), base=base), slow


def test_compiler_over_its_time_limit_is_killed_and_reported(gliad, tmp_path):
    d, slow = timeout_gliad(gliad, tmp_path, "exec")
    res = bl.library(d)
    assert res["names"] == ["glia__glia_slow__Quick__0"] and res["failed"] == 1
    (f,) = d.ok("log")["failures"]
    assert f["full"] == "glia__glia_slow__Slow__0"
    assert f["summary"] == f"{slow}/glia_slow/mods/Slow__0.mod: cc: killed after 1 s " \
                           "(the [neuron] timeout_s limit)"
    assert res["last_build"]["ms"] < 15000  # not the 30 s the compiler wanted
    other = bl.library(d, "other")
    assert other["names"] == ["glia__glia_fine__Fine__0"] and other["failed"] == 0
    assert set(bl.use_all(res["path"])["used"].values()) == {"ok"}
    # A kill is no verdict on the mod: the next build tries it again.
    before = bl.processes(d)
    assert bl.ctl(d, "build", "--wait").rc == 1
    assert bl.processes(d) == before + 2


def test_time_limit_holds_for_a_compiler_with_children(gliad, tmp_path):
    """The kill reaches the compiler's children (gcc's cc1, here a sleep):
    they hold the output pipes too. (Once only the driver was killed, and
    the task ended when its children did.)"""
    d, _slow = timeout_gliad(gliad, tmp_path, "child")
    res = bl.library(d)
    assert res["failed"] == 1
    assert "killed after 1 s" in d.ok("log")["failures"][0]["summary"]
    assert res["last_build"]["ms"] < 4500  # not the 6 s its child sleeps
    assert not [p for p in bl.processes_mentioning(CHILD_SLEEP) if p[1] == CHILD_SLEEP]


# ---- duplicate names -------------------------------------------------------------------

@pytest.fixture(scope="module")
def dupes(module_gliad, tmp_path_factory):
    """Two Glia 0.x distributions both shipping mod/glia__x__Kv1__0.mod (so
    two packages named x), and a Glia 4 package whose plain-named
    mods/Kdr__0.mod and mods/sub/Kdr__0.mod both become
    glia__glia_two__Kdr__0."""
    root = tmp_path_factory.mktemp("dupes")
    src = root / "src"
    a = lib.write_package(src, "glia_dupa", {
        "mod/glia__x__Kv1__0.mod": bl.tiny_mod("glia__x__Kv1__0", 1),
        "mod/glia__x__Only__0.mod": bl.tiny_mod("glia__x__Only__0", 1)}, glia4=False)
    b = lib.write_package(src, "glia_dupb", {
        "mod/glia__x__Kv1__0.mod": bl.tiny_mod("glia__x__Kv1__0", 2)}, glia4=False)
    hhk = lib.demo_mods()["HHk"][0]
    two = lib.write_package(src, "glia_two", {"mods/Kdr__0.mod": hhk,
                                              "mods/sub/Kdr__0.mod": hhk})
    venv = lib.Venv(root / "venv", with_pip=False)
    venv.install(a, b, two)
    return module_gliad({"default": [venv.site]}), venv.site


def test_duplicate_names_are_built_once_and_reported(dupes):
    """One of each duplicated name is built, the other reported naming
    both files; the library loads."""
    d, site = dupes
    res = bl.library(d)
    assert sorted(res["names"]) == ["glia__glia_two__Kdr__0", "glia__x__Kv1__0",
                                    "glia__x__Only__0"]
    assert res["failed"] == 2 and res["last_build"]["ok"]
    r = bl.use_all(res["path"])
    assert sorted(r["added"]) == sorted(res["names"])
    assert set(r["used"].values()) == {"ok"}
    kv_a = site / "glia_dupa/mod/glia__x__Kv1__0.mod"
    kv_b = site / "glia_dupb/mod/glia__x__Kv1__0.mod"
    kd_1, kd_2 = site / "glia_two/mods/Kdr__0.mod", site / "glia_two/mods/sub/Kdr__0.mod"
    # The first in a stable order is kept: glia_dupa's (gbar 1).
    assert bl.range_default(res["path"], "glia__x__Kv1__0") == 1
    log = bl.ctl(d, "log").out
    assert f"{kv_b}: duplicate: duplicate mechanism name glia__x__Kv1__0: {kv_a} defines it " \
           "too; this one is left out" in log
    assert f"{kd_2}: duplicate: duplicate mechanism name glia__glia_two__Kdr__0: {kd_1} " \
           "defines it too; this one is left out" in log
    # The same choice after a restart on the same state.
    d.restart()
    again = bl.library(d)
    assert again["names"] == res["names"]
    assert bl.ctl(d, "log").out == log


def test_a_duplicated_name_still_resolves(dupes):
    """The library holds one mechanism of that name: it resolves, also after
    a restart, when the failures come back from SQLite. (Once the asset was
    'ambiguous' between two identical names, and after a restart the
    duplicate's failure would have answered build_failed for the kept one.)"""
    d, _site = dupes
    bl.library(d)
    assert d.ok("resolve", {"asset": "Kdr"})["full"] == "glia__glia_two__Kdr__0"
    d.restart()
    assert d.ok("resolve", {"asset": "Kdr"})["full"] == "glia__glia_two__Kdr__0"


# ---- output too long to carry whole, tools that are not there --------------------------

def test_megabytes_of_compiler_output_are_cut_to_head_and_tail(gliad, tmp_path):
    """A mod that makes cc print megabytes (an error per line of a long
    VERBATIM block) is reported with the first error and a detail cut to
    its head and tail; `log` and `gliactl log` still answer, in valid UTF-8
    (gcc quotes names with ‘’). Once the detail was whole and the reply over
    what gliactl would read."""
    n = 8000
    verbatim = "".join(f"int bad_{i} = undeclared_identifier_number_{i};\n" for i in range(n))
    name = "glia__glia_loud__Loud__0"
    site = tmp_path / "site"
    lib.Venv(tmp_path / "venv", with_pip=False).install_target(site, lib.write_package(
        tmp_path / "src", "glia_loud", {
            "mods/Loud__0.mod": f"NEURON {{ SUFFIX {name} }}\nVERBATIM\n{verbatim}ENDVERBATIM\n",
            "mods/Fine__0.mod": bl.tiny_mod("glia__glia_loud__Fine__0")}))
    d = gliad({"default": [site]})
    res = bl.library(d)
    assert res["names"] == ["glia__glia_loud__Fine__0"] and res["failed"] == 1
    (f,) = d.ok("log")["failures"]
    assert f["line"] == 3 and "undeclared_identifier_number_0" in f["summary"], f["summary"]
    assert "bytes left out" in f["detail"], f["detail"][:200]
    assert 1000 < len(f["detail"].encode()) < 20000
    numbers = [int(x) for x in re.findall(r"undeclared_identifier_number_(\d+)", f["detail"])]
    # The head, and the tail of what was read (gliad reads 1 MiB of output).
    assert numbers[0] == 0 and numbers[-1] > 1000, numbers
    r = bl.ctl(d, "log", "Loud")
    assert r.rc == 0 and "undeclared_identifier_number_0" in r.out, r


def test_a_configured_compiler_that_is_not_there(gliad, tmp_path):
    """Every mod fails with the reason, the build fails without linking
    (once it ran a NULL linker and aborted), and gliad keeps serving."""
    site = tmp_path / "site"
    lib.Venv(tmp_path / "venv", with_pip=False).install_target(site, lib.write_package(
        tmp_path / "src", "glia_nocc", {"mods/A__0.mod": bl.tiny_mod("glia__glia_nocc__A__0")}))
    base = gliad.base()
    d = gliad(config_text=bl.config_text(base, {"default": [site]},
                                         sections={"neuron": {"cc": "/nonexistent/cc"}}),
              base=base)
    res = bl.library(d)
    why = "[neuron] cc /nonexistent/cc is not an executable"
    assert res["status"] == "failed" and res["path"] is None, res
    assert res["last_build"]["error"] == why, res["last_build"]
    (f,) = d.ok("log")["failures"]
    assert f["summary"].endswith(f"toolchain: {why}"), f
    err, _ = d.call("resolve", {"asset": "A"})
    assert err["code"] == "build_failed" and why in err["message"], err
    assert d.ok("hello")["pid"] == d.pid


def test_a_failure_shared_by_two_envs_names_each_envs_own_file(gliad, tmp_path):
    """Failures are cached by content, so the same broken mod in two envs
    fails once; each env's log and resolve must still name its own file,
    the one its user would edit, and say which env to ask for the rest."""
    sites = {}
    for env in ("default", "other"):
        root = tmp_path / env
        sites[env] = root / "site"
        lib.Venv(root / "venv", with_pip=False).install_target(
            sites[env], broken_package(root / "src"))
    d = gliad({env: [site] for env, site in sites.items()})
    for env, site in sites.items():
        bl.library(d, env)
        own, other = site / PKG / "mods", sites["other" if env == "default" else "default"]
        opt = () if env == "default" else ("--env", env)
        log = bl.ctl(d, *opt, "log")
        assert log.rc == 0, log
        assert f"{own / 'Syn__0.mod'}:{bl.SYNTAX_ERROR_LINE}: nocmodl: syntax error" in log.out
        assert f"in file {own / 'Syn__0.mod'}" in log.out
        assert f"{own / 'Cerr__0.mod'}:{bl.C_ERROR_LINE}: cc: error: " in log.out
        assert str(other) not in log.out, (env, log.out)
        for f in d.ok("log", {"env": env})["failures"]:
            assert str(other) not in f["summary"] + f["detail"], (env, f)
        err, res = d.call("resolve", {"asset": "Syn", "env": env})
        assert res is None and err["code"] == "build_failed", err
        assert f"{own / 'Syn__0.mod'}:{bl.SYNTAX_ERROR_LINE}: nocmodl" in err["message"]
        assert str(other) not in err["message"] + err["detail"], (env, err)
        assert f"(gliactl {' '.join(opt + ('log', 'Syn'))} shows the rest)" in err["message"]
