"""Preferences: global ones stored by gliad (select/unselect/prefs, kept
across restarts) and the script/context scopes a client sends with resolve.

The resolver's rules are unit-tested one by one; here a few end-to-end cases
prove gliad feeds them the right scopes in the right order.
"""

import msgpack
import pytest

from glia_testlib import NA_0, NA_T, DEMO_HHNA, RIVAL_HHNA, RIVAL_NA

pytestmark = pytest.mark.shared_build_cache


@pytest.fixture
def d(gliad, main_site, rival_site):
    """A daemon of the test's own: these tests change global preferences."""
    return gliad({"default": [main_site.site], "dup": [main_site.site, rival_site]})


@pytest.fixture(scope="module")
def ro(module_gliad, main_site, rival_site):
    """A daemon for the tests that change no global preference."""
    return module_gliad({"default": [main_site.site], "dup": [main_site.site, rival_site]})


def full(d, asset, env="dup", **params):
    err, res = d.call("resolve", {"asset": asset, "env": env, **params})
    return err["code"] if err else res["full"]


# ---- global preferences ------------------------------------------------------------------

def test_select_settles_ambiguity_and_unselect_undoes_it(d):
    assert full(d, "HHna") == "ambiguous"
    r = d.ctl("--env", "dup", "select", "HHna", "--pkg=glia_rival")
    assert (r.rc, r.out) == (0, "HHna: package glia_rival, variant any (global preference)\n"), r
    assert d.ctl("--env", "dup", "resolve", "HHna").out == RIVAL_HHNA + "\n"
    assert d.ok("prefs") == {"assets": {"HHna": {"pkg": "glia_rival", "variant": None}}}
    r = d.ctl("prefs")
    assert [l.split() for l in r.out.splitlines()] == [["ASSET", "PACKAGE", "VARIANT"],
                                                      ["HHna", "glia_rival", "(any)"]]
    r = d.ctl("unselect", "HHna")
    assert (r.rc, r.out) == (0, "HHna: global preference removed\n"), r
    assert full(d, "HHna") == "ambiguous"
    assert d.ok("prefs") == {"assets": {}}
    r = d.ctl("unselect", "HHna")
    assert (r.rc, r.out) == (0, "HHna: had no global preference\n"), r


def test_select_persists_across_restart(d):
    assert d.ctl("--env", "dup", "select", "HHna", "--pkg", "glia_demo").rc == 0
    assert d.ctl("select", "Na", "--variant=t").rc == 0
    prefs = {"assets": {"HHna": {"pkg": "glia_demo", "variant": None},
                        "Na": {"pkg": None, "variant": "t"}}}
    old_pid = d.pid
    d.restart()  # same config, same state dir
    assert d.pid != old_pid
    assert d.ok("prefs") == prefs
    assert full(d, "HHna") == DEMO_HHNA
    assert full(d, "Na", env="default") == NA_T
    # An unselect is as durable as a select.
    assert d.ctl("unselect", "HHna").rc == 0
    d.restart()
    assert d.ok("prefs") == {"assets": {"Na": {"pkg": None, "variant": "t"}}}
    assert full(d, "HHna") == "ambiguous"


def test_select_survives_a_crash(gliad, main_site):
    d = gliad({"default": [main_site.site]})
    assert d.ctl("select", "Na", "--variant", "t").rc == 0
    d.kill()  # SIGKILL: no orderly close of the database
    d2 = gliad({"default": [main_site.site]}, state_dir=d.state_dir)
    assert d2.ok("prefs") == {"assets": {"Na": {"pkg": None, "variant": "t"}}}
    assert full(d2, "Na", env="default") == NA_T


def test_prefs_are_global_across_envs(d):
    # Selected while asking about dup; where the package is missing (default)
    # the preference matches nothing and is ignored.
    assert d.ctl("--env", "dup", "select", "Na", "--pkg", "glia_rival").rc == 0
    assert full(d, "Na") == RIVAL_NA
    assert full(d, "Na", env="default") == NA_0


def test_select_refuses_what_nothing_could_satisfy(d):
    err, _ = d.call("select", {"asset": "HHna", "pkg": "nope", "env": "dup"})
    assert err["code"] == "no_match"
    assert sorted(err["candidates"]) == [DEMO_HHNA, RIVAL_HHNA]
    err, _ = d.call("select", {"asset": "Nope", "pkg": "glia_demo"})
    assert err["code"] == "unknown_asset"
    err, _ = d.call("select", {"asset": "Na"})
    assert err["code"] == "bad_request"
    r = d.ctl("select", "Na", "--variant", "zz")
    assert r.rc == 1 and "(no_match)" in r.err, r
    assert d.ok("prefs") == {"assets": {}}


def test_select_that_leaves_several_candidates_is_kept(d):
    # variant 0 of Na in dup: glia_rival's and glia_test_mods'. Accepted; a
    # script's choice may narrow it later.
    assert d.ok("select", {"asset": "Na", "variant": "0", "env": "dup"})["matches"] == 2
    assert full(d, "Na") == "ambiguous"
    assert full(d, "Na", prefs=[{"pkg": "glia_rival"}]) == RIVAL_NA


def test_explicit_choice_beats_global_preference(d):
    assert d.ctl("select", "Na", "--variant", "t").rc == 0
    assert full(d, "Na", env="default") == NA_T
    assert full(d, "Na", env="default", variant="0") == NA_0
    assert d.ctl("resolve", "Na", "--variant", "0").out == NA_0 + "\n"


# ---- script and context scopes ----------------------------------------------------------

@pytest.mark.parametrize("prefs,expected", [
    # a scope's general package preference
    ([{"pkg": "glia_rival"}], RIVAL_HHNA),
    ([{"pkg": "glia_demo"}], DEMO_HHNA),
    # within one scope, the asset's own preference beats the general one
    ([{"pkg": "glia_rival", "assets": {"HHna": {"pkg": "glia_demo"}}}], DEMO_HHNA),
    ([{"pkg": "glia_demo", "assets": {"HHna": {"pkg": "glia_rival"}}}], RIVAL_HHNA),
    # an asset preference for another asset changes nothing
    ([{"pkg": "glia_rival", "assets": {"Na": {"pkg": "glia_demo"}}}], RIVAL_HHNA),
    # nested contexts: the innermost (last) wins
    ([{"pkg": "glia_demo"}, {"pkg": "glia_rival"}], RIVAL_HHNA),
    ([{"pkg": "glia_rival"}, {"pkg": "glia_demo"}], DEMO_HHNA),
    ([{"pkg": "glia_rival"}, {"assets": {"HHna": {"pkg": "glia_demo"}}}], DEMO_HHNA),
    # a scope without an opinion leaves the outer one standing
    ([{"pkg": "glia_rival"}, {}], RIVAL_HHNA),
    ([{"pkg": "glia_rival"}, {"variant": None, "pkg": None}], RIVAL_HHNA),
    # a preference nothing satisfies falls back to no preference at all
    ([{"pkg": "nope"}], "ambiguous"),
])
def test_scopes(ro, prefs, expected):
    assert full(ro, "HHna", prefs=prefs) == expected


def test_fields_are_decided_one_by_one(ro):
    # The asset preference sets the package, the general one the variant.
    prefs = [{"variant": "t", "assets": {"Na": {"pkg": "glia_test_mods"}}}]
    assert full(ro, "Na", prefs=prefs) == NA_T
    # A context's variant and the script's package combine.
    assert full(ro, "Na", prefs=[{"pkg": "glia_test_mods"}, {"variant": "t"}]) == NA_T
    assert full(ro, "Na", prefs=[{"pkg": "glia_test_mods"}]) == NA_0


def test_fallback_when_scopes_match_nothing(ro):
    assert full(ro, "Na", env="default", prefs=[{"variant": "zz"}]) == NA_0
    # ... whereas an explicit choice that matches nothing is an error.
    assert full(ro, "Na", env="default", variant="zz") == "no_match"


def test_script_scope_beats_global(d):
    assert d.ctl("--env", "dup", "select", "HHna", "--pkg", "glia_demo").rc == 0
    assert full(d, "HHna") == DEMO_HHNA
    assert full(d, "HHna", prefs=[{"pkg": "glia_rival"}]) == RIVAL_HHNA
    assert full(d, "HHna", prefs=[{"assets": {"HHna": {"pkg": "glia_rival"}}}]) == RIVAL_HHNA
    # A script scope about other things leaves the global preference in force.
    assert full(d, "HHna", prefs=[{"variant": "0"}]) == DEMO_HHNA


def test_single_call_beats_every_scope(d):
    assert d.ctl("--env", "dup", "select", "HHna", "--pkg", "glia_rival").rc == 0
    prefs = [{"pkg": "glia_rival"}, {"assets": {"HHna": {"pkg": "glia_rival"}}}]
    assert full(d, "HHna", prefs=prefs, pkg="glia_demo") == DEMO_HHNA


def test_asset_method_takes_the_same_scopes(ro):
    res = ro.ok("asset", {"asset": "HHna", "env": "dup", "prefs": [{"pkg": "glia_rival"}]})
    assert res["resolved"]["code"] == "ok"
    assert res["resolved"]["full"] == RIVAL_HHNA
    assert "glia_rival" in res["resolved"]["why"]


def test_an_asset_named_twice_in_a_scope_merges_field_by_field(ro):
    """A map with a duplicate key (msgpack allows it): the later entry wins
    for each field it sets, as resolution.md says, rather than replacing the
    earlier entry whole."""
    # {"assets": {"Na": {"pkg": "glia_test_mods"}, "Na": {"variant": "0"}}}: the
    # variant alone leaves glia_rival's Na in, the package alone is settled
    # only by the variant-0 tie break; both make NA_0 the one match.
    na = lambda key, val: b"\xa2Na\x81" + msgpack.packb(key) + msgpack.packb(val)
    scope = b"\x81\xa6assets\x82" + na("pkg", "glia_test_mods") + na("variant", "0")
    params = (b"\x83\xa5asset\xa2Na\xa3env\xa3dup\xa5prefs\x91" + scope)
    with ro.connect() as c:
        c.send_raw(b"\x94\x00\x07\xa7resolve\x91" + params)
        err, res = c.response(7)
    assert err is None and res["full"] == NA_0, err


@pytest.mark.parametrize("prefs,word", [
    ("glia_rival", "prefs"),
    ({"pkg": "glia_rival"}, "prefs"),
    ([5], "scope"),
    ([{"pkg": 5}], "pkg"),
    ([{"variant": ["t"]}], "variant"),
    ([{"assets": ["HHna"]}], "assets"),
    ([{"assets": {"HHna": "glia_rival"}}], "asset preference"),
    ([{"assets": {"HHna": {"pkg": 1}}}], "pkg"),
    # a C string would be cut at the NUL, and "glia_rival\0zz" read as glia_rival
    ([{"pkg": "glia_rival\0zz"}], "NUL"),
    ([{"assets": {"HHna": {"variant": "0\0"}}}], "NUL"),
])
def test_malformed_scopes_are_bad_requests(ro, prefs, word):
    err, res = ro.call("resolve", {"asset": "HHna", "env": "dup", "prefs": prefs})
    assert res is None and err["code"] == "bad_request", err
    assert word in err["message"]
