#!/usr/bin/env python3
"""gen_walk_seeds.py - corpus seeds for the targets that run the shared
data set walker (lib/core/ds_walk.c): fuzz_ds_scan, fuzz_part10,
fuzz_xcode and fuzz_commit_ds, and Deflated data sets for
fuzz_xcode_inflate.  One seed per odd case PS3.5 allows or
real writers make: UN of undefined length holding Implicit VR LE items
(PS3.5 6.2.2) or Explicit VR LE ones (pre-CP-246), odd lengths, missing
and wrong group lengths, private sequences, item delimiters (also ending
a defined-length item), sequence delimiters of length 0 and FFFFFFFF,
empty sequences and items, nested undefined lengths, Big Endian.

Usage: tests/fuzz/gen_walk_seeds.py [CORPUS_DIR]  (default tests/fuzz/corpus)
Files are named by the SHA-256 of their bytes, so running it again adds
nothing new.
"""
import hashlib
import os
import struct
import sys
import zlib

IVR, EVR, BE = 0, 1, 2
UNDEF = 0xFFFFFFFF
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
            "UR", "UT", "UV"}
TS = {IVR: "1.2.840.10008.1.2", EVR: "1.2.840.10008.1.2.1",
      BE: "1.2.840.10008.1.2.2"}


def hdr(enc, g, e, vr, length):
    end = ">" if enc == BE else "<"
    tag = struct.pack(end + "HH", g, e)
    if enc == IVR or g == 0xFFFE:
        return tag + struct.pack(end + "I", length)
    if vr in LONG_VRS:
        return tag + vr.encode() + b"\0\0" + struct.pack(end + "I", length)
    return tag + vr.encode() + struct.pack(end + "H", length)


def el(enc, g, e, vr, val):
    return hdr(enc, g, e, vr, len(val)) + val


def item(enc, body, defined=False, delim_too=False):
    if defined:
        tail = hdr(enc, 0xFFFE, 0xE00D, "", 0) if delim_too else b""
        return hdr(enc, 0xFFFE, 0xE000, "", len(body) + len(tail)) + body + tail
    return (hdr(enc, 0xFFFE, 0xE000, "", UNDEF) + body +
            hdr(enc, 0xFFFE, 0xE00D, "", 0))


def seq(enc, g, e, items, defined=False, vr="SQ", delim_len=0):
    body = b"".join(items)
    if defined:
        return hdr(enc, g, e, vr, len(body)) + body
    return (hdr(enc, g, e, vr, UNDEF) + body +
            hdr(enc, 0xFFFE, 0xE0DD, "", delim_len))


def head(enc, odd=False):
    cls = b"1.2.840.10008.5.1.4.1.1.7\0"
    inst = b"1.2.3.4.5" if odd else b"1.2.3.4.5\0"
    return el(enc, 0x0008, 0x0016, "UI", cls) + el(enc, 0x0008, 0x0018, "UI", inst)


def tail(enc):
    return (el(enc, 0x0010, 0x0020, "LO", b"PID7") +
            el(enc, 0x0020, 0x000D, "UI", b"1.2.3.9\0"))


def cases(enc):
    """(name, data set) pairs for encoding enc."""
    out = []
    inner = el(enc, 0x0010, 0x0010, "PN", b"DOE^J ")
    # nested undefined lengths, three levels
    nest = inner
    for i in range(3):
        nest = seq(enc, 0x0008, 0x1115 + i, [item(enc, nest)])
    out.append(("nested-undefined", head(enc) + nest + tail(enc)))
    # odd lengths (a UID without its pad, a 3-byte LO)
    out.append(("odd-lengths", head(enc, odd=True) +
                el(enc, 0x0008, 0x0070, "LO", b"ACM") + tail(enc)))
    # group lengths: none at all is the case above; a wrong one here
    out.append(("wrong-group-length", el(enc, 0x0008, 0x0000, "UL",
               struct.pack(">I" if enc == BE else "<I", 3)) + head(enc) + tail(enc)))
    # a private sequence, defined lengths inside undefined ones and back
    priv = (el(enc, 0x0029, 0x0010, "LO", b"ACME 1.0") +
            seq(enc, 0x0029, 0x1010, [item(enc, inner, defined=True),
                item(enc, seq(enc, 0x0029, 0x1011, [item(enc, inner)],
                              defined=True))]))
    out.append(("private-sequence", head(enc) + priv + tail(enc)))
    # an Item Delimitation Item that also ends a defined-length item
    out.append(("item-delim-in-defined-item", head(enc) +
                seq(enc, 0x0008, 0x1115,
                    [item(enc, inner, defined=True, delim_too=True)]) + tail(enc)))
    # sequence delimiters of length 0 and FFFFFFFF; empty sequence and item
    out.append(("seq-delim-lengths", head(enc) +
                seq(enc, 0x0008, 0x1115, [item(enc, b"")]) +
                seq(enc, 0x0008, 0x1120, [], delim_len=UNDEF) +
                seq(enc, 0x0008, 0x1140, [item(enc, inner)], delim_len=UNDEF) +
                tail(enc)))
    # encapsulated pixel data: empty offset table, an odd fragment
    if enc != IVR:
        pix = (hdr(enc, 0x7FE0, 0x0010, "OB", UNDEF) +
               hdr(enc, 0xFFFE, 0xE000, "", 0) +
               hdr(enc, 0xFFFE, 0xE000, "", 3) + b"\1\2\3" +
               hdr(enc, 0xFFFE, 0xE0DD, "", 0))
        out.append(("fragments", head(enc) + tail(enc) + pix))
    if enc == EVR:
        # UN of undefined length, Implicit VR LE items (PS3.5 6.2.2)
        iv = el(IVR, 0x0009, 0x1002, "UT", b"implicit")
        un = seq(IVR, 0x0009, 0x1001, [item(IVR, iv),
                 item(IVR, seq(IVR, 0x0009, 0x1003, [item(IVR, iv)]))])
        un = hdr(EVR, 0x0009, 0x1001, "UN", UNDEF) + un[8:]
        out.append(("un-implicit-items", head(enc) +
                    el(enc, 0x0009, 0x0010, "LO", b"OLD ") + un + tail(enc)))
        # the same with Explicit VR LE items (writers before CP-246)
        ev = el(EVR, 0x0009, 0x1002, "UT", b"explicit")
        un = (hdr(EVR, 0x0009, 0x1001, "UN", UNDEF) +
              item(EVR, ev + seq(EVR, 0x0009, 0x1003, [item(EVR, ev)])) +
              item(EVR, b"") + hdr(EVR, 0xFFFE, 0xE0DD, "", 0))
        out.append(("un-explicit-items", head(enc) +
                    el(enc, 0x0009, 0x0010, "LO", b"OLD ") + un + tail(enc)))
        # a UN of defined length that holds a sequence
        body = item(IVR, iv, defined=True)
        out.append(("un-defined-sequence", head(enc) +
                    el(enc, 0x0009, 0x0010, "LO", b"OLD ") +
                    hdr(EVR, 0x0009, 0x1001, "UN", len(body)) + body + tail(enc)))
    if enc == IVR:
        # Implicit VR: an undefined length is a sequence, whatever the tag
        out.append(("implicit-private-undefined", head(enc) +
                    el(enc, 0x0029, 0x0010, "LO", b"ACME") +
                    seq(enc, 0x0029, 0x1020, [item(enc, inner)]) + tail(enc)))
    return out


def meta(ts, group_length=True):
    def m(e, vr, val):
        return el(EVR, 0x0002, e, vr, val)
    body = (m(0x0001, "OB", b"\0\1") +
            m(0x0002, "UI", b"1.2.840.10008.5.1.4.1.1.7\0") +
            m(0x0003, "UI", b"1.2.3.4.5\0") +
            m(0x0010, "UI", ts.encode() + (b"\0" if len(ts) % 2 else b"")) +
            m(0x0012, "UI", b"1.2.3.99\0"))
    if group_length:
        body = m(0x0000, "UL", struct.pack("<I", len(body))) + body
    return b"\0" * 128 + b"DICM" + body


def commit_cases(enc):
    def uid(e, v):
        return el(enc, 0x0008, e, "UI", v)
    ref = uid(0x1150, b"1.2.840.10008.5.1.4.1.1.7\0") + uid(0x1155, b"1.2.3\0")
    priv = seq(enc, 0x0009, 0x1001, [item(enc, el(enc, 0x0009, 0x1002, "LO", b"X "))])
    out = [("commit-undefined", uid(0x1195, b"1.2.9\0") +
            seq(enc, 0x0008, 0x1199, [item(enc, ref + priv), item(enc, ref, True, True)]))]
    failed = ref + el(enc, 0x0008, 0x1197, "US",
                      struct.pack(">H" if enc == BE else "<H", 0x0112))
    out.append(("commit-failed", uid(0x1195, b"1.2.9\0") +
                seq(enc, 0x0008, 0x1198, [item(enc, failed, True)], True) +
                seq(enc, 0x0008, 0x1199, [item(enc, ref)], delim_len=UNDEF)))
    if enc == EVR:
        body = item(IVR, el(IVR, 0x0008, 0x1150, "UI", b"1.2.840.10008.5.1.4.1.1.7\0") +
                    el(IVR, 0x0008, 0x1155, "UI", b"1.2.3\0"))
        out.append(("commit-un", uid(0x1195, b"1.2.9\0") +
                    hdr(EVR, 0x0008, 0x1199, "UN", UNDEF) + body +
                    hdr(IVR, 0xFFFE, 0xE0DD, "", 0)))
    return out


def write(root, target, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha256(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus"
    # fuzz_xcode's first byte: source in bits 0-1, target in bits 2-3
    xto = {IVR: EVR, EVR: IVR, BE: EVR}
    for enc in (IVR, EVR, BE):
        for name, ds in cases(enc):
            # fuzz_ds_scan: whole chunks (mode 0) and byte by byte (1)
            write(root, "fuzz_ds_scan", bytes([enc]) + ds)
            write(root, "fuzz_ds_scan", bytes([enc | 1 << 2]) + ds)
            write(root, "fuzz_part10", meta(TS[enc]) + ds)
            # encapsulated pixel data: from RLE (3), our own codec
            src = 3 if name == "fragments" and enc == EVR else enc
            write(root, "fuzz_xcode", bytes([src | xto[enc] << 2]) + ds)
        write(root, "fuzz_part10", meta(TS[enc], group_length=False) +
              cases(enc)[0][1])
        if enc == EVR:
            # fuzz_xcode_inflate: Deflated data sets (PS3.5 A.5), padded
            # when odd as DCMTK writes them, bare as pydicom does
            for i, (name, ds) in enumerate(cases(enc)):
                z = zlib.compressobj(9, zlib.DEFLATED, -15)
                st = z.compress(ds) + z.flush()
                if i % 2 and len(st) % 2:
                    st += b"\0"
                write(root, "fuzz_xcode_inflate", bytes([i & 3]) + st)
        for name, ds in commit_cases(enc):
            write(root, "fuzz_commit_ds", bytes([enc]) + ds)


if __name__ == "__main__":
    main()
