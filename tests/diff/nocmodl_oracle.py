"""What NEURON will register for a mod, read from the C that nocmodl makes of it.

nocmodl is the reference: gliad's reading of a mod (daemon/core/modfile.c) must
agree with this. Run as nrnivmodl runs it: on a copy named as the mod, with
MODLUNIT pointing at NEURON's units, from the mod's own directory (INCLUDE).
"""
import os
import re
import shutil
import subprocess

NRNUNITS = "/usr/share/nrn/lib/nrnunits.lib"

# Hoc names every point process has, whatever its mod says.
POINT_MEMBERS = {"loc", "has_loc", "get_loc"}


def find_nocmodl():
    return shutil.which("nocmodl")


def _c_strings(c, table):
    """The quoted names of the C array `table` (hoc_scdoub[], _member_func[]...)."""
    m = re.search(r"\b%s\[\] = \{(.*?)\n\};" % re.escape(table), c, re.S)
    return re.findall(r'^\s*"([^"]+)"', m.group(1), re.M) if m else []


def _unsuffixed(names, suffix):
    if not suffix:
        return set(names)
    tail = "_" + suffix
    return {n[: -len(tail)] if n.endswith(tail) else n for n in names}


def read_c(c):
    """The registration nocmodl wrote into `c`, as a dict (see compare in modfile_diff.py)."""
    m = re.search(r'_mechanism\[\] = \{\s*"[^"]*",\s*"([^"]*)"', c)
    name = m.group(1) if m else None
    if "add_nrn_artcell(" in c:
        kind = "artificial"
    elif "point_register_mech(" in c:
        kind = "point"
    elif re.search(r"\bregister_mech\(", c):
        kind = "density"
    else:  # SUFFIX nothing: nothing registered but hoc names
        kind, name = "nothing", None
    ions = {}
    for ion, valence in re.findall(r'ion_reg\("(\w+)", ([-+\d.eE]+)\)', c):
        v = float(valence)
        ions[ion] = None if v == -10000.0 else v
    globals_ = _c_strings(c, "hoc_scdoub") + _c_strings(c, "hoc_vdoub")
    # Global hoc functions, or a point process's methods (both, for the
    # odd mod that is a point process and SUFFIX nothing at once).
    functions = {f for f in _c_strings(c, "hoc_intfunc") if not f.startswith("setdata_")}
    functions |= set(_c_strings(c, "_member_func")) - POINT_MEMBERS
    return {
        "ok": True,
        "name": name,
        "kind": kind,
        "ions": ions,
        "globals": _unsuffixed(globals_, name),
        "functions": _unsuffixed(functions, name if kind == "density" else None),
    }


def run(text, stem, workdir, cwd):
    """nocmodl on `text` saved as workdir/stem.mod. Returns read_c's dict, or
    {"ok": False, "line": N or None, "output": ...} when nocmodl refuses it."""
    mod = os.path.join(workdir, stem + ".mod")
    c_path = os.path.join(workdir, stem + ".c")
    with open(mod, "wb") as f:
        f.write(text)
    if os.path.exists(c_path):
        os.unlink(c_path)
    env = dict(os.environ, MODLUNIT=NRNUNITS)
    p = subprocess.run([find_nocmodl(), mod, "-o", workdir], cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode("latin-1")
    if p.returncode != 0 or not os.path.exists(c_path):
        m = re.search(r"at line (\d+)", out)
        return {"ok": False, "line": int(m.group(1)) if m else None, "output": out}
    with open(c_path, encoding="latin-1") as f:
        return read_c(f.read())
