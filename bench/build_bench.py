#!/usr/bin/python3
"""Build benchmark: gliad against the Python Glia's way, in one run.

    bench/build_bench.py [--mods 42] [--packages 1] [--rounds 3] [--before REV]

On P packages of N mods each (NEURON's demo mods and the suite's, copied
under new names), measures

  cold      gliad's first build with an empty cache
  one mod   gliad's rebuild after one mod's text changed
  nothing   gliad's build with nothing changed (and its compiler processes)

and, as the baseline, what the Python Glia does on every change: copy all
mods into one dir and run nrnivmodl on them (Debian's, through the NRNHOME
tree of symlinks it needs). Each figure is the median of --rounds rounds,
gliad and nrnivmodl alternating so both see the same machine. --before REV
also builds gliad of git revision REV (in a build dir of its own) and runs
it in every round beside this build's.
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
import make_site  # noqa: E402
from benchlib import GLIAD, ROOT, Rpc, start_gliad  # noqa: E402


def nrnhome(tmp):
    """The tree Debian's nrnivmodl needs (it looks for nrnmech_makefile in
    $NRNHOME/bin and libnrniv in $NRNHOME/lib)."""
    home = os.path.join(tmp, "nrnhome")
    for d in ("bin", "lib", "include"):
        os.makedirs(os.path.join(home, d), exist_ok=True)
    os.symlink("/usr/lib/nrn/nrnmech_makefile", os.path.join(home, "bin", "nrnmech_makefile"))
    os.symlink("/usr/bin/nocmodl", os.path.join(home, "bin", "nocmodl"))
    os.symlink("/usr/lib/nrn/libnrniv.so", os.path.join(home, "lib", "libnrniv.so"))
    os.symlink("/usr/share", os.path.join(home, "share"))
    for f in os.listdir("/usr/include"):
        os.symlink(os.path.join("/usr/include", f), os.path.join(home, "include", f))
    with open(os.path.join(home, "include", "ivstream.h"), "w") as f:
        f.write("/* Debian ships no InterViews headers */\n")
    return home


def before_gliad(tmp, rev):
    """gliad of git revision rev, built in tmp (the daemon alone)."""
    src = os.path.join(tmp, "before-src")
    os.makedirs(src)
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    out = os.path.join(tmp, "before-build")
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run(["meson", "setup", out, src], **quiet)
    subprocess.run(["ninja", "-C", out, "daemon/gliad"], **quiet)
    return os.path.join(out, "daemon", "gliad")


def nrnivmodl_round(mods_dirs, tmp, home):
    """The Python Glia's compile: a fresh dir, every mod copied, nrnivmodl."""
    work = os.path.join(tmp, "pyglia")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t0 = time.monotonic()
    for d in mods_dirs:
        for f in os.listdir(d):
            shutil.copy2(os.path.join(d, f), work)
    subprocess.run(
        ["nrnivmodl"],
        cwd=work,
        env=dict(os.environ, NRNHOME=home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return (time.monotonic() - t0) * 1e3


def settled(rpc):
    """Waits for gliad's library (sync first), returns (wall ms, last build)."""
    t0 = time.monotonic()
    lib = rpc.call("library", {"wait": True})
    return (time.monotonic() - t0) * 1e3, lib["last_build"]


def gliad_round(tmp, site, edit_file, gliad):
    cache = os.path.join(tmp, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(os.path.join(tmp, "state"), ignore_errors=True)
    p, sock = start_gliad(tmp, site, gliad=gliad, cache_dir=cache, debounce_ms=20)
    rpc = Rpc(sock)
    try:
        t0 = time.monotonic()
        _, cold = settled(rpc)
        cold_wall = (time.monotonic() - t0) * 1e3
        assert cold["failed"] == 0 and cold["compiled"] > 0, cold

        with open(edit_file, "a") as f:
            f.write(f"\n: edited {time.time()}\n")
        t0 = time.monotonic()
        _, one = settled(rpc)
        one_wall = (time.monotonic() - t0) * 1e3
        assert one["compiled"] == 1, one

        before = rpc.call("status")["compiler_processes"]
        t0 = time.monotonic()
        rpc.call("build")
        _, none = settled(rpc)
        none_wall = (time.monotonic() - t0) * 1e3
        procs = rpc.call("status")["compiler_processes"] - before
        assert none["compiled"] == 0 and none["unchanged"], none
        return {
            "cold": (cold["ms"], cold_wall, cold["compiled"], cold.get("link_ms", 0)),
            "one": (one["ms"], one_wall, one.get("link_ms", 0)),
            "none": (none["ms"], none_wall, procs),
        }
    finally:
        p.terminate()
        p.wait(timeout=30)


def report(runs, nrn, label):
    """The table of one gliad's medians against nrnivmodl's; True if every
    target is met."""
    med = lambda k, i: statistics.median(x[k][i] for x in runs)  # noqa: E731
    cold, one, none = med("cold", 0), med("one", 0), med("none", 0)
    link, one_link = med("cold", 3), med("one", 2)
    procs = max(x["none"][2] for x in runs)
    print()
    print(f"{label:28}{'gliad':>12}{'nrnivmodl':>12}{'ratio':>9}  target")
    print(f"{'cold build (ms)':28}{cold:12.0f}{nrn:12.0f}{cold / nrn:9.2f}  <= 0.80")
    print(f"{'  link and load check (ms)':28}{link:12.0f}{'':12}{link / cold:9.3f}  <= 0.10 "
          f"of cold")
    print(f"{'one mod edited (ms)':28}{one:12.0f}{nrn:12.0f}{one / nrn:9.3f}  <= {1/15:.3f}")
    print(f"{'  link and load check (ms)':28}{one_link:12.0f}{'':12}"
          f"{one_link / max(one, 1):9.3f}  (of the rebuild)")
    print(f"{'nothing changed (ms)':28}{none:12.1f}{nrn:12.0f}{none / nrn:9.4f}  < 50 ms")
    print(f"{'  compiler processes':28}{procs:12d}{'':12}{'':9}  0")
    print(f"{'  wall, request to reply (ms)':28}{med('none', 1):12.1f}")
    return (cold <= 0.8 * nrn and one <= nrn / 15 and none < 50 and procs == 0
            and link <= 0.1 * cold)


def round_line(name, run):
    return (f"{name} cold {run['cold'][0]:.0f} ms (link {run['cold'][3]:.0f}), one mod "
            f"{run['one'][0]:.0f} ms (link {run['one'][2]:.0f}), nothing "
            f"{run['none'][0]:.1f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mods", type=int, default=42, help="mods per package")
    ap.add_argument("--packages", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", metavar="REV", help="also measure gliad of this revision")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gliabuild.")
    try:
        site = os.path.join(tmp, "site")
        os.makedirs(site)
        make_site.write_site(site, packages=args.packages, mods=args.mods)
        mods_dirs = [os.path.join(site, make_site.package_name(p), "mods")
                     for p in range(args.packages)]
        edit_file = os.path.join(mods_dirs[0], sorted(os.listdir(mods_dirs[0]))[0])
        home = nrnhome(tmp)
        gliads = {"gliad": GLIAD}
        if args.before:
            gliads[args.before] = before_gliad(tmp, args.before)
        n = sum(len(os.listdir(d)) for d in mods_dirs)
        print(f"{n} mods in {args.packages} packages, {os.cpu_count()} cores, {args.rounds} "
              f"rounds (medians)")
        base, runs = [], {k: [] for k in gliads}
        for r in range(args.rounds):
            base.append(nrnivmodl_round(mods_dirs, tmp, home))
            print(f"  round {r + 1}: nrnivmodl {base[-1]:.0f} ms", flush=True)
            for name, binary in gliads.items():
                runs[name].append(gliad_round(tmp, site, edit_file, binary))
                print("    " + round_line(name, runs[name][-1]), flush=True)
        nrn = statistics.median(base)
        ok = report(runs["gliad"], nrn, "")
        if args.before:
            report(runs[args.before], nrn, f"before ({args.before})")
        print("targets:", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
