#!/usr/bin/env python3
"""pad-odd.py TS < DATASET > PADDED - the data set on stdin (transfer
syntax TS: Implicit VR LE, Explicit VR LE or BE) with every value of odd
length padded by one byte, as dcmsend pads a data set of odd total
length (PS3.5 7.1.1, 6.2): a space for the text VRs, a NUL for UI and
the others.  Written apart from dcmsend's code, for the tests to expect.
Made for the files of odd-datasets.py: odd values at the top level
only (a sequence is copied as it is, and must hold none: dcmsend would
write it with undefined lengths then); in Implicit VR it knows the VRs
of the few tags those files hold."""

import struct
import sys

IVR_TS, EVR_TS, EBE_TS = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
ts = sys.argv[1]
assert ts in (IVR_TS, EVR_TS, EBE_TS), ts
UNDEF = 0xffffffff
# Implicit VR: the VRs of the tags odd-datasets.py writes (UN: none)
IVR = {(8, 5): "CS", (8, 0x16): "UI", (8, 0x18): "UI", (8, 0x1030): "LO",
       (8, 0x1110): "SQ", (8, 0x1111): "SQ", (8, 0x1115): "SQ",
       (9, 0x10): "LO", (0x10, 0x10): "PN", (0x10, 0x20): "LO",
       (0x20, 0xd): "UI", (0x20, 0xe): "UI"}
LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV", "ZZ"}
TEXT = set("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UR UT".split())
VRS = LONG | TEXT | {"AT", "FD", "FL", "SL", "SS", "UI", "UL", "US"}


def header(d, i, enc):
    """(group, element, vr, length, header size) at i; enc is ivr, evr
    or ebe; vr None in Implicit VR and for items and delimiters."""
    p = ">" if enc == "ebe" else "<"
    g, e = struct.unpack(p + "HH", d[i:i + 4])
    vr = d[i + 4:i + 6].decode("latin-1")
    if enc == "ivr" or g == 0xfffe:
        return g, e, None, struct.unpack(p + "I", d[i + 4:i + 8])[0], 8
    if vr in LONG:
        return g, e, vr, struct.unpack(p + "I", d[i + 8:i + 12])[0], 12
    return g, e, vr, struct.unpack(p + "H", d[i + 6:i + 8])[0], 8


def skip_items(d, i, enc):
    """Past the items of a sequence of undefined length and its
    delimiter; no odd value inside."""
    while True:
        g, e, _, n, h = header(d, i, enc)
        i += h
        if (g, e) == (0xfffe, 0xe0dd):
            return i
        assert (g, e) == (0xfffe, 0xe000)
        if n != UNDEF:
            i += n
            continue
        while True:
            inner = enc
            if enc == "ivr" and d[i + 4:i + 6].decode("latin-1") in VRS:
                inner = "evr"  # items in Explicit VR LE (pre-CP-246)
            g, e, vr, n, h = header(d, i, inner)
            i += h
            if (g, e) == (0xfffe, 0xe00d):
                break
            if n == UNDEF:
                i = skip_items(d, i, "ivr" if vr == "UN" else inner)
            else:
                assert n % 2 == 0, "an odd value nested at %d" % i
                i += n


enc = {IVR_TS: "ivr", EVR_TS: "evr", EBE_TS: "ebe"}[ts]
p = ">" if enc == "ebe" else "<"
d, i, out = sys.stdin.buffer.read(), 0, b""
while i < len(d):
    at = i
    g, e, vr, n, h = header(d, i, enc)
    if vr is None:
        vr = IVR.get((g, e), "UN")
    i += h
    if n == UNDEF:
        # a sequence (UN: Implicit VR inside, PS3.5 6.2.2): as it is
        i = skip_items(d, i, "ivr" if vr == "UN" else enc)
        out += d[at:i]
        continue
    assert e != 0, "a group length"
    if vr == "SQ" and n > 0:
        j = i
        while j < i + n:
            gi, ei, _, ni, hi = header(d, j, enc)
            assert ni != UNDEF and ni % 2 == 0
            j += hi + ni
    v = d[i:i + n]
    i += n
    if n % 2 == 0:
        out += d[at:i]
        continue
    v += b" " if vr in TEXT else b"\0"
    if enc == "ivr":
        out += struct.pack(p + "HHI", g, e, n + 1)
    elif vr in LONG:
        out += struct.pack(p + "HH", g, e) + vr.encode() + b"\0\0" + struct.pack(p + "I", n + 1)
    else:
        out += struct.pack(p + "HH", g, e) + vr.encode() + struct.pack(p + "H", n + 1)
    out += v
sys.stdout.buffer.write(out)
