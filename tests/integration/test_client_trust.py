"""Clients trust no one else's gliad. Without XDG_RUNTIME_DIR the socket is
/tmp/glia-<uid>/gliad.sock, and another user can make that directory first
and serve a gliad of their own there, whose reply names a library the module
loads. gliactl and the module send nothing to a socket whose directory is
not the user's own or is writable by others, or whose listener runs as
another uid; and the module loads no library from a place others can write.

Each attack is played by an impostor (impostor.py) naming a library whose
constructor leaves a marker file: had the module loaded it, another user's
code would have run in the script.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import glia_testlib as lib
import pylib
import systemdlib as sd
from impostor import Impostor

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="directories of another user need root to make")

ME = os.geteuid()

# The module's side: every exception, by name and message, or that it loaded.
LOAD = """
    try:
        import glia as g
        g.load_library()
        out(loaded=True)
    except Exception as e:
        out(error=type(e).__name__, message=str(e))
"""


@pytest.fixture
def base():
    d = lib.short_tmpdir("glia-trust-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def evil_lib(base):
    """A shared library whose constructor writes `marker`: (path, marker)."""
    marker = base / "constructor-ran"
    src = base / "evil.c"
    src.write_text('#include <stdio.h>\n__attribute__((constructor)) static void ran(void)\n'
                   f'{{ FILE *f = fopen("{marker}", "w"); if (f) fclose(f); }}\n')
    so = base / "evil.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src], check=True)
    return so, marker


def answers(library):
    """What a gliad says to a client loading `library`."""
    return {"subscribe": {}, "loaded": {}, "env.register": {"name": "default"},
            "resolve": {"full": "glia__evil__Na__0", "kind": "density", "pkg": "evil",
                        "variant": "0"},
            "library": {"path": str(library), "generation": 1, "names": [], "status": "ready"}}


def impostor_in(d, library, prefix=()):
    return Impostor(d / "gliad.sock", answers(library), prefix=prefix)


def module(base, sock):
    return pylib.Py("/usr/bin/python3", sock, base / "py")


def mkdir(path, mode, uid=ME):
    path.mkdir()
    os.chown(path, uid, -1)
    path.chmod(mode)  # past the umask
    return path


def assert_refused(client, base, sock, message, impostor, marker):
    """gliactl, or the module, refuses sock saying message (its start), and
    sends the impostor nothing; the impostor's library never loads."""
    if client == "gliactl":
        rc, out, err = lib.gliactl("resolve", "Na", socket=sock)
        assert (rc, out) == (3, ""), (rc, out, err)  # 3: no gliad to talk to
        assert err.startswith(f"gliactl: {message}"), err
    else:
        r = module(base, sock).ok(LOAD)
        assert r.get("error") == "UntrustedError", r
        assert r["message"].startswith(message), r["message"]
    events = impostor.stop()
    assert not [e for e in events if "received" in e], events  # not a byte sent
    assert not marker.exists()


# ---- the socket's directory -------------------------------------------------------------

@pytest.mark.parametrize("client", ["gliactl", "module"])
def test_socket_dir_of_another_user_is_refused(base, evil_lib, client):
    """The impostor runs as this very user (root here): only the
    directory's owner gives it away."""
    so, marker = evil_lib
    d = mkdir(base / "glia-victim", 0o755, uid=sd.NOBODY_UID)
    imp = impostor_in(d, so)
    sock = d / "gliad.sock"
    msg = (f"refusing {sock}: its directory {d} is owned by uid {sd.NOBODY_UID}, not by you "
           f"(uid {ME}), so another user may be answering there; remove {d}")
    assert_refused(client, base, sock, msg, imp, marker)


@pytest.mark.parametrize("client,mode", [("gliactl", 0o777), ("gliactl", 0o770),
                                         ("module", 0o777), ("module", 0o1733)],
                         ids=["gliactl-777", "gliactl-770", "module-777", "module-1733"])
def test_socket_dir_writable_by_others_is_refused(base, evil_lib, client, mode):
    """Ours, but anyone (or the group) could put a socket there; sticky
    or not."""
    so, marker = evil_lib
    d = mkdir(base / "open", mode)
    imp = impostor_in(d, so)
    sock = d / "gliad.sock"
    msg = (f"refusing {sock}: its directory {d} is writable by others (mode "
           f"{mode & 0o777:03o}), so anyone could put a socket of their own there; "
           f"run `chmod go-w {d}`")
    assert_refused(client, base, sock, msg, imp, marker)


@pytest.mark.parametrize("client", ["gliactl", "module"])
def test_socket_reached_through_a_symlink_is_judged_where_it_is(base, evil_lib, client):
    """A link in a private directory to a socket in another user's."""
    so, marker = evil_lib
    d = mkdir(base / "theirs", 0o755, uid=sd.NOBODY_UID)
    imp = impostor_in(d, so)
    mine = mkdir(base / "mine", 0o700)
    (mine / "gliad.sock").symlink_to(d / "gliad.sock")
    msg = f"refusing {mine / 'gliad.sock'}: its directory {d} is owned by uid {sd.NOBODY_UID}"
    assert_refused(client, base, mine / "gliad.sock", msg, imp, marker)


# ---- who listens ------------------------------------------------------------------------

@pytest.mark.skipif(sd.SETPRIV is None, reason="no setpriv")
@pytest.mark.parametrize("client", ["gliactl", "module"])
def test_listener_of_another_uid_is_refused(base, evil_lib, client):
    """The directory is ours and private, the socket too: only SO_PEERCRED
    tells that the process behind it is nobody's (as after a swap of the
    socket between the client's check of the directory and its connect)."""
    so, marker = evil_lib
    d = mkdir(base / "run", 0o700)
    imp = impostor_in(d, so, prefix=(sd.SETPRIV, f"--reuid={sd.NOBODY_UID}",
                                     f"--regid={sd.NOBODY_UID}", "--clear-groups"))
    sock = d / "gliad.sock"
    msg = (f"refusing {sock}: the process serving it (pid {imp.proc.pid}) runs as uid "
           f"{sd.NOBODY_UID}, not as you (uid {ME}), so it is not your gliad")
    assert_refused(client, base, sock, msg, imp, marker)


# ---- the library a reply names ----------------------------------------------------------

def _in_open_dir(base, so):
    d = mkdir(base / "open", 0o777)
    shutil.copy(so, d / "libglia.so")
    return d / "libglia.so", f"its directory {d} is writable by others (mode 777)"


def _below_open_dir(base, so):
    d = mkdir(base / "open", 0o777)
    sub = mkdir(d / "gen", 0o755)
    shutil.copy(so, sub / "libglia.so")
    return sub / "libglia.so", f"the directory {d} above it is writable by others (mode 777)"


def _linked_to_open_dir(base, so):
    named, problem = _in_open_dir(base, so)
    link = mkdir(base / "cache", 0o700) / "libglia.so"
    link.symlink_to(named)
    return link, problem


def _writable_file(base, so):
    lib_path = mkdir(base / "cache", 0o700) / "libglia.so"
    shutil.copy(so, lib_path)
    lib_path.chmod(0o757)
    return lib_path, "the file is writable by others (mode 757)"


def _file_of_another_user(base, so):
    lib_path = mkdir(base / "cache", 0o700) / "libglia.so"
    shutil.copy(so, lib_path)
    os.chown(lib_path, sd.NOBODY_UID, -1)
    return lib_path, f"the file is owned by uid {sd.NOBODY_UID}, not by you (uid {ME}) or root"


@pytest.mark.parametrize("where", [_in_open_dir, _below_open_dir, _linked_to_open_dir,
                                   _writable_file, _file_of_another_user],
                         ids=lambda f: f.__name__.strip("_"))
def test_library_others_could_write_is_not_loaded(base, evil_lib, where):
    """The socket is trusted (this user's gliad, in its private directory);
    the library it names lies where another user could have written it."""
    so, marker = evil_lib
    named, problem = where(base, so)
    imp = impostor_in(mkdir(base / "run", 0o700), named)
    r = module(base, imp.path).ok(LOAD)
    imp.stop()
    assert r.get("error") == "UntrustedError", r
    assert r["message"] == (
        f"refusing to load the mechanism library {named}: {problem}, so another user "
        "could have put their code there; keep gliad's cache_dir (`gliactl status` shows "
        "it) where only you can write"), r["message"]
    assert not marker.exists()


def test_a_part_others_could_write_is_not_loaded(base, evil_lib):
    """Where gliad lists its library's parts (one per package), the module
    loads the part an insert needs, checked as the whole library is."""
    so, marker = evil_lib
    named, problem = _in_open_dir(base, so)
    whole = mkdir(base / "own", 0o700) / "libglia.so"
    shutil.copy(so, whole)  # trusted, and not loaded either: a part is enough
    said = answers(whole)
    full = said["resolve"]["full"]
    said["library"] = dict(said["library"], names=[full],
                           parts=[{"package": "evil", "path": str(named), "names": [full]}])
    imp = Impostor(mkdir(base / "run", 0o700) / "gliad.sock", said)
    r = module(base, imp.path).ok("""
        try:
            import glia as g
            from neuron import h
            g.insert(h.Section(name="s"), "Na")
            out(loaded=True)
        except Exception as e:
            out(error=type(e).__name__, message=str(e))
    """)
    imp.stop()
    assert r.get("error") == "UntrustedError", r
    assert r["message"].startswith(
        f"refusing to load the mechanism library {named}: {problem}, so another user"), r
    assert not marker.exists()


def test_the_same_library_in_a_private_dir_is_loaded(base, evil_lib):
    """The check of the attacks above refuses no more than it must: the
    impostor's library, in a directory of its own, does load (and its
    constructor runs) when the socket and the place are this user's."""
    so, marker = evil_lib
    imp = impostor_in(mkdir(base / "run", 0o700), so)
    r = module(base, imp.path).run(LOAD)
    imp.stop()
    assert marker.exists(), r  # loaded: NEURON then finds no mechanisms in it
    assert r.r.get("error") in (None, "NeuronError"), r


# ---- gliad ------------------------------------------------------------------------------

@pytest.mark.parametrize("uid,mode,problem", [
    (sd.NOBODY_UID, 0o700, f"belongs to uid {sd.NOBODY_UID}, not to this user (uid {ME})"),
    (ME, 0o777, "is writable by others (mode 777)"),
    (ME, 0o770, "is writable by others (mode 770)"),
], ids=["another user's", "writable by all", "writable by the group"])
def test_gliad_refuses_the_socket_dirs_clients_refuse(gliad, uid, mode, problem):
    """Rather than serve where no client would talk to it."""
    base = gliad.base()
    d = mkdir(base / "run", mode, uid=uid)
    rc, log = gliad.run_to_exit(["--socket", d / "gliad.sock"], base=base)
    assert rc == 1, log
    assert f"gliad error: {d} {problem}" in log, log
    assert not (d / "gliad.sock").exists()


# ---- this user's own gliad --------------------------------------------------------------

def test_own_gliad_is_trusted(gliad, main_site, tmp_path):
    """The normal case: the socket in gliad's private directory, the
    library in its cache under /tmp (sticky, root's)."""
    d = gliad({"default": [main_site.site]})
    assert Path(d.socket).parent.stat().st_mode & 0o777 == 0o700
    rc, out, err = d.ctl("resolve", "Na")
    assert (rc, out.strip()) == (0, lib.NA_0), err
    assert d.ok("library", {"wait": True})["path"].startswith("/tmp/")
    py = pylib.Py(main_site.venv.python, d.socket, tmp_path)
    r = py.ok("""
        import glia as g
        from neuron import h
        s = h.Section(name="s")
        g.insert(s, "Na")
        out(mechs=density(s))
    """)
    assert r["mechs"] == [lib.NA_0]


def test_glia_test_loads_no_library_others_could_write(base, evil_lib):
    """`glia test` (and `glia compile`, which tests) loads the library in
    children of its own: it checks it first, as the module's load does."""
    so, marker = evil_lib
    named, problem = _in_open_dir(base, so)
    full = "glia__evil__Na__0"
    said = answers(named)
    said["assets"] = [{"asset": "Na", "candidates": [{"full": full, "kind": "density"}]}]
    said["library"] = dict(said["library"], names=[full])
    imp = Impostor(mkdir(base / "run", 0o700) / "gliad.sock", said)
    r = module(base, imp.path).run("""
        from glia._cli import main
        out(rc=main(["test"]))
    """)
    imp.stop()
    assert r.r.get("rc") == 1 and not marker.exists(), r
    assert f"refusing to load the mechanism library {named}: {problem}" in r.err, r
