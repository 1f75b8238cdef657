#!/usr/bin/python3
"""The glia module's own part of `import glia.library`, timed inside the process.

    bench/python_import_bench.py [--runs 41] [--before REV]

python_bench.py times whole processes; on this shared machine their medians
move with the load by more than the 2-5 ms measured here, and NEURON's
registration of its 40-mod library varies by as much again. Here the
package is the README's example (3 small mods: nrn_load_dll takes a few
tenths of a millisecond), and the clock starts after `from neuron import h`:

  baseline  h.nrn_load_dll(the library gliad built)
  glia      import glia.library (import, connect, register, wait for the
            library, check it, load it: the baseline's work included)

fastest and median of --runs fresh processes each, alternating; with
--before REV, the module of git revision REV too. Also the CPU time of the
whole processes (getrusage of the children), which the load moves less.
Target: the module's own part (glia less baseline) at most 3 ms.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, Rpc, start_gliad  # noqa: E402
from python_bench import PYDIR, before_module  # noqa: E402

AFTER_NEURON = ("import time\nfrom neuron import h\nt0 = time.perf_counter()\n{}\n"
                "print((time.perf_counter() - t0) * 1e3)")


def timed(py, stmt, env, cpu):
    """ms inside the process; appends the process's CPU ms to cpu."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ms = float(subprocess.check_output([py, "-c", AFTER_NEURON.format(stmt)], env=env))
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3)
    return ms


def venv_with_example(tmp):
    venv = os.path.join(tmp, "venv")
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv], check=True)
    py = os.path.join(venv, "bin", "python")
    pkg = os.path.join(tmp, "glia_example")
    shutil.copytree(os.path.join(ROOT, "examples", "glia_example"), pkg)
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation",
                    "--no-deps", pkg], check=True)
    site = subprocess.check_output(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip()
    return py, site


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--before", metavar="REV", help="also time the module of this revision")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gliaimp.")
    gliad = None
    try:
        py, site = venv_with_example(tmp)
        # Byte-compiled, as meson install leaves it.
        subprocess.run(["/usr/bin/python3", "-m", "compileall", "-q",
                        os.path.join(ROOT, "client", "python", "glia")], check=True)
        gliad, sock = start_gliad(tmp, site)
        Rpc(sock).call("library", {"wait": True})
        env = dict(os.environ, GLIA_SOCKET=sock, PYTHONPATH=PYDIR, GLIA_NO_AUTOSTART="1",
                   NEURON_MODULE_OPTIONS="-nogui")
        subprocess.run([py, "-c", "import glia.library"], env=env, check=True)  # registers
        lib = subprocess.check_output(
            [py, "-c", "import glia; print(glia._manager.call('library')['path'])"],
            env=env, text=True).strip()
        kinds = {"baseline": (f"h.nrn_load_dll({lib!r})", env),
                 "glia": ("import glia.library", env)}
        if args.before:
            kinds["glia " + args.before] = ("import glia.library",
                                            before_module(tmp, args.before, env))
        ms = {k: [] for k in kinds}
        cpu = {k: [] for k in kinds}
        for _ in range(args.runs):  # alternating, so all see the same machine
            for k, (stmt, e) in kinds.items():
                ms[k].append(timed(py, stmt, e, cpu[k]))
        base = min(ms["baseline"]), statistics.median(ms["baseline"])
        cbase = min(cpu["baseline"]), statistics.median(cpu["baseline"])
        print(f"{args.runs} runs each, load {os.getloadavg()[0]:.1f}; fastest / median")
        print(f"{'':28}{'inside (ms)':>18}{'own part':>18}{'CPU, whole process':>22}")
        ok = True
        for k in kinds:
            f, m = min(ms[k]), statistics.median(ms[k])
            cf, cm = min(cpu[k]), statistics.median(cpu[k])
            own = "" if k == "baseline" else f"{f - base[0]:+7.2f} /{m - base[1]:+7.2f}"
            cown = (f"{cf:7.1f} /{cm:7.1f}" if k == "baseline"
                    else f"{cf - cbase[0]:+7.1f} /{cm - cbase[1]:+7.1f}")
            print(f"{k:28}{f:8.2f} /{m:7.2f}{own:>18}{cown:>22}")
            if k == "glia":
                ok = f - base[0] <= 3
        print("target (own part, fastest, at most 3 ms):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        if gliad:
            gliad.terminate()
            gliad.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
