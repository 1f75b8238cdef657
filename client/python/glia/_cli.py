"""The `glia` command: the Python Glia's CLI, for the environment of the
Python it runs on (a venv's `glia` answers for that venv, Debian's for
Debian's python3).

It registers that environment with gliad (as `import glia` does), then
either does the work itself, where it needs Python (compile and test load
mechanisms into fresh NEURON processes), or hands the command to gliactl
with `--env` set, as `glia`, so the output is gliactl's under glia's name.
gliactl's other commands (resolve, status, log...) work as `glia COMMAND`
too, for the same environment unless --env names another.
Usage errors exit 2, a failed request or test 1, an unreachable gliad 3.
"""

import argparse
import os
import shutil
import subprocess
import sys

EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3

# Run in a fresh python per mechanism: load the library, insert the
# mechanism (a point process at 0.5), finitialize. NEURON cannot unload a
# mechanism, and one that crashes takes its process down: not ours.
_TEST_SCRIPT = """
import sys
from neuron import h
path, name, kind = sys.argv[1:4]
if path and not h.nrn_load_dll(path):
    sys.exit("NEURON could not load " + path)
sec = h.Section(name="glia_test")
if kind == "density":
    sec.insert(name)
elif kind == "artificial":
    obj = getattr(h, name)()
else:
    obj = getattr(h, name)(sec(0.5))
h.finitialize(-65)
"""


class _Usage(Exception):
    """A usage error of a command (exit 2), in Glia's words."""


class _Failed(Exception):
    """A failed request (exit 1, unless code says otherwise)."""

    def __init__(self, message, code=EXIT_FAILED):
        super().__init__(message)
        self.code = code


def _parser():
    p = argparse.ArgumentParser(
        prog="glia", description="NEURON mechanisms of this Python environment's Glia "
        "packages, served by gliad.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("compile", help="build the mechanism library, then test every mechanism")
    t = sub.add_parser("test", help="test mechanisms in a fresh NEURON process (all by default)")
    t.add_argument("mechanisms", nargs="*", metavar="MECHANISM")
    t.add_argument("--verbose", action="store_true", help="show why a test failed")
    sub.add_parser("list", help="every asset, its packages and variants")
    s = sub.add_parser("select", help="prefer a package and/or variant of an asset, globally")
    s.add_argument("asset", metavar="ASSET")
    s.add_argument("-p", "--package", "--pkg", dest="pkg")
    s.add_argument("-v", "--variant")
    sh = sub.add_parser("show", help="an asset's candidates and which one it resolves to")
    sh.add_argument("asset", metavar="ASSET")
    sp = sub.add_parser("show-pkg", help="the packages whose name contains PACKAGE")
    sp.add_argument("package", metavar="PACKAGE")
    c = sub.add_parser("cache", help="the path of the mechanism library")
    c.add_argument("--clear", action="store_true",
                   help="rebuild every mechanism, ignoring gliad's caches, and drop the "
                   "older libraries of this environment")
    return p, sub


def _gliactl():
    """gliactl, next to this command (both installed by meson) or on PATH."""
    here = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "gliactl")
    if os.access(here, os.X_OK):
        return here
    exe = shutil.which("gliactl")
    if exe is None:
        raise _Failed("gliactl is not installed (meson install puts it on PATH)",
                      EXIT_UNREACHABLE)
    return exe


def _exec_ctl(manager, *words):
    """Becomes gliactl, as glia, for this Python's environment."""
    _exec_ctl_argv(["--env", manager.env, *words])


def _exec_ctl_argv(argv):
    sys.stdout.flush()
    os.execv(_gliactl(), ["glia", *argv])


def _call(manager, method, params=None):
    from ._rpc import DaemonError

    try:
        return manager.call(method, params)
    except DaemonError as e:
        raise _Failed(f"{e} ({e.code})") from None


# ---- testing mechanisms ------------------------------------------------------

def _test_one(path, full, kind, verbose):
    r = subprocess.run([sys.executable, "-c", _TEST_SCRIPT, path or "", full, kind],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui"))
    if r.returncode == 0:
        return True, ""
    why = f"killed by signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    lines = [l for l in r.stderr.splitlines() if l.strip() and "DISPLAY" not in l
             and "No graphics" not in l]
    return False, why + ("".join("\n  -- " + l for l in lines) if verbose else "")


def _candidates(manager):
    """{full name: kind} of every mechanism of this environment's packages."""
    out = {}
    for a in _call(manager, "assets", {"sync": True}) or []:
        for c in a["candidates"]:
            out[c["full"]] = c["kind"]
    return out


def _targets(manager, names):
    """[(shown name, full name or None, kind or a [mark])] for `glia test`."""
    from ._rpc import DaemonError

    every = _candidates(manager)
    if not names:
        return [(full, full, kind) for full, kind in sorted(every.items())]
    out = []
    for name in names:
        if name in every:
            out.append((name, name, every[name]))
            continue
        try:
            r = manager.call("resolve", {"asset": name, "sync": True})
            out.append((name, r["full"], r["kind"]))
        except DaemonError as e:
            mark = {"unknown_asset": "[?]", "ambiguous": "[MULTI]"}.get(e.code, "[X]")
            out.append((name, None, mark))
    return out


def _run_tests(manager, names, verbose):
    """Tests each mechanism, a few at a time (each is a NEURON process of
    its own), and prints a line for each in order; 1 if any failed."""
    from concurrent.futures import ThreadPoolExecutor

    from ._rpc import trusted_library

    lib = manager.library.wait({"wait": True, "names": True})
    # Checked as `import glia` checks it: the children load what gliad named.
    path = trusted_library(lib["path"]) if lib.get("path") else None
    built = set(lib.get("names") or ())
    targets = _targets(manager, names)

    def test(target):
        shown, full, kind = target
        if full is None:
            return kind, ""
        if full in built:
            ok, why = _test_one(path, full, kind, verbose)
        elif not full.startswith("glia__"):  # NEURON's own
            ok, why = _test_one(None, full, kind, verbose)
        else:
            ok, why = False, "not in the library: `gliactl log` says why"
        return ("[OK]" if ok else "[ERROR]"), why

    passed = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for (shown, _full, _kind), (mark, why) in zip(targets, pool.map(test, targets)):
            passed += mark == "[OK]"
            print(mark, shown, flush=True)
            if why and verbose:
                print("  -- " + why, flush=True)
    print("Tests finished:", passed, "out of", len(targets), "passed")
    return 0 if passed == len(targets) else EXIT_FAILED


# ---- the commands ----------------------------------------------------------------

def _compile(manager, args):
    print("Glia is compiling...", flush=True)
    lib = manager.compile()
    if not lib.get("path"):
        err = (lib.get("last_build") or {}).get("error")
        raise _Failed("no mechanism library was built" + (f": {err}" if err else "")
                      + "; `gliactl log` says why")
    print("Compilation complete!", flush=True)
    print("Testing mechanisms ...", flush=True)
    return _run_tests(manager, [], verbose=True)


def _show(manager, args):
    from ._rpc import DaemonError

    try:
        manager.call("asset", {"asset": args.asset, "sync": True})
    except DaemonError as e:
        if e.code == "unknown_asset":
            raise _Usage(f'Unknown ASSET "{args.asset}"') from None
        raise _Failed(f"{e} ({e.code})") from None
    _exec_ctl(manager, "show", args.asset)


def _show_pkg(manager, args):
    pkgs = _call(manager, "packages", {"sync": True})["packages"]
    names = sorted(p["name"] for p in pkgs if args.package in p["name"])
    if not names:
        raise _Usage(f'Unknown PACKAGE "{args.package}"')
    rc = 0
    for name in names:
        sys.stdout.flush()
        argv = ["glia", "--env", manager.env, "show-package", name]
        rc = max(rc, subprocess.run(argv, executable=_gliactl()).returncode)
    return rc


def _select(manager, args):
    words = ["select", args.asset]
    if args.pkg is not None:
        words += ["--pkg", args.pkg]
    if args.variant is not None:
        words += ["--variant", args.variant]
    _exec_ctl(manager, *words)


def _cache(manager, args):
    if args.clear:
        _call(manager, "build", {"clear": True})
    lib = manager.library.wait({"wait": True})
    if not lib.get("path"):
        raise _Failed(f"no mechanism library yet for this environment ({lib.get('status')})")
    print(lib["path"])
    return 0


_COMMANDS = {
    "compile": _compile,
    "test": lambda m, a: _run_tests(m, a.mechanisms, a.verbose),
    "list": lambda m, a: _exec_ctl(m, "list"),
    "select": _select,
    "show": _show,
    "show-pkg": _show_pkg,
    "cache": _cache,
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, sub = _parser()
    theirs = bool(argv) and not argv[0].startswith("-") and argv[0] not in _COMMANDS
    args = None if theirs else parser.parse_args(argv)
    if args is not None and args.command is None:
        parser.print_help()
        return 0
    from . import _manager
    from .exceptions import GliaError

    try:
        if theirs and any(a == "--env" or a.startswith("--env=") for a in argv):
            _exec_ctl_argv(argv)  # an environment named: no need to register ours
        _manager.connect()
        if theirs:
            return _exec_ctl(_manager, *argv)
        return _COMMANDS[args.command](_manager, args) or 0
    except _Usage as e:
        sub.choices[args.command].error(str(e))  # exits 2
    except _Failed as e:
        sys.stderr.write(f"glia: {e}\n")
        return e.code
    except GliaError as e:
        sys.stderr.write(f"glia: {e}\n")
        code = EXIT_UNREACHABLE if "gliad is not running" in str(e) else EXIT_FAILED
        return code


if __name__ == "__main__":
    sys.exit(main())
