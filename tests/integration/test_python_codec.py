"""The glia module's msgpack codec in C (glia._speedups: packb, unpackb,
Unpacker) against the msgpack package, which the module uses without it and
which gliad's peers speak: the same bytes out, the same values back, on every
type and size boundary of the protocol's subset; clear errors on what is not
msgpack, is truncated or is outside the subset. No gliad needed."""

import importlib.util
import math
import random

import msgpack
import pytest

import glia_testlib as lib

SO = lib.SPEEDUPS
pytestmark = pytest.mark.skipif(not SO, reason="a build without the C speedups (a sanitizer "
                                "build)")


@pytest.fixture(scope="module")
def c():
    spec = importlib.util.spec_from_file_location("glia._speedups", SO[0])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ref_pack(v):
    return msgpack.packb(v, use_bin_type=True, unicode_errors="surrogateescape")


def ref_unpack(b):
    return msgpack.unpackb(b, raw=False, unicode_errors="surrogateescape")


INT_EDGES = [0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1,
             2**63, 2**64 - 1, -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769,
             -2**31, -2**31 - 1, -2**63]
SIZE_EDGES = [0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536]


def values():
    yield from [None, True, False, 0.0, -0.0, 1.5, -2.25e300, math.inf, 1e-310]
    yield from INT_EDGES
    for n in SIZE_EDGES:
        yield "s" * n                       # fixstr, str8, str16, str32
        yield b"\x00" * n                   # bin8, bin16, bin32
        yield list(range(n % 300)) if n < 300 else [None] * n   # fixarray, array16, 32
        yield {f"k{i}": i for i in range(n)}                     # fixmap, map16, map32
    yield "é" * 20 + "€" * 11 + "\U0001f600"   # multibyte: the length is in bytes
    yield "/site/caf\udce9"                      # a path's undecodable byte
    yield [[[[{"a": [1, {"b": [None, b"x"]}]}]]]]
    yield {"": {"x": [], "y": {}}, "tuple": [1, 2]}
    yield "x" * (1 << 20)
    yield b"\xff" * (70000)


@pytest.mark.parametrize("v", list(values()), ids=lambda v: type(v).__name__)
def test_same_bytes_and_same_values_as_msgpack(c, v):
    b = c.packb(v)
    assert b == ref_pack(v)
    assert c.unpackb(b) == ref_unpack(b) == v or (isinstance(v, float) and math.isnan(v))


def test_str32_and_array32_and_map32(c):
    # The 32-bit forms msgpack uses past 65535: decoded from its bytes.
    for v in ("s" * 65536, [0] * 65536, {str(i): i for i in range(65536)}):
        b = ref_pack(v)
        assert b[0] in (0xdb, 0xdd, 0xdf) and c.packb(v) == b and c.unpackb(b) == v


def test_forms_msgpack_reads_but_does_not_write(c):
    # Any peer may choose a longer form than needed, or float32: all read.
    cases = {b"\xd9\x01a": "a", b"\xda\x00\x01a": "a", b"\xdb\x00\x00\x00\x01a": "a",
             b"\xc5\x00\x01z": b"z", b"\xdc\x00\x01\x01": [1], b"\xde\x00\x01\xa1k\xc0":
             {"k": None}, b"\xcc\x05": 5, b"\xd3\xff\xff\xff\xff\xff\xff\xff\xff": -1,
             b"\xca\x3f\xc0\x00\x00": 1.5}
    for b, v in cases.items():
        assert c.unpackb(b) == ref_unpack(b) == v, b


def test_random_messages_round_trip_both_ways(c):
    rnd = random.Random(5)

    def gen(depth=0):
        k = rnd.randrange(8 if depth < 4 else 5)
        if k == 0:
            return rnd.choice([None, True, False])
        if k == 1:
            return min(max(rnd.choice(INT_EDGES) + rnd.choice([0, 1, -1]), -2**63), 2**64 - 1)
        if k == 2:
            return rnd.uniform(-1e9, 1e9)
        if k == 3:
            return "".join(rnd.choice("aé€\U0001f600z") for _ in range(rnd.choice(SIZE_EDGES[:8])))
        if k == 4:
            return bytes(rnd.randrange(256) for _ in range(rnd.choice(SIZE_EDGES[:7])))
        if k in (5, 6):
            return [gen(depth + 1) for _ in range(rnd.randrange(20))]
        return {str(rnd.random()): gen(depth + 1) for _ in range(rnd.randrange(20))}

    for _ in range(300):
        v = [gen()]
        b = ref_pack(v)
        assert c.packb(v) == b
        assert c.unpackb(b) == v
        assert ref_unpack(c.packb(v)) == v


@pytest.mark.parametrize("bad, says", [
    (b"\xc1", "not msgpack: byte 0xc1 at offset 0"),
    (b"\x92\x01\xd4\x01\x02", "ext type (byte 0xd4 at offset 2)"),
    (b"\xc7\x01\x05x", "ext type"),
    (b"\x81\x01\x02", "a map key of type int at offset 1"),
    (b"\x81\xc0\x02", "a map key of type NoneType"),
    (b"\x91" * 600 + b"\xc0", "nested deeper than 512"),
    (b"\xc0\xc0", "extra data: a message of 1 bytes, then 1 more"),
])
def test_invalid_input_raises_a_clear_error(c, bad, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        c.unpackb(bad)


def test_truncated_input_says_so_at_every_cut(c):
    msg = ref_pack([1, 7, None, {"path": "/x" * 40, "list": [1, 2**40, b"\x00" * 300, 1.5]}])
    for cut in range(len(msg)):
        with pytest.raises(ValueError, match="truncated msgpack"):
            c.unpackb(msg[:cut])


def test_what_it_cannot_pack_raises(c):
    with pytest.raises(TypeError, match="can not serialize set"):
        c.packb({"a": {1}})
    with pytest.raises(OverflowError):
        c.packb(2**64)
    with pytest.raises(OverflowError):
        c.packb(-2**63 - 1)
    deep = []
    for _ in range(600):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper"):
        c.packb(deep)


def test_unpacker_takes_a_stream_in_any_pieces(c):
    msgs = [[1, i, None, {"s": "x" * (i * 97)}] for i in range(40)] + [[2, "n", []]]
    stream = b"".join(ref_pack(m) for m in msgs)
    rnd = random.Random(1)
    for pieces in (1, 7, 4096, None):
        u, got, at = c.Unpacker(), [], 0
        while at < len(stream):
            n = pieces or rnd.randrange(1, 3000)
            u.feed(stream[at:at + n])
            at += n
            got.extend(u)
        assert got == msgs


def test_32_bit_headers_of_small_maps_and_arrays(c):
    # A peer that writes a container's header before it knows the count
    # (a placeholder map32/array32 patched afterwards) sends small counts in
    # 32-bit forms: read alone, nested, and from a stream in any pieces.
    reply = (b"\x94\x01\x07\xc0" + b"\xdf\x00\x00\x00\x03"
             + b"\xa3env\xa7default"
             + b"\xa4mods\xdd\x00\x00\x00\x02\xdf\x00\x00\x00\x01\xa1k\x01\xdd\x00\x00\x00\x00"
             + b"\xa5empty\xdf\x00\x00\x00\x00")
    want = [1, 7, None, {"env": "default", "mods": [{"k": 1}, []], "empty": {}}]
    assert c.unpackb(reply) == ref_unpack(reply) == want
    for n in range(1, len(reply)):
        u = c.Unpacker()
        u.feed(reply[:n])
        assert list(u) == []
        u.feed(reply[n:])
        assert list(u) == [want]


def test_unpacker_refuses_more_than_its_limit_and_goes_on_after_a_bad_key(c):
    u = c.Unpacker(max_buffer_size=100)
    u.feed(b"\xdb\x00\x00\x01\x00" + b"x" * 90)    # a str of 256 bytes: not all here
    assert list(u) == []
    with pytest.raises(ValueError, match="over 100 bytes"):
        u.feed(b"x" * 20)
    u = c.Unpacker()
    u.feed(b"\x81\x01\x02" + b"\x93\x01\x02\x03")
    with pytest.raises(ValueError, match="map key"):
        next(u)
    assert next(u) == [1, 2, 3]       # the message after the bad one is read
