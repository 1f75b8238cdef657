#!/usr/bin/python3
"""What a script pays for the mods it does not use: `from neuron import h;
import glia; glia.insert(section, asset)` in fresh processes, in a venv of
--big mods against one of --small, one asset of the first package inserted.

    bench/import_scale.py [--big 1000] [--small 6] [--runs 9]

Each venv's site-packages holds bench/make_site.py's packages (20 mods
each; --small makes one package); each has a gliad of its own, waited for
until its library is built (the big one: minutes). Target: the big venv at
most 1.2x the small one (once a package's mods are loaded when first used).
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
from benchlib import PYDIR, ROOT, Rpc, start_gliad  # noqa: E402

SCRIPT = 'from neuron import h\nimport glia\nglia.insert(h.Section(name="s"), %r)\n'


def venv_of(tmp, packages, mods):
    """A venv whose site-packages holds `packages` of `mods` mods."""
    venv = os.path.join(tmp, "venv")
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip",
                    venv], check=True)
    py = os.path.join(venv, "bin", "python")
    site = subprocess.check_output(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip()
    make_site.write_site(site, packages, mods)
    return py, site


def measure(tmp, packages, mods, runs):
    """Median and fastest ms of the script, after one run that registers the venv."""
    py, site = venv_of(tmp, packages, mods)
    p, sock = start_gliad(tmp, site)
    try:
        t0 = time.monotonic()
        lib = Rpc(sock).call("library", {"wait": True})
        assert lib["status"] == "ready", lib
        print(f"  {packages * mods} mods: library built in {time.monotonic() - t0:.0f} s",
              flush=True)
        env = dict(os.environ, GLIA_SOCKET=sock, PYTHONPATH=PYDIR, GLIA_NO_AUTOSTART="1",
                   NEURON_MODULE_OPTIONS="-nogui")
        argv = [py, "-c", SCRIPT % make_site.asset_name(make_site.SOURCES[0], 0, 0)]
        subprocess.run(argv, env=env, check=True)
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(argv, env=env, check=True)
            ms.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(ms), min(ms)
    finally:
        p.terminate()
        p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", type=int, default=1000, help="mods (a multiple of 20)")
    ap.add_argument("--small", type=int, default=6)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gliaimport.")
    try:
        small = measure(os.path.join(tmp, "small"), 1, args.small, args.runs)
        big = measure(os.path.join(tmp, "big"), args.big // 20, 20, args.runs)
        print(f"{'import glia + one insert':28}{'median':>10}{'fastest':>10}")
        print(f"{f'  {args.small} mods (ms)':28}{small[0]:10.1f}{small[1]:10.1f}")
        print(f"{f'  {args.big} mods (ms)':28}{big[0]:10.1f}{big[1]:10.1f}")
        ratio = big[0] / small[0]
        print(f"{'  ratio':28}{ratio:10.2f}{big[1] / small[1]:10.2f}  target <= 1.2")
        return 0 if ratio <= 1.2 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
