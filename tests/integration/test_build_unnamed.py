"""A mod with no NEURON block is what nocmodl makes of it: a density
mechanism named after its file (old-style function tables are written so).
gliad indexes it under its file's stem, renames it like any plain mod, and
the library NEURON loads has it, with its FUNCTIONs, under the full name.
"""
import buildlib as bl
import glia_testlib as lib

FUNCTION_TABLE_MOD = """\
: an old-style mod: no NEURON block, one FUNCTION
PARAMETER { scale = 2 }
FUNCTION asinx(x) {
    asinx = scale * x
}
"""
FULL = "glia__glia_unnamed__asin__0"


def test_mod_without_neuron_block_is_a_density_mechanism(gliad, fresh_venv, tmp_path):
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_unnamed", {
        "mods/asin.mod": FUNCTION_TABLE_MOD}))
    d = gliad({"default": [fresh_venv.site]})
    assert d.ok("resolve", {"asset": "asin"})["full"] == FULL
    res = bl.library(d)
    assert res["status"] == "ready" and res["names"] == [FULL] and res["failed"] == 0, res
    got = bl.neuron("""
        load(ARGS["lib"])
        soma = h.Section(name="soma")
        soma.insert(ARGS["full"])
        result({"kind": mechanisms().get(ARGS["full"]),
                "twice": getattr(h, "asinx_" + ARGS["full"])(1.5)})
    """, lib=res["path"], full=FULL)
    assert got == {"kind": "density", "twice": 3.0}


def test_mechanism_named_in_an_include_is_left_out_with_where(gliad, fresh_venv, tmp_path):
    """nocmodl would name it from the INCLUDEd NEURON block, which a build
    cannot rename: left out, saying so, rather than built under a name the
    index does not know."""
    fresh_venv.install(lib.write_package(tmp_path / "src", "glia_incname", {
        "mods/named__0.mod": 'INCLUDE "neuron.inc"\nPARAMETER { g = 1 }\n',
        "mods/neuron.inc": "NEURON {\n    SUFFIX from_include\n}\n",
        "mods/Own__0.mod": "NEURON { SUFFIX own }\nPARAMETER { g = 1 }\n"}))
    d = gliad({"default": [fresh_venv.site]})
    assert d.ok("resolve", {"asset": "Own"})["full"] == "glia__glia_incname__Own__0"
    err, _ = d.call("resolve", {"asset": "named"})
    assert err["code"] == "unknown_asset", err
    problems = d.ok("package", {"name": "glia_incname"})["problem_list"]
    assert len(problems) == 1, problems
    assert problems[0]["file"].endswith("mods/named__0.mod")
    assert 'named in INCLUDE "neuron.inc" (line 2: from_include)' in problems[0]["reason"]
