"""Bad input on the wire. gliad answers with an error or closes that one
connection, keeps serving everybody else, and loses no preference.

The tests share one daemon wrapped in a Survivor (conftest.py): a global
preference and a bystander connection set up before any bad input, and
survivor.check() after each test proving that gliad still answers on a new
connection and on the bystander's and kept the preference intact.
"""

import signal
import socket
import threading
import time

import msgpack
import pytest

import glia_testlib as lib
from glia_testlib import NA_T
import pylib
from conftest import Survivor

pytestmark = pytest.mark.shared_build_cache

MiB = 1 << 20


@pytest.fixture(scope="module")
def shared_survivor(module_gliad, main_site):
    return Survivor(module_gliad({"default": [main_site.site]}))


@pytest.fixture
def survivor(shared_survivor):
    """The module's daemon: each test leaves it as it found it, or says so."""
    return shared_survivor


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def send_tolerant(conn, data):
    """Sends what the daemon takes: it may hang up before all of it is read."""
    try:
        conn.send_raw(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def assert_error_then_closed(conn, code, words=""):
    """The connection gets one [2, "error", [{code, message}]] and is closed."""
    msgs = conn.read_until_closed()
    assert len(msgs) == 1, msgs
    kind, method, params = msgs[0]
    assert (kind, method) == (2, "error"), msgs
    assert len(params) == 1 and set(params[0]) == {"code", "message"}, msgs
    assert params[0]["code"] == code, msgs
    assert words in params[0]["message"], msgs


def assert_still_open(conn):
    err, res = conn.call("hello")
    assert err is None and res["server"] == "gliad"


# ---- bytes that are not msgpack ------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"\xc1",                                        # the one byte msgpack never uses
    b"\x94\x00\x01\xa5hello\xc1",                   # ... inside a request
    b"\x94\x00\x01\xa5hello\x91\xc1\x00",
], ids=["c1", "c1-in-request", "c1-as-params"])
def test_malformed_msgpack(survivor, data):
    with survivor.d.connect() as c:
        c.send_raw(data)
        assert_error_then_closed(c, "bad_request", "msgpack")
    survivor.check()


def test_request_answered_before_the_garbage_behind_it(survivor):
    """Messages before the broken one in the same read are still answered."""
    with survivor.d.connect() as c:
        c.send_raw(pack([0, 7, "hello", []]) + b"\xc1")
        msgs = c.read_until_closed()
        assert [m[0] for m in msgs] == [1, 2], msgs
        assert msgs[0][1:3] == [7, None] and msgs[0][3]["server"] == "gliad"
        assert msgs[1][1] == "error" and msgs[1][2][0]["code"] == "bad_request"
    survivor.check()


# ---- msgpack of the wrong shape ------------------------------------------------------------

@pytest.mark.parametrize("msg", [
    5,
    "hello",
    {"method": "hello"},
    [],
    [0],
    [0, "1", "hello", []],          # msgid a string
    [0, -1, "hello", []],           # msgid negative
    [0, 1 << 32, "hello", []],      # msgid past 32 bits
    [0, None, "hello", []],
    [3, 1, "hello", []],            # no such message type
    ["0", 1, "hello", []],
    [2, 5, []],                     # notification whose method is not a string
    [2, "hello"],                   # notification without params
], ids=repr)
def test_wrong_shape_without_a_readable_msgid(survivor, msg):
    """No msgid to answer: gliad says why in an error notification and hangs up."""
    with survivor.d.connect() as c:
        c.send(msg)
        assert_error_then_closed(c, "bad_request")
    survivor.check()


@pytest.mark.parametrize("msg,words", [
    ([0, 1, "resolve", "Na"], "params"),            # params a string
    ([0, 1, "resolve", [1, 2]], "params"),          # params [1, 2]
    ([0, 1, "resolve", [{"asset": "Na"}, {}]], "params"),
    ([0, 1, "resolve", {"asset": "Na"}], "params"),  # the map not wrapped in an array
    ([0, 1, "resolve", ["Na"]], "params"),
    ([0, 1, 7, []], "method"),                      # method not a string
    ([0, 1, b"hello", []], "method"),               # method as bin
    ([0, 1, "hello\0x", []], "method"),             # method holding a NUL byte
    ([0, 1], "params"),                             # too short, msgid readable
    ([0, 1, "resolve"], "params"),                  # params missing
    ([0, 1, "hello", [], "extra"], "params"),       # one element too many
], ids=repr)
def test_wrong_shape_with_a_msgid_gets_an_error_response(survivor, msg, words):
    with survivor.d.connect() as c:
        c.send(msg)
        err, res = c.response(1)
        assert res is None
        assert err["code"] == "bad_request", err
        assert words in err["message"]
        assert_still_open(c)  # the stream is intact: the connection stays
    survivor.check()


def test_unknown_method(survivor):
    with survivor.d.connect() as c:
        err, res = c.call("frobnicate", {"asset": "Na"})
        assert res is None and err["code"] == "unknown_method"
        assert "frobnicate" in err["message"]
        assert_still_open(c)
    survivor.check()


@pytest.mark.parametrize("method,params,param", [
    ("resolve", {"asset": 5}, "asset"),
    ("resolve", {"asset": None}, "asset"),              # required
    ("resolve", {}, "asset"),
    ("resolve", {"asset": ["Na"]}, "asset"),
    ("resolve", {"asset": "Na", "pkg": 1}, "pkg"),
    ("resolve", {"asset": "Na", "variant": True}, "variant"),
    ("resolve", {"asset": "Na", "env": 0}, "env"),
    ("resolve", {"asset": "N\0a"}, "asset"),            # NUL inside a string
    ("asset", {"asset": 1.5}, "asset"),
    ("select", {"asset": "Na", "variant": 1}, "variant"),
    ("select", {"asset": 1, "variant": "t"}, "asset"),
    ("unselect", {"asset": {}}, "asset"),
    ("package", {"name": 3}, "name"),
    ("packages", {"builtins": "yes"}, "builtins"),
    ("assets", {"builtins": 1}, "builtins"),
    ("rescan", {"env": []}, "env"),
], ids=repr)
def test_wrong_param_types_name_the_parameter(survivor, method, params, param):
    with survivor.d.connect() as c:
        err, res = c.call(method, params)
        assert res is None
        assert err["code"] == "bad_request", err
        assert f"'{param}'" in err["message"], err
        assert_still_open(c)
    survivor.check()


def test_unknown_params_are_ignored(survivor):
    with survivor.d.connect() as c:
        err, res = c.call("resolve", {"asset": "Na", "future": [1, {"x": 2}], 7: "int key"})
        assert (err, res["full"]) == (None, NA_T)
    survivor.check()


def test_notifications_and_responses_get_no_answer(survivor):
    with survivor.d.connect() as c:
        c.send([2, "hello", []])
        c.send([2, "frobnicate", [{"x": 1}]])
        c.send([1, 99, None, "an answer to nothing"])
        c.assert_open_and_quiet()  # no reply to any of them
        assert_still_open(c)
        assert not c.pending, c.pending
    survivor.check()


def test_msgid_is_echoed_whole(survivor):
    with survivor.d.connect() as c:
        for msgid in (0, 127, 128, 65536, (1 << 32) - 1):
            assert c.request("hello", msgid=msgid) == msgid
            assert c.response(msgid)[0] is None
    survivor.check()


# ---- limits ----------------------------------------------------------------------------------

def request_of_size(size, asset="Na"):
    """A resolve request exactly `size` bytes long, padded by an unknown param."""
    base = len(pack([0, 1, "resolve", [{"asset": asset, "pad": ""}]]))
    n = size - base - 4  # str32 header (5 bytes) replaces the fixstr one (1)
    assert n > 65535
    msg = pack([0, 1, "resolve", [{"asset": asset, "pad": "x" * n}]])
    assert len(msg) == size
    return msg


def test_message_of_exactly_1_MiB_is_served(survivor):
    with survivor.d.connect() as c:
        c.send_raw(request_of_size(MiB))
        err, res = c.response(1)
        assert (err, res["full"]) == (None, NA_T)
        assert_still_open(c)
    survivor.check()


def test_message_over_1_MiB_closes_the_connection(survivor):
    with survivor.d.connect() as c:
        send_tolerant(c, request_of_size(MiB + 1))
        assert_error_then_closed(c, "too_large", "1 MiB")
    survivor.check()


def test_message_over_1_MiB_is_refused_on_its_header(survivor):
    """The header announces 2 MiB; gliad refuses without waiting for them."""
    header = b"\x94\x00\x01\xa7resolve\x91\x81\xa3pad\xdb" + (2 * MiB).to_bytes(4, "big")
    with survivor.d.connect() as c:
        c.send_raw(header + b"x" * 1000)
        assert_error_then_closed(c, "too_large")
    survivor.check()


def test_huge_array_count_is_refused_on_its_header(survivor):
    with survivor.d.connect() as c:
        c.send_raw(b"\x94\x00\x01\xa5hello\x91\x81\xa1x\xdd\xff\xff\xff\xff")
        assert_error_then_closed(c, "too_large")
    survivor.check()


def nested(depth, leaf):
    """A resolve request whose whole message nests `depth` arrays/maps deep:
    the request array is level 1, its params array 2, the params map 3, and
    "deep" holds the rest. Built by hand: msgpack-python stops at 512 levels."""
    head = b"\x94\x00\x01\xa7resolve\x91\x82\xa5asset\xa2Na\xa4deep"
    msg = head + b"\x91" * (depth - 3) + pack(leaf)
    if depth < 100:
        value = leaf
        for _ in range(depth - 3):
            value = [value]
        assert msg == pack([0, 1, "resolve", [{"asset": "Na", "deep": value}]])
    return msg


@pytest.mark.parametrize("leaf", [1, []], ids=["int-leaf", "empty-array-leaf"])
def test_nesting_of_32_is_served(survivor, leaf):
    depth = 32 if leaf == 1 else 31  # an empty array is a level of its own
    with survivor.d.connect() as c:
        c.send_raw(nested(depth, leaf))
        err, res = c.response(1)
        assert (err, res["full"]) == (None, NA_T)
    survivor.check()


@pytest.mark.parametrize("depth,leaf", [(33, 1), (32, []), (40, 1), (1000, 1)],
                         ids=["33", "33-empty-leaf", "40", "1000"])
def test_nesting_deeper_than_32_closes_the_connection(survivor, depth, leaf):
    with survivor.d.connect() as c:
        send_tolerant(c, nested(depth, leaf))
        assert_error_then_closed(c, "bad_request")
    survivor.check()


# ---- clients that misbehave in time ----------------------------------------------------------

def timed_hello(d):
    t0 = time.monotonic()
    with d.connect(timeout=2) as c:
        err, res = c.call("hello")
    assert err is None and res["server"] == "gliad"
    return time.monotonic() - t0


def test_silent_and_stalled_clients_do_not_delay_others(survivor):
    d = survivor.d
    silent = [d.connect() for _ in range(20)]
    stalled = d.connect()  # half a request, then nothing
    msg = pack([0, 1, "resolve", [{"asset": "Na"}]])
    stalled.send_raw(msg[: len(msg) // 2])
    huge = d.connect()  # announced 1 MiB, sent 100 bytes
    huge.send_raw(b"\x94\x00\x01\xa5hello\x91\x81\xa1x\xdb\x00\x0f\xff\x00" + b"x" * 100)
    for _ in range(20):
        assert timed_hello(d) < 1.0
    assert d.ok("status")["clients"] >= 22
    survivor.check()
    # They were kept, not dropped: each can still finish or speak.
    stalled.send_raw(msg[len(msg) // 2:])
    err, res = stalled.response(1)
    assert (err, res["full"]) == (None, NA_T)
    for c in silent:
        assert_still_open(c)
        c.close()
    stalled.close()
    huge.close()


def test_client_disconnecting_mid_message(survivor):
    msg = pack([0, 1, "resolve", [{"asset": "Na", "pad": "y" * 200000}]])
    for cut in (1, 5, len(msg) // 2, len(msg) - 1):
        c = survivor.d.connect()
        c.send_raw(msg[:cut])
        c.close()
    survivor.check()


def test_client_disconnecting_before_reading_replies(survivor):
    d = survivor.d
    batch = b"".join(pack([0, i, "asset", [{"asset": "AMPA"}]]) for i in range(2000))
    for _ in range(3):
        c = d.connect()
        c.send_raw(batch)
        c.close()
    c = d.connect()  # and one that reads one reply of many, then goes
    c.send_raw(batch)
    assert c.response(0)[0] is None
    c.close()
    survivor.check()


def test_client_that_never_reads_does_not_delay_others(survivor):
    d = survivor.d
    hog = d.connect()
    hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    batch = b"".join(pack([0, i, "asset", [{"asset": "AMPA"}]]) for i in range(3000))
    sender = threading.Thread(target=send_tolerant, args=(hog, batch), daemon=True)
    sender.start()
    time.sleep(0.2)
    for _ in range(10):
        assert timed_hello(d) < 1.0
    survivor.check()
    hog.close()
    sender.join(lib.TIMEOUT)


def test_pipelined_and_split_requests(survivor):
    with survivor.d.connect() as c:
        # several requests in one write
        c.send_raw(b"".join(pack([0, i, "resolve", [{"asset": a}]])
                            for i, a in ((11, "Na"), (12, "AMPA"), (13, "hh"))))
        assert c.response(11)[1]["full"] == NA_T
        assert c.response(12)[1]["full"] == "glia__glia_test_mods__AMPA__0"
        assert c.response(13)[1]["full"] == "hh"
        # one request dribbled a byte at a time
        msg = pack([0, 14, "resolve", [{"asset": "Na", "variant": "0"}]])
        for i in range(len(msg)):
            c.send_raw(msg[i:i + 1])
            time.sleep(0.001)
        assert c.response(14)[1]["full"] == "glia__glia_test_mods__Na__0"
        # a request split across two writes with the next one glued on
        a = pack([0, 15, "hello", []])
        b = pack([0, 16, "prefs", []])
        c.send_raw(a[:3])
        time.sleep(0.05)
        c.send_raw(a[3:] + b)
        assert c.response(15)[0] is None
        assert c.response(16)[1] == survivor.PREFS
    survivor.check()


def test_calls_in_flight_are_capped_per_connection(survivor):
    """rescan waits for a scan of its own, so a batch of them sent in one
    write is in flight all at once: past 1,024 gliad answers busy, answers
    every other one when its scan is done, and keeps the connection."""
    n = 2048
    with survivor.d.connect() as c:
        c.send_raw(b"".join(pack([0, i, "rescan", []]) for i in range(n)))
        answers = [c.response(i) for i in range(n)]
        busy = [i for i, (err, _) in enumerate(answers) if err]
        assert busy, "no request was refused"
        for i in busy:
            assert answers[i][0]["code"] == "busy", answers[i]
            assert "1024 requests" in answers[i][0]["message"], answers[i]
        served = [res for err, res in answers if not err]
        assert len(served) >= 1024
        assert all(res["mods"] > 0 for res in served)
        assert_still_open(c)
    survivor.check()


CASES = [("Na", NA_T), ("AMPA", "glia__glia_test_mods__AMPA__0"), ("HHna",
         "glia__glia_demo__HHna__0"), ("Kdr", "glia__glia_plain__Kdr__0"), ("pas", "pas"),
         ("NetStim", "NetStim")]


def resolve_in_parallel(n, conn_of):
    """n threads released at once, thread i resolving CASES[i % len] on the
    connection conn_of(i) gives (a context manager): what each got, in order."""
    def client(i):
        with conn_of(i) as c:
            err, res = c.call("resolve", {"asset": CASES[i % len(CASES)][0]})
            return err or res["full"]
    return lib.in_parallel(n, client)


def test_200_clients_at_once(survivor):
    d = survivor.d
    n = 200
    conns = [d.connect() for _ in range(n)]
    assert d.ok("status")["clients"] >= n + 1
    results = resolve_in_parallel(n, lambda i: conns[i])
    assert results == [CASES[i % len(CASES)][1] for i in range(n)]
    survivor.check()


def test_200_clients_connecting_at_once(survivor):
    """Connects, asks and hangs up 200 times in parallel (the listen backlog)."""
    d = survivor.d
    n = 200
    results = resolve_in_parallel(n, lambda i: d.connect())
    assert results == [CASES[i % len(CASES)][1] for i in range(n)]
    survivor.check()


# ---- hanging up -----------------------------------------------------------------------

@pytest.fixture
def slow_build(gliad, main_site, tmp_path):
    """A gliad whose first build compiles 40 mods one at a time: a library
    wait parks for seconds."""
    site = tmp_path / "site"
    main_site.venv.install_target(site, pylib.many_mods_package(tmp_path / "src", 40,
                                                                name="glia_slow"))
    # A cache of its own: the shared one would hold these objects after the first test.
    return gliad({"default": [site]}, daemon_extra={"jobs": 1, "cache_dir": tmp_path / "cache"})


def test_a_connection_it_cannot_follow_closes_even_with_a_call_parked(slow_build):
    """The error notification, then the socket closes at once: it stayed
    open until the parked call's build ended."""
    with slow_build.connect() as c:
        msgid = c.request("library", {"wait": True})
        assert c.call("hello")[0] is None  # the library call is parked
        t0 = time.monotonic()
        c.send_raw(b"\xc1")
        msgs = c.read_until_closed(timeout=lib.TIMEOUT)
        assert time.monotonic() - t0 < 2.0, msgs
    assert [m[1] for m in msgs if m[0] == 2] == ["error"], msgs
    assert not [m for m in msgs if m[0] == 1 and m[1] == msgid], msgs
    assert slow_build.ok("status")["clients"] >= 1


@pytest.mark.parametrize("method,params", [("rescan", {}), ("library", {"wait": True})])
def test_a_half_closed_client_gets_its_answers(slow_build, method, params):
    """A client that shuts down its sending side (`nc -N`, `socat`) still
    reads: its calls in flight are answered, then gliad hangs up. They were
    dropped unanswered."""
    with slow_build.connect() as c:
        msgid = c.request(method, params)
        c.sock.shutdown(socket.SHUT_WR)
        msgs = c.read_until_closed(timeout=lib.TIMEOUT * 4)
    answers = [m for m in msgs if m[0] == 1 and m[1] == msgid]
    assert len(answers) == 1 and answers[0][2] is None, msgs


def test_sigterm_does_not_wait_for_a_client_that_does_not_read(gliad):
    """Replies nobody reads: gliad stops after a short grace, not when the
    client goes away."""
    d = gliad()
    hog = d.connect()
    hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.send_raw(b"".join(pack([0, i, "assets", [{"builtins": True}]]) for i in range(300)))
    time.sleep(0.5)
    t0 = time.monotonic()
    d.send_signal(signal.SIGTERM)
    rc = d.wait(timeout=lib.TIMEOUT)
    took = time.monotonic() - t0
    hog.close()
    d.reaped = True
    assert rc == 0 and took < 5.0, (rc, took)
