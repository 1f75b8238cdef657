#!/usr/bin/python3
"""What a script pays for the mods it does not use: `from neuron import h;
import glia; glia.insert(section, asset)` in fresh processes, in a venv of
--big mods against one of --small, one asset of the first package inserted.

    bench/import_scale.py [--big 1000] [--small 6] [--runs 9]

Each venv's site-packages holds bench/make_site.py's packages (20 mods
each; --small makes one package); each has a gliad of its own, waited for
until its library is built (the big one: minutes); the two are timed in
turn. Target: the big venv at most 1.2x the small one: the module loads
only the part (package) of the library that registers the inserted
mechanism, where gliad builds the library in parts.
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
from benchlib import PYDIR, Rpc, start_gliad  # noqa: E402

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


class Venv:
    """A venv of `packages` of `mods` mods, served by a gliad of its own whose
    library is built; `argv` the script, registered by one run already."""

    def __init__(self, tmp, packages, mods):
        py, site = venv_of(tmp, packages, mods)
        self.proc, sock = start_gliad(tmp, site)
        try:
            self._start(py, sock, packages, mods)
        except BaseException:
            self.close()
            raise

    def _start(self, py, sock, packages, mods):
        t0 = time.monotonic()
        lib = Rpc(sock).call("library", {"wait": True, "parts": True})
        assert lib["status"] == "ready", lib
        self.parts = "parts" in lib
        print(f"  {packages * mods} mods: library built in {time.monotonic() - t0:.0f} s"
              f"{'' if self.parts else ', not in parts'}", flush=True)
        self.env = dict(os.environ, GLIA_SOCKET=sock, PYTHONPATH=PYDIR, GLIA_NO_AUTOSTART="1",
                        NEURON_MODULE_OPTIONS="-nogui")
        self.argv = [py, "-c", SCRIPT % make_site.asset_name(make_site.SOURCES[0], 0, 0)]
        self.run()
        self.ms = []

    def run(self):
        t0 = time.perf_counter()
        subprocess.run(self.argv, env=self.env, check=True)
        return (time.perf_counter() - t0) * 1e3

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", type=int, default=1000, help="mods (a multiple of 20)")
    ap.add_argument("--small", type=int, default=6)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gliaimport.")
    venvs = []
    try:
        venvs.append(Venv(os.path.join(tmp, "small"), 1, args.small))
        venvs.append(Venv(os.path.join(tmp, "big"), args.big // 20, 20))
        for _ in range(args.runs):  # alternating: a change of load moves both alike
            for v in venvs:
                v.ms.append(v.run())
        small, big = ((statistics.median(v.ms), min(v.ms)) for v in venvs)
        print(f"{'import glia + one insert':28}{'median':>10}{'fastest':>10}")
        print(f"{f'  {args.small} mods (ms)':28}{small[0]:10.1f}{small[1]:10.1f}")
        print(f"{f'  {args.big} mods (ms)':28}{big[0]:10.1f}{big[1]:10.1f}")
        ratio = big[0] / small[0]
        print(f"{'  ratio':28}{ratio:10.2f}{big[1] / small[1]:10.2f}  target <= 1.2")
        return 0 if ratio <= 1.2 else 1
    finally:
        for v in venvs:
            v.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
