"""Fixtures for the bundle and MPI tests: a hand-made site-packages dir
(no pip: a dist-info with entry_points.txt is all a scan reads) holding two
Glia 4 packages made of NEURON's demo mods, one mod of which INCLUDEs a
file, and the bundle `gliactl bundle` makes of it."""

import json
from pathlib import Path

import glia_testlib as lib

BUND = "glia_bund"
OTHER = "glia_other"
K0 = f"glia__{BUND}__K__0"
KFAST = f"glia__{BUND}__K__fast"
OTHER_K0 = f"glia__{OTHER}__K__0"
FIRE = f"glia__{BUND}__Fire__0"
BAD = f"glia__{BUND}__Bad__0"  # does not compile


def write_site_package(site, name, mods, version="1.0"):
    """site/<name>-<version>.dist-info/entry_points.txt and site/<name>/mods/..."""
    di = Path(site) / f"{name}-{version}.dist-info"
    di.mkdir(parents=True)
    (di / "entry_points.txt").write_text(f"[glia.package]\n{name} = {name}:package\n")
    (di / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for rel, text in mods.items():
        p = Path(site) / name / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="latin-1")


def make_site(site):
    demo = lib.demo_mods()
    hhk = demo["HHk"][0]
    write_site_package(site, BUND, {
        "mods/K__0.mod": 'INCLUDE "k.inc"\n' + lib.rename_mechanism(hhk, K0),
        "mods/k.inc": ": included by K__0.mod\n",
        "mods/K__fast.mod": lib.rename_mechanism(hhk, KFAST),
        "mods/Fire__0.mod": lib.rename_mechanism(demo["IntervalFire"][0], FIRE),
        "mods/Bad__0.mod": lib.rename_mechanism(hhk, BAD).replace("BREAKPOINT {",
                                                                 "BREAKPOINT { @@@"),
    })
    write_site_package(site, OTHER, {"mods/K__0.mod": lib.rename_mechanism(hhk, OTHER_K0)},
                       version="2.0")
    return Path(site)


def manifest(directory):
    return json.loads((Path(directory) / "manifest.json").read_text())


# A script using the bundle: every rule the manifest must carry, a
# simulation, and the errors. Reports one RESULT line.
SCRIPT = '''
import glia
from neuron import h
from glia.exceptions import UnknownAssetError, NoMatchesError, CompileError
s = h.Section(name="soma"); s.L = s.diam = 20
glia.insert(s, "K", attributes={"gkbar": 0})  # there, and no obstacle to spiking
with glia.context(variant="fast"):
    fast = glia.resolve("K")
other = glia.resolve("K", pkg="glia_other")
errors = []
for args in (("Nope",), ("K", "glia_nope")):
    try:
        glia.resolve(*args) if len(args) == 1 else glia.resolve(args[0], pkg=args[1])
    except (UnknownAssetError, NoMatchesError) as e:
        errors.append(type(e).__name__)
try:
    glia.insert(s, "Bad")
except CompileError as e:
    errors.append(type(e).__name__)
glia.insert(s, "Fire")
s.insert("hh")
stim = h.IClamp(s(0.5)); stim.delay = 1; stim.dur = 30; stim.amp = 0.3
m = glia.library_manifest()
out(k=glia.resolve("K"), fast=fast, other=other, errors=errors,
    density=density(s), spikes=spikes(s), env=m["env"], library=m["library"].get("file"))
'''
