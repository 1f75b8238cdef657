"""The Python port of gliad's resolution rules (glia/_bundle.py, serving a
bundle or an MPI node's shared answer) against the cases of gliad's own
unit tests (tests/unit/test_resolve.c), one for one: a bundle must resolve
as gliad does. Pure: no gliad, no NEURON."""

import sys

import pytest

import pylib

sys.path.insert(0, str(pylib.CLIENT))
from glia import _bundle  # noqa: E402


def cand(full):
    _, pkg, _asset, variant = full.split("__")
    return {"full": full, "package": pkg, "variant": variant}


KV1 = [cand(f) for f in ("glia__dbbs__Kv1__fast", "glia__dbbs__Kv1__0",
                         "glia__other__Kv1__slow", "glia__other__Kv1__0")]
DBBS_FAST, DBBS_0, OTHER_SLOW, OTHER_0 = range(4)
KV1_DBBS = KV1[:2]


def scope(name, pkg=None, variant=None, assets=None):
    return {"name": name, "pkg": pkg, "variant": variant, "assets": assets or {}}


def chosen(cands, scopes=(), pkg=None, variant=None):
    status, i, _ = _bundle.resolve(cands, "Kv1", list(scopes), pkg, variant)
    assert status == "ok", status
    return i


def status(cands, scopes=(), pkg=None, variant=None):
    return _bundle.resolve(cands, "Kv1", list(scopes), pkg, variant)[0]


def test_plain_outcomes():
    assert status([], [scope("global", "dbbs")], "dbbs", "0") == "unknown_asset"
    assert chosen([KV1[OTHER_SLOW]]) == 0


def test_tie_break():
    assert chosen(KV1_DBBS) == 1
    st, _, matches = _bundle.resolve(KV1, "Kv1", [], None, None)
    assert (st, matches) == ("ambiguous", [0, 1, 2, 3])
    assert status(KV1[DBBS_0:DBBS_0 + 2]) == "ambiguous"
    assert status([cand("glia__dbbs__Kv1__fast"), cand("glia__dbbs__Kv1__slow")]) == "ambiguous"
    assert status([cand("glia__dbbs__Kv1__0"), cand("glia__dbbs__Kv1__0")]) == "ambiguous"
    many = [cand(f"glia__p{i}__Kv1__0") for i in range(70)]
    assert status(many) == "ambiguous"
    same = [cand("glia__same__Kv1__0")] + [cand("glia__same__Kv1__v") for _ in range(69)]
    assert chosen(same) == 0
    same[-1] = cand("glia__late__Kv1__v")
    assert status(same) == "ambiguous"


@pytest.mark.parametrize("scopes,call,want", [
    # an asset's own preference beats its scope's general one
    ([scope("script", "other", assets={"Kv1": {"pkg": "dbbs"}})], {}, DBBS_0),
    # another asset's preference is not applied
    ([scope("script", "other", assets={"Kv2": {"pkg": "dbbs", "variant": "fast"},
                                       "Kv": {"pkg": "dbbs", "variant": "fast"}})], {}, OTHER_0),
    # a higher scope's general pkg beats a lower scope's asset preference
    ([scope("script", assets={"Kv1": {"pkg": "dbbs"}}), scope("context 1", "other")], {},
     OTHER_0),
    # an asset preference setting the variant takes its scope's general pkg
    ([scope("global", "dbbs"), scope("script", "other", assets={"Kv1": {"variant": "slow"}})],
     {}, OTHER_SLOW),
    ([scope("script", "other", assets={"Kv1": {"variant": "0"}})], {}, OTHER_0),
    # the innermost context wins; global is lowest, yet applies alone
    ([scope("global"), scope("script"), scope("context 1", "dbbs"), scope("context 2", "other")],
     {}, OTHER_0),
    ([scope("global", "dbbs"), scope("script", "other")], {}, OTHER_0),
    ([scope("global", "dbbs", "fast"), scope("script")], {}, DBBS_FAST),
    # the call beats everything, field by field
    ([scope(n, "dbbs", "0", {"Kv1": {"pkg": "dbbs", "variant": "0"}})
      for n in ("global", "script", "context 1")], {"pkg": "other", "variant": "slow"},
     OTHER_SLOW),
    ([scope("script", "dbbs", "slow")], {"pkg": "other"}, OTHER_SLOW),
    # a preference matching nothing falls back to the call's own fields
    ([scope("script", variant="fast")], {"pkg": "other"}, OTHER_0),
    ([scope("global", "dbbs", "fast"), scope("script"),
      scope("context 1", assets={"Kv1": {"pkg": "dbbs"}}), scope("context 2")], {}, DBBS_FAST),
])
def test_field_by_field(scopes, call, want):
    assert chosen(KV1, scopes, **call) == want


def test_falling_back():
    assert chosen(KV1_DBBS, [scope("global", "other")]) == 1
    assert chosen(KV1_DBBS, [scope("context 1", "other")], variant="fast") == 0
    assert status(KV1, [scope("global", "missing")]) == "ambiguous"
    assert status(KV1, [], pkg="missing") == "no_match"
    assert status(KV1, [scope("script", variant="fast")], pkg="missing") == "no_match"


def test_suggestions_as_gliad_makes_them():
    names = ["Na", "AMPA", "Kv1", "Kv3", "Leak", "Kdr"]
    for typed, want in [("AMAP", "AMPA"), ("Nax", "Na"), ("NA", "Na"), ("ampa", "AMPA"),
                        ("Leek", "Leak"), ("Lek", "Leak"), ("Kv2", "Kv1")]:
        assert _bundle._suggest(typed, names) == want, typed
    assert _bundle._suggest("Kv2", ["Kv3", "Kv1"]) == "Kv1"
    for typed in ("Nope", "K", "Nb", "AMPAxyz", ""):
        assert _bundle._suggest(typed, ["Na", "AMPA", "Kv1", "Leak"]) is None, typed
    assert _bundle._distance("ca", "abc") == 3 and _bundle._distance("amap", "ampa") == 1
