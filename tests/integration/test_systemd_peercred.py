"""Shared workstations: each user runs their own gliad, and another user's
process gets nothing from it. The socket's 0600 mode is the first wall;
the SO_PEERCRED check behind it is tested by opening the socket to all.
"""

import errno
import os
import re

import pytest

import glia_testlib as lib
import systemdlib as sd

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="running a client as nobody needs root"),
    pytest.mark.skipif(sd.SETPRIV is None, reason="no setpriv"),
]


def open_dirs_to_all(d):
    """Lets other users reach the socket file: its dirs searchable."""
    for p in (d.base, os.path.dirname(d.socket)):
        os.chmod(p, 0o711)


def test_other_user_cannot_reach_the_0600_socket(gliad):
    d = gliad()
    open_dirs_to_all(d)
    assert sd.hello_as_nobody(d.socket) == {"connect_error": errno.EACCES}
    assert "refused a connection" not in d.stderr()  # it never got that far


def test_other_user_is_refused_and_logged(gliad, main_site):
    d = gliad({"default": [main_site.site]})
    owner = d.connect()
    assert owner.call("hello")[1]["pid"] == d.pid
    open_dirs_to_all(d)
    os.chmod(d.socket, 0o666)

    got = sd.hello_as_nobody(d.socket)
    # Hung up on without a word: at EOF, or on the hello if it was gone by then.
    assert got["closed"] and got["reply"] == [], got
    assert got.get("error") in (None, errno.EPIPE, errno.ECONNRESET), got
    lib.wait_for(lambda: "refused a connection from uid 65534" in d.stderr(),
                 what="gliad to log the refusal")
    line = next(l for l in d.stderr().splitlines() if "refused a connection from uid" in l)
    assert f"gliad serves only uid {os.getuid()}" in line

    # The owner is served as before, on the connection it had and on new ones.
    err, res = owner.call("hello")
    assert err is None and res["pid"] == d.pid
    owner.close()
    assert d.ok("resolve", {"asset": "Na"})["full"].startswith("glia__glia_test_mods__Na__")
    assert d.ok("status")["clients"] == 1  # this one: the refused one was never counted


def test_other_users_gliactl_refuses_the_socket(gliad):
    """gliactl run by another user fails and says why; it does not hang. The
    socket's directory is not that user's, so gliactl stops there, before
    gliad's own refusal (test_client_trust.py has the rest of its checks)."""
    d = gliad()
    open_dirs_to_all(d)
    os.chmod(d.socket, 0o666)
    r = sd.as_nobody([lib.gliactl_binary(), "--socket", d.socket, "status"],
                     env={"PATH": lib.SYSTEM_PATH, "HOME": "/nonexistent"}, cwd="/")
    assert r.returncode == 3 and r.stdout == "", r  # 3: gliad unreachable
    assert r.stderr.startswith(
        f"gliactl: refusing {d.socket}: its directory {os.path.dirname(d.socket)} is owned "
        f"by uid {os.getuid()}, not by you (uid {sd.NOBODY_UID})"), r
    lib.assert_no_sanitizer_reports(r.stderr, "gliactl")
    assert d.ok("hello")["pid"] == d.pid
    assert "refused a connection" not in d.stderr()  # it never connected


@pytest.mark.skipif(sd.ACTIVATOR is None, reason="no systemd-socket-activate")
def test_other_user_starting_a_socket_activated_gliad_is_refused(gliad):
    """The connection that makes systemd start gliad is checked like any
    other: another user's only starts it."""
    d = sd.activated_gliad(gliad)
    open_dirs_to_all(d)
    os.chmod(d.socket, 0o666)
    got = sd.hello_as_nobody(d.socket)
    assert got["closed"] and got["reply"] == [], got
    assert d.exe() == lib.gliad_binary().resolve()  # started by nobody's connection
    lib.wait_for(lambda: "refused a connection from uid 65534" in d.stderr(),
                 what="gliad to log the refusal")
    assert d.ok("hello")["pid"] == d.pid
