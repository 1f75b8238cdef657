#!/usr/bin/python3
"""MPI benchmark: glia on every rank of `mpirun -np 8` against loading the
library directly, and the connections gliad saw.

    bench/mpi_bench.py [--ranks 8] [--sections 1000] [--runs 3]

A site-packages dir with one Glia package (NEURON's HHk demo mod as asset
K), a gliad of its own serving it, its library built. Then, alternating, as
many runs of each (mpirun --oversubscribe, as root with
--allow-run-as-root):

  glia    every rank: import glia, insert K into --sections sections
          (the module's node sharing: one rank asks gliad, the rest read
          its answer);
  direct  every rank: h.nrn_load_dll(library) and section.insert(full name).

Reported: medians of the whole mpirun's wall time and of the slowest rank's
time from the first import to the last insert; connections gliad logged
per glia run. Target: at most one connection per node, time at most 1.2x
direct.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import PYDIR, Rpc, start_gliad  # noqa: E402

DEMO = "/usr/share/nrn/demo/release/khhchan.mod"
FULL = "glia__glia_mpibench__K__0"

SCRIPTS = {
    "glia": """
import sys, time
t0 = time.perf_counter()
import glia
from neuron import h
secs = [h.Section(name=f"s{i}") for i in range(int(sys.argv[1]))]
for s in secs:
    glia.insert(s, "K")
print("TIME", time.perf_counter() - t0, flush=True)
""",
    "direct": """
import sys, time
t0 = time.perf_counter()
from neuron import h
h.nrn_load_dll(sys.argv[2])
secs = [h.Section(name=f"s{i}") for i in range(int(sys.argv[1]))]
for s in secs:
    s.insert(sys.argv[3])
print("TIME", time.perf_counter() - t0, flush=True)
""",
}


def make_site(site):
    di = os.path.join(site, "glia_mpibench-1.0.dist-info")
    os.makedirs(di)
    with open(os.path.join(di, "entry_points.txt"), "w") as f:
        f.write("[glia.package]\nglia_mpibench = glia_mpibench:package\n")
    mods = os.path.join(site, "glia_mpibench", "mods")
    os.makedirs(mods)
    text = open(DEMO, encoding="latin-1").read().replace("SUFFIX HHk", f"SUFFIX {FULL}")
    with open(os.path.join(mods, "K__0.mod"), "w", encoding="latin-1") as f:
        f.write(text)


def run(mode, args, tmp, env, lib):
    out = os.path.join(tmp, f"out-{mode}-{time.monotonic_ns()}")
    argv = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(args.ranks),
            "--output-filename", out, sys.executable, "-c", SCRIPTS[mode],
            str(args.sections), lib, FULL]
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    times = []
    for d, _, files in os.walk(out):
        if "stdout" in files:
            for line in open(os.path.join(d, "stdout")):
                if line.startswith("TIME "):
                    times.append(float(line.split()[1]))
    assert len(times) == args.ranks, f"{mode}: {len(times)} ranks reported"
    return wall, max(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ranks", type=int, default=8)
    ap.add_argument("--sections", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gliampi.")
    proc = None
    try:
        site = os.path.join(tmp, "site")
        make_site(site)
        proc, sock = start_gliad(tmp, site, log_level="debug")
        lib = Rpc(sock).call("library", {"wait": True})["path"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GLIA_", "PYTHON"))}
        env.update(GLIA_SOCKET=sock, GLIA_ENV="default", GLIA_NO_AUTOSTART="1",
                   PYTHONPATH=PYDIR, NEURON_MODULE_OPTIONS="-nogui")
        log = os.path.join(tmp, "gliad.log")
        res = {"glia": [], "direct": []}
        conns = []
        for i in range(args.runs):
            for mode in ("glia", "direct") if i % 2 == 0 else ("direct", "glia"):
                before = open(log).read().count(" connected (pid ")
                res[mode].append(run(mode, args, tmp, env, lib))
                if mode == "glia":
                    conns.append(open(log).read().count(" connected (pid ") - before)
        med = {m: (statistics.median(w for w, _ in v), statistics.median(t for _, t in v))
               for m, v in res.items()}
        print(f"mpirun -np {args.ranks}, {args.sections} sections per rank, {args.runs} runs each")
        for m in ("glia", "direct"):
            print(f"  {m:7s} wall {med[m][0]:6.2f} s   slowest rank {med[m][1] * 1000:7.1f} ms")
        print(f"  ratio   wall {med['glia'][0] / med['direct'][0]:.2f}x   "
              f"slowest rank {med['glia'][1] / med['direct'][1]:.2f}x")
        print(f"  connections gliad saw per glia run: {conns}")
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
