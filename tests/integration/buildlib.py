"""Helpers shared by the build tests (test_build*.py): waiting for a
library, following build notifications, small mods made to measure, gliad
configs with [neuron] and backend keys, and NEURON run in a subprocess.

NEURON cannot unload a library, so every load happens in a fresh
`/usr/bin/python3` (Debian's, with python3-neuron) that prints one result
line; nothing here imports neuron into the test process.
"""

import json
import os
import shlex
import subprocess
import textwrap
import time
from pathlib import Path

import glia_testlib as lib

NEURON_PYTHON = "/usr/bin/python3"

# A build of tens of mods with jobs=2 takes seconds; an ASan build longer.
BUILD_TIMEOUT = max(60.0, 6 * lib.TIMEOUT)

RESULT_MARK = "GLIA-RESULT:"


# ---- gliad ---------------------------------------------------------------------

def library(d, env=None, *, wait=True, names=True, timeout=BUILD_TIMEOUT):
    """The library RPC's result (wait: after a sync, once every known change
    is scanned and built)."""
    params = {"wait": wait, "names": names}
    if env:
        params["env"] = env
    with d.connect(timeout=timeout) as c:
        err, res = c.call("library", params, timeout=timeout)
    assert err is None, f"library {params} failed: {err}"
    return res


def processes(d):
    """Compiler processes gliad has started so far (nocmodl and cc, 2 per
    compiled mod; the link is not one of them)."""
    return d.ok("status")["compiler_processes"]


def ctl(d, *args, timeout=BUILD_TIMEOUT):
    return d.ctl(*args, timeout=timeout)


def subscribe(d, topics=("build",), timeout=BUILD_TIMEOUT):
    """A connection subscribed to gliad's notifications."""
    c = d.connect(timeout=timeout)
    err, res = c.call("subscribe", {"topics": list(topics)})
    assert err is None, err
    return c


def next_note(c, method, pred=lambda p: True, timeout=BUILD_TIMEOUT):
    """Reads until a notification `method` whose params satisfy pred; other
    messages are dropped. Returns its params."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {method} notification within {timeout} s"
        m = c.read(timeout=left)
        if m[0] == 2 and m[1] == method and pred(m[2][0]):
            return m[2][0]


def config_text(base, envs, *, daemon=None, sections=None):
    """A whole gliad INI for the factory's `config_text` with `base`: the
    factory's own [daemon] keys and paths, plus extra sections
    ({"neuron": {...}, "env:default": {"backend": ...}}). An [env:NAME]
    may be given twice: gliad merges the keys."""
    base = Path(base)
    path = base / "gliad.ini.template"
    lib.write_config(path, socket_path=base / "run/gliad.sock", state_dir=base / "state",
                     cache_dir=base / "cache", envs=envs,
                     daemon_extra={"jobs": 2, "debounce_ms": 50, "log_level": "info",
                                   **(daemon or {})}, sections=sections)
    return path.read_text()


def nrnivmodl_gliad(gliad, site):
    """A gliad (of the gliad fixture) whose default env of site is built by
    the nrnivmodl backend."""
    base = gliad.base()
    return gliad(config_text=config_text(
        base, {"default": [site]}, sections={"env:default": {"backend": "nrnivmodl"}}),
        base=base)


class HeldCc:
    """A cc for a config's [neuron] section that holds every compile of a
    file whose name contains `match` until the test releases it, and is the
    real cc otherwise (--version included): a build in flight for as long
    as a test needs it, however fast the machine. Each held compile appends
    a line to self.started."""

    def __init__(self, path, match):
        self.path = Path(path)
        self.started = self.path.with_name(self.path.name + ".started")
        self.released = self.path.with_name(self.path.name + ".released")
        started, released = shlex.quote(str(self.started)), shlex.quote(str(self.released))
        self.path.write_text(f'#!/bin/sh\ncase "$*" in *{match}*)\n'
                             f'    echo "$$" >>{started}\n'
                             f'    while [ ! -e {released} ]; do sleep 0.05; done;;\n'
                             'esac\nexec cc "$@"\n')
        self.path.chmod(0o755)

    def held(self):
        """How many compiles were held so far."""
        return len(self.started.read_text().splitlines()) if self.started.exists() else 0

    def wait_held(self, n=1, timeout=BUILD_TIMEOUT):
        lib.wait_for(lambda: self.held() >= n, timeout=timeout,
                     what=f"{n} held compile(s) to start")

    def release(self):
        """Lets every held compile, and every one to come, go on."""
        self.released.touch()


def library_dirs(d):
    """The library dirs in gliad's cache (content-addressed, by key)."""
    libs = Path(d.ok("status")["cache_dir"]) / "libs"
    return {p.name for p in libs.iterdir() if p.is_dir()} if libs.is_dir() else set()


# ---- mods ------------------------------------------------------------------------

def work_dir_name(pid):
    """The name of gliad pid's work dir under <cache>/tmp: "<host id>-<pid>"
    (daemon/system/hostid.h), the host id being this host's name and boot id."""
    host = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "_"
                   for c in os.uname().nodename) or "localhost"
    boot = "".join(c for c in open("/proc/sys/kernel/random/boot_id").read()
                   if c in "0123456789abcdef")[:12]
    return f"{host}.{boot}-{pid}"


def tiny_mod(name, value=1, *, include=None):
    """A density mod that compiles fast: RANGE gbar with default `value`
    (a line "gbar = <value>" to edit), or from the PARAMETER block of the
    file `include` names."""
    params = f'INCLUDE "{include}"\n' if include else include_params(value)
    return f": a small mechanism for gliad's build tests\nNEURON {{\n    SUFFIX {name}\n" \
           f"    RANGE gbar\n}}\n{params}"


def include_params(value):
    return f"PARAMETER {{\n    gbar = {value}\n}}\n"


# The first of these fails in nocmodl (line 9), the second in cc, on a
# VERBATIM line (10) gliad maps back from the generated C.
SYNTAX_ERROR_LINE = 9
SYNTAX_ERROR = """\
NEURON {
    SUFFIX %s
    RANGE gbar
}
PARAMETER {
    gbar = 1
}
BREAKPOINT {
    gbar = = 2
}
"""
C_ERROR_LINE = 10
C_ERROR = """\
NEURON {
    SUFFIX %s
    RANGE gbar
}
PARAMETER {
    gbar = 1
}
PROCEDURE oops() {
VERBATIM
    int glia_oops = glia_undeclared_symbol;
ENDVERBATIM
}
"""


def demo_copies(n, pkg, sources=("HHk", "HHna", "capump", "cachan1")):
    """n mods for a Glia 4 package `pkg`: copies of small demo mods under
    new names (asset C<i>), {relative path: text}."""
    demo = lib.demo_mods()
    return {f"mods/C{i}__0.mod":
            lib.rename_mechanism(demo[sources[i % len(sources)]][0], f"glia__{pkg}__C{i}__0")
            for i in range(n)}


def edit(path, old, new):
    """Replaces old by new in a mod (the content changes, the name not)."""
    path = Path(path)
    text = path.read_text(encoding="latin-1")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="latin-1")


# ---- processes -----------------------------------------------------------------------

def processes_mentioning(needle, exclude=()):
    """(pid, cmdline) of live processes whose cwd or command line contains
    needle (zombies and the given pids excluded)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            try:
                cwd = os.readlink(f"/proc/{entry.name}/cwd")
            except OSError:
                cwd = ""
        except (OSError, IndexError):
            continue
        if needle in cmd or needle in cwd:
            found.append((int(entry.name), cmd.strip()))
    return found


def wait_no_processes_mentioning(needle, grace=5.0):
    """[] once none is left, or what is still running after grace seconds."""
    deadline = time.monotonic() + grace
    while True:
        left = processes_mentioning(needle, exclude=(os.getpid(),))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# ---- NEURON in a subprocess ------------------------------------------------------

_PRELUDE = textwrap.dedent(f"""\
    import json, sys
    from neuron import h
    ARGS = json.loads(sys.argv[1])
    def result(x):
        print({RESULT_MARK!r} + json.dumps(x), flush=True)
    def mechanisms():
        \"\"\"{{name: kind}} of every mechanism NEURON knows now.\"\"\"
        out = {{}}
        for t in (0, 1):
            mt = h.MechanismType(t)
            name = h.ref("")
            for i in range(int(mt.count())):
                mt.select(i)
                mt.selected(name)
                kind = "artificial" if mt.is_artificial(i) else "point"
                out[name[0]] = kind if t else "density"
        return out
    def load(path):
        assert h.nrn_load_dll(path) == 1, "nrn_load_dll failed for " + path
    """)


def neuron(script, timeout=120, **args):
    """Runs script in a fresh NEURON process (prelude: h, ARGS, result(),
    mechanisms(), load()); returns what it passed to result()."""
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui", PYTHONDONTWRITEBYTECODE="1")
    env.pop("DISPLAY", None)
    r = subprocess.run([NEURON_PYTHON, "-c", _PRELUDE + textwrap.dedent(script),
                        json.dumps(args)], capture_output=True, text=True, timeout=timeout,
                       env=env, cwd="/")
    lines = [l for l in r.stdout.splitlines() if l.startswith(RESULT_MARK)]
    if r.returncode != 0 or len(lines) != 1:
        raise AssertionError(f"NEURON exited with {r.returncode}:\nstdout:\n{r.stdout}\n"
                             f"stderr:\n{r.stderr}")
    return json.loads(lines[0][len(RESULT_MARK):])


USE_ALL = """
    before = mechanisms()
    load(ARGS["lib"])
    # Ions a mechanism USEIONs for the first time (ca_ion) come along.
    added = {n: k for n, k in mechanisms().items()
             if n not in before and not n.endswith("_ion")}
    soma = h.Section(name="soma")
    used, keep = {}, []
    for name, kind in sorted(added.items()):
        try:
            if kind == "density":
                soma.insert(name)
                assert soma.has_membrane(name)
            elif kind == "point":
                pp = getattr(h, name)(soma(0.5))
                assert pp.get_segment().sec == soma
                keep.append(pp)
            else:
                keep.append(getattr(h, name)())  # no segment: an artificial cell
            used[name] = "ok"
        except Exception as e:
            used[name] = repr(e)
    h.finitialize(-65)
    h.fadvance()
    result({"added": added, "used": used})
"""


def use_all(path):
    """Loads the library in a fresh NEURON: {"added": {name: kind} of what
    it registered, "used": {name: "ok" or the error}} after inserting each
    density, placing each point process and creating each artificial cell."""
    return neuron(USE_ALL, lib=str(path))


PARAM = """
    load(ARGS["lib"])
    soma = h.Section(name="soma")
    soma.insert(ARGS["name"])
    result(getattr(soma(0.5), ARGS["param"] + "_" + ARGS["name"]))
"""


def range_default(path, name, param="gbar"):
    """A density mechanism's RANGE parameter default, read in a fresh NEURON."""
    return neuron(PARAM, lib=str(path), name=name, param=param)


SPIKES = """
    if ARGS["lib"]:
        load(ARGS["lib"])
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20
    soma.insert("pas")
    for seg in soma:
        seg.pas.g = 3e-4
        seg.pas.e = -65
    for name in ARGS["channels"]:
        soma.insert(name)
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 5, 40, ARGS["amp"]
    apc = h.APCount(soma(0.5))
    apc.thresh = 0
    vmax = h.Vector().record(soma(0.5)._ref_v)
    h.load_file("stdrun.hoc")
    h.dt = 0.025
    h.finitialize(-65)
    h.continuerun(50)
    result({"spikes": int(apc.n), "vmax": max(vmax)})
"""


def spikes(path, channels, amp):
    """{spikes, vmax} of a 50 ms run of a 20 um soma with pas and channels
    under an IClamp of amp nA from 5 to 45 ms."""
    return neuron(SPIKES, lib=str(path) if path else None, channels=list(channels), amp=amp)


# The loading process of the GC test: loads a library into NEURON, reports
# it to gliad with `loaded` on a connection of its own (gliad records the
# peer's pid), then stays alive until its stdin closes.
HOLDER = textwrap.dedent("""\
    import json, sys
    from neuron import h
    args = json.loads(sys.argv[1])
    sys.path.insert(0, args["client"])
    from glia import _rpc
    assert h.nrn_load_dll(args["lib"]) == 1
    c = _rpc.Connection(args["socket"], check=False)
    c.request("loaded", {"generation": args["generation"]})
    try:
        msg = c.read()
    except ConnectionError:
        msg = None
    print(json.dumps(msg), flush=True)
    sys.stdin.read()
""")


class Holder:
    """A live process that loaded a library and told gliad so."""

    def __init__(self, d, lib_path, generation):
        env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
        self.proc = subprocess.Popen(
            [NEURON_PYTHON, "-c", HOLDER,
             json.dumps({"lib": str(lib_path), "socket": d.socket, "generation": generation,
                        "client": str(lib.REPO / "client/python")})],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, cwd="/")
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise AssertionError(f"the holder died: {self.proc.stderr.read()}")
        self.reply = json.loads(line)

    def exit(self):
        self.proc.stdin.close()
        try:
            rc = self.proc.wait(lib.TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the holder did not exit when its stdin closed")
        assert rc == 0, self.proc.stderr.read()
