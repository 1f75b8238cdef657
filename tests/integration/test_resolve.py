"""Resolution end to end: packages pip-installed into a real venv, gliad
indexing them, gliactl and the raw protocol asking what asset names mean.

Environments of the shared daemon:
  default = the session venv: glia_test_mods (tests/data, Glia 4), glia_demo
            (Glia 0.x, NEURON's demo mods), glia_plain (Glia 4, plain names)
  dup     = the same venv plus a site dir holding glia_rival, which clashes
            with glia_demo on HHna and with glia_test_mods on Na
"""

import json
import re

import pytest

import glia_testlib as lib
from glia_testlib import NA_0, NA_T, DEMO_HHNA, RIVAL_HHNA, RIVAL_NA

pytestmark = pytest.mark.shared_build_cache

DEMO = lib.demo_mods()


@pytest.fixture(scope="module")
def d(module_gliad, main_site, rival_site):
    return module_gliad({"default": [main_site.site], "dup": [main_site.site, rival_site]})


def resolve(d, asset, **params):
    return d.call("resolve", {"asset": asset, **params})


# ---- Glia 4: tests/data's package ------------------------------------------------

def test_resolve_prints_the_full_name_alone(d):
    r = d.ctl("resolve", "Na")
    assert (r.rc, r.out, r.err) == (0, NA_0 + "\n", ""), r


@pytest.mark.parametrize("args", [["--variant", "t"], ["--variant=t"], ["--pkg", "glia_test_mods",
                                                                         "--variant", "t"]])
def test_resolve_variant(d, args):
    r = d.ctl("resolve", "Na", *args)
    assert (r.rc, r.out) == (0, NA_T + "\n"), r


def test_options_before_the_command_and_after_the_asset(d):
    r = d.ctl("--env", "default", "resolve", "AMPA", "--variant", "1")
    assert (r.rc, r.out) == (0, "glia__glia_test_mods__AMPA__1\n"), r


def test_resolve_point_process(d):
    r = d.ctl("resolve", "AMPA")
    assert (r.rc, r.out) == (0, "glia__glia_test_mods__AMPA__0\n"), r
    err, res = resolve(d, "AMPA")
    assert err is None
    assert pick(res) == {
        "full": "glia__glia_test_mods__AMPA__0", "asset": "AMPA", "pkg": "glia_test_mods",
        "variant": "0", "kind": "point"}
    assert isinstance(res["index_version"], int) and res["index_version"] >= 1


RESULT_KEYS = ("full", "asset", "pkg", "variant", "kind")


def pick(res, keys=RESULT_KEYS):
    """The fields under test; results may carry more (clients ignore unknown keys)."""
    return {k: res[k] for k in keys}


def test_raw_resolve_result(d):
    err, res = resolve(d, "Na", variant="t")
    assert err is None
    assert pick(res) == {"full": NA_T, "asset": "Na", "pkg": "glia_test_mods", "variant": "t",
                         "kind": "density"}
    assert res["index_version"] == resolve(d, "Na")[1]["index_version"]


def test_glia4_package_as_indexed(d, main_site):
    p = d.ok("package", {"name": "glia_test_mods"})
    assert (p["name"], p["version"], p["layout"], p["entry"], p["module"]) == (
        "glia_test_mods", "1.0.0", "glia4", "glia_test_mods", "glia_test_mods")
    assert (p["mods"], p["problems"], p["problem_list"], p["editable"]) == (4, 0, [], False)
    assert p["root"] == str(main_site.site / "glia_test_mods")
    assert sorted((m["full"], m["file"], m["kind"], m["renamed"]) for m in p["mechanisms"]) == [
        ("glia__glia_test_mods__AMPA__0", "mods/AMPA__0.mod", "point", False),
        ("glia__glia_test_mods__AMPA__1", "mods/AMPA__1.mod", "point", False),
        (NA_0, "mods/Na__0.mod", "density", False),
        (NA_T, "mods/Na__t.mod", "density", False),
    ]


@pytest.mark.parametrize("asset", ["Cav2_1", "Arb"])
def test_arbor_mods_are_not_indexed(d, asset):
    """mods/arbor/ is Arbor-only, in glia_test_mods (Cav2_1) and in glia_plain (Arb)."""
    r = d.ctl("resolve", asset)
    assert (r.rc, r.out) == (1, ""), r
    assert "(unknown_asset)" in r.err
    err, _ = resolve(d, asset)
    assert err["code"] == "unknown_asset"
    for name in ("glia_test_mods", "glia_plain"):
        files = [m["file"] for m in d.ok("package", {"name": name})["mechanisms"]]
        assert not [f for f in files if "arbor" in f], files


# ---- Glia 0.x: NEURON's demo mods --------------------------------------------------------

@pytest.mark.parametrize("asset", sorted(DEMO))
def test_glia0_package_resolves_each_asset(d, asset):
    kind = {"SUFFIX": "density", "POINT_PROCESS": "point", "ARTIFICIAL_CELL": "artificial"}[
        lib.mechanism_of(DEMO[asset][0])[0]]
    full = f"glia__glia_demo__{asset}__0"
    err, res = resolve(d, asset)
    assert err is None
    assert pick(res) == {"full": full, "asset": asset, "pkg": "glia_demo", "variant": "0",
                         "kind": kind}
    r = d.ctl("resolve", asset)
    assert (r.rc, r.out) == (0, full + "\n"), r


def test_glia0_package_as_indexed(d, main_site):
    p = d.ok("package", {"name": "glia_demo"})
    assert (p["layout"], p["entry"], p["module"], p["mods"], p["problems"]) == (
        "glia0", "glia_demo", "glia_demo", len(DEMO), 0)
    assert p["root"] == str(main_site.site / "glia_demo")
    assert sorted((m["full"], m["asset"], m["file"], m["renamed"]) for m in p["mechanisms"]) == \
        sorted((f"glia__glia_demo__{a}__0", a, f"mod/glia__glia_demo__{a}__0.mod", False)
               for a in DEMO)


# ---- plain NEURON names: asset and variant from the file stem ------------------------------

def test_plain_named_mods_are_indexed_by_file_stem(d):
    # mods/Kdr__0.mod and mods/sub/Kdr__fast.mod hold `SUFFIX HHk`: the asset
    # is the stem's, the package the entry point's, the NEURON name ignored.
    assert d.ctl("resolve", "Kdr").out == "glia__glia_plain__Kdr__0\n"
    assert d.ctl("resolve", "Kdr", "--variant", "fast").out == "glia__glia_plain__Kdr__fast\n"
    err, res = resolve(d, "Fire")  # mods/Fire.mod: ARTIFICIAL_CELL IntervalFire, no variant
    assert err is None
    assert (res["full"], res["variant"], res["kind"]) == ("glia__glia_plain__Fire__0", "0",
                                                          "artificial")
    p = d.ok("package", {"name": "glia_plain"})
    assert sorted((m["full"], m["asset"], m["variant"], m["file"], m["renamed"])
                  for m in p["mechanisms"]) == [
        ("glia__glia_plain__Fire__0", "Fire", "0", "mods/Fire.mod", True),
        ("glia__glia_plain__Kdr__0", "Kdr", "0", "mods/Kdr__0.mod", True),
        ("glia__glia_plain__Kdr__fast", "Kdr", "fast", "mods/sub/Kdr__fast.mod", True),
    ]
    # HHk and IntervalFire are glia_demo's only: glia_plain did not add its NEURON names.
    assets = {a["asset"]: a["candidates"] for a in d.ok("assets")}
    assert [c["full"] for c in assets["HHk"]] == ["glia__glia_demo__HHk__0"]
    assert [c["full"] for c in assets["IntervalFire"]] == ["glia__glia_demo__IntervalFire__0"]


def test_assets_lists_every_package_asset(d):
    assets = {a["asset"]: sorted(c["full"] for c in a["candidates"]) for a in d.ok("assets")}
    expected = {"Na": [NA_0, NA_T],
                "AMPA": ["glia__glia_test_mods__AMPA__0", "glia__glia_test_mods__AMPA__1"],
                "Kdr": ["glia__glia_plain__Kdr__0", "glia__glia_plain__Kdr__fast"],
                "Fire": ["glia__glia_plain__Fire__0"]}
    expected.update({a: [f"glia__glia_demo__{a}__0"] for a in DEMO})
    assert assets == expected
    with_builtins = {a["asset"] for a in d.ok("assets", {"builtins": True})}
    assert {"pas", "hh", "ExpSyn", "IClamp", "NetStim"} <= with_builtins
    assert set(expected) <= with_builtins


# ---- NEURON's built-ins -------------------------------------------------------------------

@pytest.mark.parametrize("name,kind", [("pas", "density"), ("hh", "density"),
                                       ("ExpSyn", "point"), ("IClamp", "point"),
                                       ("NetStim", "artificial")])
def test_builtins_resolve_to_their_plain_names(d, name, kind):
    r = d.ctl("resolve", name)
    assert (r.rc, r.out) == (0, name + "\n"), r
    err, res = resolve(d, name)
    assert err is None
    assert (res["full"], res["asset"], res["pkg"], res["variant"], res["kind"]) == (
        name, name, "NEURON", "0", kind)
    err, res = resolve(d, name, env="dup")
    assert (err, res["full"]) == (None, name)


def test_builtins_are_a_package_named_NEURON(d):
    names = [p["name"] for p in d.ok("packages")["packages"]]
    assert sorted(names) == ["glia_demo", "glia_plain", "glia_test_mods"]
    all_pkgs = {p["name"]: p for p in d.ok("packages", {"builtins": True})["packages"]}
    assert set(all_pkgs) == {"glia_demo", "glia_plain", "glia_test_mods", "NEURON"}
    assert all_pkgs["NEURON"]["layout"] == "builtin"
    assert all_pkgs["NEURON"]["mods"] == d.ok("status")["builtins"] >= 5


# ---- ambiguity, explicit choices, distinct errors -----------------------------------------

def test_two_packages_with_one_asset_are_ambiguous(d):
    r = d.ctl("--env", "dup", "resolve", "HHna")
    assert (r.rc, r.out) == (1, ""), r
    assert "(ambiguous)" in r.err and DEMO_HHNA in r.err and RIVAL_HHNA in r.err, r
    err, res = resolve(d, "HHna", env="dup")
    assert res is None
    assert err["code"] == "ambiguous"
    assert sorted(err["candidates"]) == [DEMO_HHNA, RIVAL_HHNA]
    # Three candidates from two packages: every one of them is listed.
    err, _ = resolve(d, "Na", env="dup")
    assert err["code"] == "ambiguous"
    assert sorted(err["candidates"]) == sorted([NA_0, NA_T, RIVAL_NA])


def test_the_same_asset_is_not_ambiguous_where_only_one_package_has_it(d):
    assert resolve(d, "HHna")[1]["full"] == DEMO_HHNA


@pytest.mark.parametrize("params,full", [
    ({"asset": "HHna", "pkg": "glia_rival"}, RIVAL_HHNA),
    ({"asset": "HHna", "pkg": "glia_demo"}, DEMO_HHNA),
    ({"asset": "Na", "pkg": "glia_rival"}, RIVAL_NA),
    ({"asset": "Na", "pkg": "glia_test_mods"}, NA_0),  # one package left: its variant 0
    ({"asset": "Na", "variant": "t"}, NA_T),
])
def test_explicit_choice_settles_ambiguity(d, params, full):
    err, res = d.call("resolve", {"env": "dup", **params})
    assert (err, res["full"]) == (None, full)
    args = ["--env", "dup", "resolve", params["asset"]]
    for k in ("pkg", "variant"):
        if k in params:
            args += [f"--{k}", params[k]]
    assert d.ctl(*args).out == full + "\n"


def test_variant_shared_by_two_packages_stays_ambiguous(d):
    err, _ = resolve(d, "Na", env="dup", variant="0")
    assert err["code"] == "ambiguous"
    assert sorted(err["candidates"]) == sorted([NA_0, RIVAL_NA])


def follow_the_advice(d, env, asset):
    """Runs the select an ambiguous answer suggests; the asset must then
    resolve. Leaves no preference behind."""
    amb, _ = resolve(d, asset, env=env)
    assert amb["code"] == "ambiguous", amb
    m = re.search(r"e\.g\. gliactl select (\S+)((?: --\w+=\S+)+)$", amb["message"])
    assert m and m.group(1) == asset, amb["message"]
    opts = m.group(2).split()
    try:
        assert d.ctl("--env", env, "select", asset, *opts).rc == 0
        err, res = resolve(d, asset, env=env)
        assert err is None, (opts, err)
        assert res["full"] in amb["candidates"]
        return opts, res["full"]
    finally:
        assert d.ctl("--env", env, "unselect", asset).rc == 0


@pytest.mark.parametrize("asset", ["HHna", "Na"])
def test_the_advice_of_an_ambiguous_answer_settles_it(d, asset):
    follow_the_advice(d, "dup", asset)


def test_the_advice_when_every_match_is_of_one_package(gliad, tmp_path):
    """Two variants of one package, neither 0: a --pkg advice would change
    nothing (it once said --pkg=glia_two); the variant settles it."""
    site = tmp_path / "site"
    hhk = lib.demo_mods()["HHk"][0]
    lib.Venv(tmp_path / "venv", with_pip=False).install_target(site, lib.write_package(
        tmp_path / "src", "glia_two", {f"mods/Kv__{v}.mod": lib.rename_mechanism(
            hhk, f"glia__glia_two__Kv__{v}") for v in ("a", "b")}))
    d = gliad({"default": [site]})
    opts, full = follow_the_advice(d, "default", "Kv")
    assert len(opts) == 1 and opts[0].startswith("--variant="), opts
    assert full == "glia__glia_two__Kv__" + opts[0].split("=")[1]


def test_unknown_asset_and_no_match_are_distinct(d):
    err, res = resolve(d, "Nope")
    assert res is None and err["code"] == "unknown_asset"
    assert "Nope" in err["message"]
    for params in ({"pkg": "glia_demo"}, {"variant": "zz"}, {"pkg": "glia_test_mods",
                                                              "variant": "1"}):
        err, res = resolve(d, "Na", **params)
        assert res is None and err["code"] == "no_match", params
        assert sorted(err["candidates"]) == [NA_0, NA_T]
    r1 = d.ctl("resolve", "Nope")
    r2 = d.ctl("resolve", "Na", "--pkg", "glia_demo")
    assert (r1.rc, r1.out, r2.rc, r2.out) == (1, "", 1, "")
    assert "(unknown_asset)" in r1.err and "(no_match)" in r2.err


def test_unknown_asset_suggests_a_near_miss(d):
    err, _ = resolve(d, "na")
    assert err["code"] == "unknown_asset"
    assert "'Na'" in err["message"]


@pytest.mark.parametrize("typed, meant", [("AMAP", "AMPA"), ("Nax", "Na"), ("NA", "Na"),
                                           ("ExpSin", "ExpSyn")])
def test_unknown_asset_suggests_the_closest_by_edit_distance(d, typed, meant):
    err, _ = resolve(d, typed)
    assert err["code"] == "unknown_asset"
    assert f"did you mean '{meant}'?" in err["message"], err
    r = d.ctl("resolve", typed)
    assert r.rc == 1 and f"did you mean '{meant}'?" in r.err, r


@pytest.mark.parametrize("typed", ["Nope", "Xy", "AMPAxyz"])
def test_unknown_asset_far_from_every_name_suggests_nothing(d, typed):
    err, _ = resolve(d, typed)
    assert err["code"] == "unknown_asset"
    assert "did you mean" not in err["message"], err


def test_unknown_env(d):
    err, res = resolve(d, "Na", env="nope")
    assert res is None and err["code"] == "unknown_env"
    assert "default" in err["message"] and "dup" in err["message"]
    r = d.ctl("--env", "nope", "resolve", "Na")
    assert r.rc == 1 and "(unknown_env)" in r.err


def test_unknown_package(d):
    err, res = d.call("package", {"name": "nope"})
    assert res is None and err["code"] == "unknown_package"
    r = d.ctl("show-package", "nope")
    assert r.rc == 1 and "(unknown_package)" in r.err


# ---- show, list, packages: what people read ---------------------------------------------

def param_rows(text, full=None):
    """{name: (default, units)} from the parameter tables of `gliactl show`;
    with full, from that candidate's table alone."""
    rows = {}
    if full is not None:
        text = text.split(f"\n{full}  [", 1)[1].split("\n\n", 1)[0]
    for line in text.splitlines():
        m = re.fullmatch(r" {4}(\w+) +(\S+)(?: +(\S+))? *", line)
        if m and m.group(1) != "NAME":
            rows.setdefault(m.group(1), (m.group(2), m.group(3) or ""))
    return rows


def test_show_lists_parameters_with_defaults_and_units(d):
    r = d.ctl("show", "Na")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "Na: 2 candidates"
    assert lines[1].startswith(f"resolves to {NA_0}: ")
    assert f"{NA_0}  [density]  package glia_test_mods, variant 0" in lines
    assert f"{NA_T}  [density]  package glia_test_mods, variant t" in lines
    assert "  title: Fixture sodium channel, five-state kinetic scheme" in lines
    assert "  ions: na (reads ena, writes ina)" in lines
    rows = param_rows(r.out)
    assert rows["gnabar"] == ("0.013", "mho/cm2")
    assert rows["celsius"] == ("32", "degC")
    assert rows["Aalfa"] == ("12.5", "/ms")  # written "( /ms)"
    assert rows["qfac"] == ("2.7", "")
    assert rows["v"] == ("-", "mV")  # declared without a default


def test_show_of_a_point_process(d):
    r = d.ctl("show", "AMPA", "--variant", "1")
    assert r.rc == 0, r
    assert r.out.splitlines()[1].startswith("resolves to glia__glia_test_mods__AMPA__1: ")
    rows = param_rows(r.out, "glia__glia_test_mods__AMPA__1")
    assert rows["gmax"] == ("800", "pS")
    assert rows["U"] == ("0.6", "1")


def test_asset_method_explains_the_choice(d):
    res = d.ok("asset", {"asset": "Na"})
    assert res["asset"] == "Na"
    assert res["resolved"]["code"] == "ok" and res["resolved"]["full"] == NA_0
    assert "variant 0" in res["resolved"]["why"]
    cands = {c["full"]: c for c in res["candidates"]}
    assert set(cands) == {NA_0, NA_T}
    c = cands[NA_0]
    assert (c["pkg"], c["variant"], c["kind"], c["renamed"]) == ("glia_test_mods", "0",
                                                                 "density", False)
    assert c["file"].endswith("/glia_test_mods/mods/Na__0.mod")
    assert {"name": "gnabar", "value": "0.013", "units": "mho/cm2"} in c["params"]
    assert c["ions"] == [{"name": "na", "read": ["ena"], "write": ["ina"], "valence": None}]
    assert "gnabar" in c["ranges"]
    # An ambiguous asset still shows, saying why it does not resolve.
    res = d.ok("asset", {"asset": "HHna", "env": "dup"})
    assert res["resolved"]["full"] is None and res["resolved"]["code"] == "ambiguous"
    r = d.ctl("--env", "dup", "show", "HHna")
    assert r.rc == 0 and r.out.splitlines()[1].startswith("does not resolve: "), r


def test_list_groups_variants_per_package(d):
    r = d.ctl("list")
    assert r.rc == 0, r
    rows = [line.split(None, 3) for line in r.out.splitlines()]
    assert rows[0] == ["ASSET", "KIND", "PACKAGE", "VARIANTS"]
    assert ["Kdr", "density", "glia_plain", "0, fast"] in rows
    assert ["Na", "density", "glia_test_mods", "0, t"] in rows
    assert ["AMPA", "point", "glia_test_mods", "0, 1"] in rows
    assert ["IntervalFire", "artificial", "glia_demo", "0"] in rows
    assert not [row for row in rows if row[0] == "hh"]  # built-ins only with --all
    assert ["hh", "density", "NEURON", "0"] in [l.split(None, 3) for l in
                                               d.ctl("list", "--all").out.splitlines()]


def test_list_an_asset_with_many_variants(gliad, tmp_path):
    """Twenty variants of one asset make one row. (Once the package name was
    read from a buffer the variants had overwritten by then, and each
    variant got a row of its own.)"""
    site = tmp_path / "site"
    variants = [str(i) for i in range(20)]
    hhk = lib.demo_mods()["HHk"][0]
    lib.Venv(tmp_path / "venv", with_pip=False).install_target(site, lib.write_package(
        tmp_path / "src", "glia_many", {f"mods/Kv__{v}.mod": lib.rename_mechanism(
            hhk, f"glia__glia_many__Kv__{v}") for v in variants}))
    d = gliad({"default": [site]})
    r = d.ctl("list")
    assert r.rc == 0, r
    rows = [line.split(None, 3) for line in r.out.splitlines()]
    assert rows[1:] == [["Kv", "density", "glia_many", ", ".join(sorted(variants))]], r.out


def test_packages_table(d, main_site):
    r = d.ctl("packages")
    assert r.rc == 0, r
    rows = [line.split() for line in r.out.splitlines()]
    assert rows[0] == ["PACKAGE", "VERSION", "MODS", "LAYOUT", "PROBLEMS", "ROOT"]
    assert rows[1:] == [
        ["glia_demo", "1.0", str(len(DEMO)), "glia0", "0", str(main_site.site / "glia_demo")],
        ["glia_plain", "1.0", "3", "glia4", "0", str(main_site.site / "glia_plain")],
        ["glia_test_mods", "1.0.0", "4", "glia4", "0", str(main_site.site / "glia_test_mods")],
    ]


def test_status_counts_per_env(d, main_site, rival_site):
    st = d.ok("status")
    envs = {e["name"]: e for e in st["envs"]}
    assert set(envs) == {"default", "dup"}
    n_builtins = st["builtins"]
    default, dup = envs["default"], envs["dup"]
    assert default["site_packages"] == [str(main_site.site)]
    assert dup["site_packages"] == [str(main_site.site), str(rival_site)]
    assert (default["packages"], default["mods"], default["problems"]) == (3, 4 + len(DEMO) + 3, 0)
    assert (dup["packages"], dup["mods"], dup["problems"]) == (4, 4 + len(DEMO) + 3 + 2, 0)
    n_assets = 4 + len(DEMO)  # Na, AMPA, Kdr, Fire and the demo's
    assert (default["assets"], dup["assets"]) == (n_assets + n_builtins, n_assets + n_builtins)
    assert default["ready"] is True and dup["ready"] is True
    r = d.ctl("status")
    assert r.rc == 0, r
    assert (f"env default: 3 packages, {4 + len(DEMO) + 3} mods, {n_assets + n_builtins} "
            f"assets, 0 problems") in r.out.splitlines()
    assert f"  NEURON built-ins: {n_builtins}" in r.out.splitlines()
    assert d.ok("hello")["envs"] == ["default", "dup"]


# ---- --json and exit codes ------------------------------------------------------------------

@pytest.mark.parametrize("args,check", [
    (["resolve", "Na"], lambda j: j["full"] == NA_0 and j["pkg"] == "glia_test_mods"),
    (["show", "Na"], lambda j: j["resolved"]["full"] == NA_0 and len(j["candidates"]) == 2),
    (["list"], lambda j: "Na" in [a["asset"] for a in j]),
    (["packages"], lambda j: len(j["packages"]) == 3 and j["problems"] == []),
    (["show-package", "glia_demo"], lambda j: j["layout"] == "glia0"),
    (["status"], lambda j: [e["name"] for e in j["envs"]] == ["default", "dup"]),
    (["prefs"], lambda j: j == {"assets": {}}),
    (["--env", "dup", "resolve", "HHna", "--pkg", "glia_rival"],
     lambda j: j["full"] == RIVAL_HHNA),
])
def test_json_output_parses(d, args, check):
    for argv in (["--json", *args], [*args, "--json"]):
        r = d.ctl(*argv)
        assert r.rc == 0, r
        assert check(json.loads(r.out)), r.out


@pytest.mark.parametrize("args,code", [(["resolve", "Nope"], "unknown_asset"),
                                       (["--env", "dup", "resolve", "HHna"], "ambiguous")])
def test_json_error_output_parses(d, args, code):
    r = d.ctl("--json", *args)
    assert r.rc == 1, r
    j = json.loads(r.out)
    assert j["error"]["code"] == code


@pytest.mark.parametrize("args", [
    ["resolve"],                       # no asset
    ["resolve", "Na", "AMPA"],         # two assets
    ["resolve", "Na", "--bogus"],      # unknown option
    ["resolve", "Na", "--pkg"],        # option without its value
    ["select", "Na"],                  # neither --pkg nor --variant
    ["frobnicate"],                    # unknown command
    ["--bogus", "status"],             # unknown global option
    [],                                # no command at all
    ["status", "extra"],
])
def test_usage_errors_exit_2(d, args):
    r = d.ctl(*args)
    assert r.rc == 2, r
    assert r.out == ""
    assert r.err.strip(), "a usage error must say what is wrong"


def test_help_exits_0(d):
    for args in (["--help"], ["resolve", "--help"], ["help"]):
        r = d.ctl(*args)
        assert r.rc == 0 and "usage: gliactl" in r.out, r


def test_exit_codes_ok_and_failed(d):
    assert d.ctl("resolve", "Na").rc == 0
    assert d.ctl("resolve", "Nope").rc == 1
    assert d.ctl("--env", "dup", "resolve", "HHna").rc == 1


@pytest.mark.parametrize("cmd", [["resolve", "Na"], ["status"], ["prefs"]])
def test_no_daemon_exits_3_and_says_how_to_start_it(tmp_path, cmd):
    missing = tmp_path / "nothing-here.sock"
    for r in (lib.gliactl("--socket", missing, *cmd),
              lib.gliactl(*cmd, socket=missing)):  # via GLIA_SOCKET
        assert r.rc == 3, r
        assert r.out == ""
        assert str(missing) in r.err
        assert "gliad is not running" in r.err
        assert "gliad &" in r.err and "systemctl --user start gliad.socket" in r.err


def test_stale_socket_file_exits_3(tmp_path):
    import socket
    path = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the file stays, nobody listens
    r = lib.gliactl("resolve", "Na", socket=path)
    assert r.rc == 3 and "gliad is not running" in r.err, r
