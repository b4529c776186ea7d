#!/usr/bin/env python3
"""ps35-cases.py DIR - writes, byte by byte (no DICOM library, so that
nothing normalises them), small Part 10 files of every odd case PS3.5
allows and real writers make, each with its own SOP Instance UID, and
prints one line per file: its name, a tab and its kind:

  valid    a data set PS3.5 and PS3.10 allow: every reader takes it and
           a conversion keeps every value
  lenient  what PS3.10 does not allow but real writers make and DCMTK
           reads (a meta header without its group length or with a
           wrong one, no preamble): sent as it is

Cases, each in Explicit VR Big Endian and, where it means something,
Explicit and Implicit VR Little Endian: every VR (OV, SV, UV, OL, OD, OF
and AT too), US/SS-ambiguous elements (LUT Descriptor, Smallest Image
Pixel Value) at the top level and in nested sequences, sequences and
items of defined and undefined length mixed and nested five and forty
deep, empty sequences and items, private sequences under private
creators, UC, UR, UT and OV values longer than 64 KiB, group lengths in
every group (right and wrong), Data Set Trailing Padding (FFFC,FFFC),
8-bit Pixel Data as OB and as OW, and meta header oddities (no group
length or a wrong one, Source AE Title and Private Information, a
transfer syntax UID padded with a space or a NUL, a meta header in
Implicit VR LE or in Explicit VR BE, a TIFF header for preamble, no
preamble at all, no meta)."""
import os
import struct
import sys

out = sys.argv[1]
SC = b"1.2.840.10008.5.1.4.1.1.7"
TS = {"ivrle": b"1.2.840.10008.1.2", "evrle": b"1.2.840.10008.1.2.1",
      "evrbe": b"1.2.840.10008.1.2.2"}
LONG = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC",
        b"UN", b"UR", b"UT", b"UV", b"ZZ"}
U = 0xffffffff
R = "1.2.826.0.1.3680043.9.7433.35."
ENCS = ("ivrle", "evrle", "evrbe")
cases = []


def el(enc, g, e, vr, val, length=None):
    n = len(val) if length is None else length
    p = ">" if enc == "evrbe" else "<"
    if enc == "ivrle" or g == 0xfffe:
        return struct.pack(p + "HHI", g, e, n) + val
    if vr in LONG:
        return struct.pack(p + "HH", g, e) + vr + b"\0\0" + struct.pack(p + "I", n) + val
    return struct.pack(p + "HH", g, e) + vr + struct.pack(p + "H", n) + val


def num(enc, fmt, *vals):
    return struct.pack((">" if enc == "evrbe" else "<") + fmt * len(vals), *vals)


def pad(v, c=b"\0"):
    return v + c if len(v) % 2 else v


def item(enc, body=b"", undefined=True):
    if undefined:
        return el(enc, 0xfffe, 0xe000, b"", body, U) + el(enc, 0xfffe, 0xe00d, b"", b"")
    return el(enc, 0xfffe, 0xe000, b"", body)


def seq(enc, g, e, items, undefined=True, vr=b"SQ"):
    body = b"".join(items)
    if undefined:
        return el(enc, g, e, vr, body + el(enc, 0xfffe, 0xe0dd, b"", b""), U)
    return el(enc, g, e, vr, body)


def meta(iuid, ts, extra=b"", group_length=True, gl_delta=0):
    m = (el("evrle", 2, 1, b"OB", b"\0\1") + el("evrle", 2, 2, b"UI", pad(SC)) +
         el("evrle", 2, 3, b"UI", pad(iuid)) + el("evrle", 2, 0x10, b"UI", ts) +
         el("evrle", 2, 0x12, b"UI", pad(b"1.2.826.0.1.3680043.9.7433.35")) + extra)
    if group_length:
        m = el("evrle", 2, 0, b"UL", struct.pack("<I", len(m) + gl_delta)) + m
    return m


def write(name, kind, enc, ds, iuid, ts=None, extra=b"", group_length=True,
          gl_delta=0, preamble=True):
    data = ds
    if preamble:
        data = (b"\0" * 128 + b"DICM" +
                meta(iuid, pad(TS[enc]) if ts is None else ts, extra, group_length, gl_delta) + ds)
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    cases.append((name, kind))


n_uid = [0]


def new_uid():
    n_uid[0] += 1
    return ("%s%d" % (R, n_uid[0])).encode()


def head(enc, iuid):
    return (el(enc, 8, 5, b"CS", b"ISO_IR 100") + el(enc, 8, 0x16, b"UI", pad(SC)) +
            el(enc, 8, 0x18, b"UI", pad(iuid)) + el(enc, 8, 0x60, b"CS", b"OT"))


def patient(enc):
    return el(enc, 0x10, 0x10, b"PN", b"Odd^Case") + el(enc, 0x10, 0x20, b"LO", b"PS35")


def study(enc):
    return (el(enc, 0x20, 0x0d, b"UI", pad(R.encode() + b"1000")) +
            el(enc, 0x20, 0x0e, b"UI", pad(R.encode() + b"1001")))


def every_vr(enc):
    """One element of each VR, in tag order, by group (0008 and 0018...)."""
    return [
        (0x0008, 0x0020, b"DA", b"20261207"),
        (0x0008, 0x0030, b"TM", b"121500.5"),
        (0x0008, 0x002a, b"DT", b"20261207121500.25 "),
        (0x0008, 0x0054, b"AE", b"ARCHIVE "),
        (0x0008, 0x0100, b"SH", b"CODE1 "),
        (0x0008, 0x0119, b"UC", b"a long code value " * 2),
        (0x0008, 0x0120, b"UR", b"http://example.org/x"),
        (0x0008, 0x1030, b"LO", b"every VR"),
        (0x0010, 0x1010, b"AS", b"042Y"),
        (0x0018, 0x0050, b"DS", b"1.25"),
        (0x0018, 0x1020, b"LO", b"1.0 "),
        (0x0018, 0x6020, b"SL", num(enc, "i", -7, 70000)),
        (0x0018, 0x9219, b"SS", num(enc, "h", -2, 3)),
        (0x0018, 0x9306, b"FD", num(enc, "d", 1.5, -2.25)),
        (0x0020, 0x0013, b"IS", b"12"),
        (0x0020, 0x4000, b"LT", b"long text "),
        (0x0028, 0x0010, b"US", num(enc, "H", 2)),
        (0x0028, 0x0011, b"US", num(enc, "H", 2)),
        (0x0028, 0x9099, b"US", num(enc, "H", 3)),
        (0x0040, 0xa132, b"UL", num(enc, "I", 1, 0x01020304)),
        (0x0040, 0xa160, b"UT", b"unlimited text"),
        (0x0040, 0xa30a, b"DS", b"1\\2 "),
        (0x0066, 0x0016, b"OF", num(enc, "f", 1.0, -3.5)),
        (0x0066, 0x0040, b"OL", num(enc, "I", 7, 0x0a0b0c0d)),
        (0x0066, 0x0023, b"OW", num(enc, "H", 1, 0x0102)),
        (0x0070, 0x0084, b"PN", b"Doe^Jane"),
        (0x0072, 0x0072, b"ST", b"short text"),
        (0x0072, 0x0082, b"SV", num(enc, "q", -1, 0x0102030405060708)),
        (0x0072, 0x0083, b"UV", num(enc, "Q", 0x1112131415161718)),
        (0x0072, 0x0026, b"AT", num(enc, "H", 0x0010, 0x0020, 0x7fe0, 0x0010)),
        (0x0072, 0x0064, b"IS", b"5 "),
        (0x0072, 0x0074, b"FD", num(enc, "d", 3.0)),
        (0x0072, 0x0076, b"FL", num(enc, "f", 0.5, 2.0)),
        (0x0072, 0x0078, b"UL", num(enc, "I", 9)),
        (0x0072, 0x0080, b"SQ", None),
        (0x0088, 0x0140, b"UI", pad(R.encode() + b"77")),
        (0x0400, 0x0100, b"UI", pad(b"1.2.3")),
        (0x0400, 0x0120, b"OB", b"\x01\x02\x03\x04"),
        (0x7fe0, 0x0009, b"OD", num(enc, "d", 0.25, 8.0)),
        (0x0009, 0x0010, b"LO", b"PS35 PRIVATE"),
        (0x0009, 0x1001, b"UN", b"\x01\x02\x03\x04\x05\x06"),
        (0x0009, 0x1002, b"OV", num(enc, "Q", 5, 0x2122232425262728)),
    ]


def image(enc, rows, cols, bits, px_vr, pixels, extra=b""):
    ba = (el(enc, 0x28, 2, b"US", num(enc, "H", 1)) + el(enc, 0x28, 4, b"CS", b"MONOCHROME2 ") +
          el(enc, 0x28, 0x10, b"US", num(enc, "H", rows)) + el(enc, 0x28, 0x11, b"US", num(enc, "H", cols)) +
          el(enc, 0x28, 0x100, b"US", num(enc, "H", bits)) + el(enc, 0x28, 0x101, b"US", num(enc, "H", bits)) +
          el(enc, 0x28, 0x102, b"US", num(enc, "H", bits - 1)) + el(enc, 0x28, 0x103, b"US", num(enc, "H", 0)))
    return ba + extra, el(enc, 0x7fe0, 0x10, px_vr, pixels)


def nested(enc, depth, n):
    """Sequences five deep, lengths defined and undefined by turns (n
    picks where each starts), each item holding a value and the next."""
    if depth == 0:
        return el(enc, 0x0040, 0xa160, b"UT", b"deepest ")
    inner = el(enc, 0x0008, 0x0100, b"SH", ("D%03d" % depth).encode()) + nested(enc, depth - 1, n + 1)
    items = [item(enc, inner, undefined=(n + depth) % 2 == 0),
             item(enc, el(enc, 0x0008, 0x0100, b"SH", b"X "), undefined=(n + depth) % 3 == 0)]
    return seq(enc, 0x0040, 0xa730, items, undefined=n % 2 == 0)


def lut(enc, vr, first):
    """A Modality LUT: LUT Descriptor as US or SS (PS3.3 C.11.1.1)."""
    desc = num(enc, "H", 4) + num(enc, "h" if vr == b"SS" else "H", first) + num(enc, "H", 16)
    return (el(enc, 0x28, 0x3002, vr, desc) + el(enc, 0x28, 0x3003, b"LO", b"LUT ") +
            el(enc, 0x28, 0x3004, b"LO", b"HU") + el(enc, 0x28, 0x3006, b"OW", num(enc, "H", 1, 2, 3, 65535)))


def build(enc, kind):
    i = new_uid()
    if kind == "ambiguous":
        # Smallest Image Pixel Value SS, LUT Descriptor SS and US in
        # Modality LUT and (nested) Softcopy VOI LUT Sequence items
        img, px = image(enc, 2, 2, 16, b"OW", num(enc, "h", -5, 0, 7, 300),
                        el(enc, 0x28, 0x106, b"SS", num(enc, "h", -5)) + el(enc, 0x28, 0x107, b"SS", num(enc, "h", 300)))
        img = img.replace(el(enc, 0x28, 0x103, b"US", num(enc, "H", 0)), el(enc, 0x28, 0x103, b"US", num(enc, "H", 1)))
        voi = seq(enc, 0x28, 0x3010, [item(enc, lut(enc, b"US", 0)), item(enc, lut(enc, b"SS", -1), False)], False)
        body = (head(enc, i) + patient(enc) + study(enc) + img +
                seq(enc, 0x28, 0x3000, [item(enc, lut(enc, b"SS", -100))]) +
                seq(enc, 0x28, 0x3110, [item(enc, voi +
                    seq(enc, 0x28, 0x3110, [item(enc, lut(enc, b"SS", -2000), False)], True))]) + px)
        return i, body
    if kind == "nested5":
        return i, head(enc, i) + patient(enc) + study(enc) + nested(enc, 5, 0)
    if kind == "nested5b":
        return i, head(enc, i) + patient(enc) + study(enc) + nested(enc, 5, 1)
    if kind == "nested40":
        # 40 sequences deep (80 levels with their items), as a structured
        # report's content tree may go; PS3.5 sets no limit
        return i, head(enc, i) + patient(enc) + study(enc) + nested(enc, 40, 0)
    if kind == "nested40u":
        # the same with undefined lengths only, as many writers make them
        v = el(enc, 0x0040, 0xa160, b"UT", b"deepest ")
        for d in range(40):
            v = seq(enc, 0x0040, 0xa730, [item(enc, el(enc, 0x0008, 0x0100, b"SH", ("D%03d" % d).encode()) + v)])
        return i, head(enc, i) + patient(enc) + study(enc) + v
    if kind == "empty-sq":
        return i, (head(enc, i) + el(enc, 8, 0x1110, b"SQ", b"") + seq(enc, 8, 0x1111, []) +
                   seq(enc, 8, 0x1115, [item(enc, b"", False), item(enc, b""), item(enc, b"", False)], False) +
                   seq(enc, 8, 0x1120, [item(enc, b"")], True) + patient(enc) + study(enc))
    if kind == "private-sq":
        inner = (el(enc, 0x0011, 0x0010, b"LO", b"INNER CREATOR ") + el(enc, 0x0011, 0x1001, b"SH", b"IN") +
                 seq(enc, 0x0011, 0x1002, [item(enc, el(enc, 0x0011, 0x0010, b"LO", b"DEEPER") +
                                                el(enc, 0x0011, 0x1003, b"US", num(enc, "H", 513)))], False))
        return i, (head(enc, i) + el(enc, 0x0009, 0x0010, b"LO", b"ACME 1.0") + el(enc, 0x0009, 0x0011, b"LO", b"OTHER ") +
                   seq(enc, 0x0009, 0x1001, [item(enc, inner), item(enc, inner, False)]) +
                   seq(enc, 0x0009, 0x1101, [item(enc, b"", False)], False) +
                   el(enc, 0x0009, 0x1102, b"SL", num(enc, "i", -1)) + patient(enc) + study(enc))
    if kind == "long-values":
        big = bytes((i % 26) + 65 for i in range(70001))
        return i, (head(enc, i) + el(enc, 0x0008, 0x0119, b"UC", big + b" ") +
                   el(enc, 0x0008, 0x0120, b"UR", b"http://e.org/" + big[:70000 - 13 - 1] + b" ") +
                   el(enc, 0x0009, 0x0010, b"LO", b"PS35 PRIVATE") +
                   el(enc, 0x0009, 0x1002, b"OV", num(enc, "Q", *range(9000))) + patient(enc) + study(enc) +
                   el(enc, 0x0040, 0xa160, b"UT", big[:70000]))
    if kind == "group-lengths":
        b = (el(enc, 8, 5, b"CS", b"ISO_IR 100") + el(enc, 8, 0x16, b"UI", pad(SC)) + el(enc, 8, 0x18, b"UI", pad(i)) +
             el(enc, 8, 0x60, b"CS", b"OT"))
        p = patient(enc)
        s = study(enc)
        return i, (el(enc, 8, 0, b"UL", num(enc, "I", len(b))) + b + el(enc, 0x10, 0, b"UL", num(enc, "I", len(p))) + p +
                   el(enc, 0x20, 0, b"UL", num(enc, "I", len(s))) + s)
    if kind == "wrong-group-lengths":
        b = (el(enc, 8, 5, b"CS", b"ISO_IR 100") + el(enc, 8, 0x16, b"UI", pad(SC)) + el(enc, 8, 0x18, b"UI", pad(i)) +
             el(enc, 8, 0x60, b"CS", b"OT"))
        return i, (el(enc, 8, 0, b"UL", num(enc, "I", 3)) + b + el(enc, 0x10, 0, b"UL", num(enc, "I", 1000)) + patient(enc) +
                   study(enc))
    if kind == "trailing-padding":
        return i, (head(enc, i) + patient(enc) + study(enc) +
                   el(enc, 0xfffc, 0xfffc, b"OB", b"\0" * 10))
    if kind == "px8-ob":
        img, px = image(enc, 2, 3, 8, b"OB", bytes([1, 2, 3, 4, 5, 6]))
        return i, head(enc, i) + patient(enc) + study(enc) + img + px
    if kind == "px8-ow":
        # 8 bits in OW: in Big Endian the bytes of each 16-bit word swapped
        # (PS3.5 A.1 d, 8.1.1); pixels 1 2 3 4 5 6 in the order an LE file has
        raw = bytes([1, 2, 3, 4, 5, 6])
        if enc == "evrbe":
            raw = bytes([2, 1, 4, 3, 6, 5])
        img, px = image(enc, 2, 3, 8, b"OW", raw)
        return i, head(enc, i) + patient(enc) + study(enc) + img + px
    if kind == "px16":
        img, px = image(enc, 2, 2, 16, b"OW", num(enc, "H", 1, 256, 4095, 2))
        return i, head(enc, i) + patient(enc) + study(enc) + img + px
    raise ValueError(kind)


def vr_prefix(enc, i):
    # (0008,0005) (0008,0016) (0008,0018) precede (0008,0020) of every_vr
    return el(enc, 8, 5, b"CS", b"ISO_IR 100") + el(enc, 8, 0x16, b"UI", pad(SC)) + el(enc, 8, 0x18, b"UI", pad(i))


def every_vr_file(enc, i):
    els = sorted(every_vr(enc) + [
        (0x0008, 0x0060, b"CS", b"OT"), (0x0010, 0x0010, b"PN", b"Odd^Case"), (0x0010, 0x0020, b"LO", b"PS35"),
        (0x0020, 0x000d, b"UI", pad(R.encode() + b"1000")), (0x0020, 0x000e, b"UI", pad(R.encode() + b"1001"))],
        key=lambda t: (t[0], t[1]))
    body = vr_prefix(enc, i)
    for g, e, vr, v in els:
        if vr == b"SQ":
            body += seq(enc, g, e, [item(enc, el(enc, 0x0072, 0x0026, b"AT", num(enc, "H", 0x0028, 0x0010)) +
                                          el(enc, 0x0072, 0x0076, b"FL", num(enc, "f", 1.25)))])
        else:
            body += el(enc, g, e, vr, v)
    return body


KINDS = ("every-vr", "ambiguous", "nested5", "nested5b", "nested40", "nested40u", "empty-sq", "private-sq", "long-values",
         "group-lengths", "trailing-padding", "px8-ob", "px8-ow", "px16")
for enc in ENCS:
    for kind in KINDS:
        if kind == "every-vr":
            i = new_uid()
            ds = every_vr_file(enc, i)
        else:
            i, ds = build(enc, kind)
        if enc == "ivrle" and kind in ("px8-ob",):
            continue  # Implicit VR has no OB Pixel Data
        write("%s-%s.dcm" % (kind, enc), "valid", enc, ds, i)
    i, ds = build(enc, "wrong-group-lengths")
    write("wrong-group-lengths-%s.dcm" % enc, "lenient", enc, ds, i)

# meta header oddities, over an Explicit VR BE data set and an Explicit LE one
for enc in ("evrle", "evrbe"):
    i, ds = build(enc, "nested5")
    write("meta-no-group-length-%s.dcm" % enc, "lenient", enc, ds, i, group_length=False)
    i, ds = build(enc, "nested5")
    write("meta-group-length-short-%s.dcm" % enc, "lenient", enc, ds, i, gl_delta=-8)
    i, ds = build(enc, "nested5")
    extra = (el("evrle", 2, 0x16, b"AE", b"SOURCE") + el("evrle", 2, 0x100, b"UI", pad(b"1.2.826.0.1.3680043.9.7433.35.9")) +
             el("evrle", 2, 0x102, b"OB", b"\x01\x02\x03\x04"))
    write("meta-private-info-%s.dcm" % enc, "valid", enc, ds, i, extra=extra)
    i, ds = build(enc, "nested5")
    write("meta-ts-space-%s.dcm" % enc, "lenient", enc, ds, i, ts=TS[enc] + b" ")
    i, ds = build(enc, "nested5")
    write("meta-ts-nul-%s.dcm" % enc, "valid", enc, ds, i, ts=pad(TS[enc]))
# a raw data set, no preamble, no meta (DCMTK reads it with -f), Implicit VR LE
i, ds = build("ivrle", "nested5")
write("raw-dataset-ivrle.dcm", "lenient", "ivrle", ds, i, preamble=False)
# a meta header in Implicit VR LE (old writers; DCMTK and GDCM read it)
i, ds = build("evrle", "nested5")
m = b"".join(el("ivrle", 2, e, b"", v) for e, v in (
    (1, b"\0\1"), (2, pad(SC)), (3, pad(i)), (0x10, pad(TS["evrle"])), (0x12, pad(b"1.2.826.0.1.3680043.9.7433.35"))))
with open(os.path.join(out, "meta-implicit-evrle.dcm"), "wb") as f:
    f.write(b"\0" * 128 + b"DICM" + el("ivrle", 2, 0, b"", struct.pack("<I", len(m))) + m + ds)
cases.append(("meta-implicit-evrle.dcm", "lenient"))
# a meta header and its data set with no preamble nor "DICM" before them
for enc in ("ivrle", "evrbe"):
    i, ds = build(enc, "nested5")
    with open(os.path.join(out, "meta-no-preamble-%s.dcm" % enc), "wb") as f:
        f.write(meta(i, pad(TS[enc])) + ds)
    cases.append(("meta-no-preamble-%s.dcm" % enc, "lenient"))
# a meta group in Explicit VR Big Endian before a Big Endian data set
# (old writers; DCMTK reads it)
i, ds = build("evrbe", "nested5")
m = b"".join(el("evrbe", 2, e, vr, v) for e, vr, v in (
    (1, b"OB", b"\0\1"), (2, b"UI", pad(SC)), (3, b"UI", pad(i)), (0x10, b"UI", pad(TS["evrbe"])),
    (0x12, b"UI", pad(b"1.2.826.0.1.3680043.9.7433.35"))))
with open(os.path.join(out, "meta-be-evrbe.dcm"), "wb") as f:
    f.write(b"\0" * 128 + b"DICM" + el("evrbe", 2, 0, b"UL", struct.pack(">I", len(m))) + m + ds)
cases.append(("meta-be-evrbe.dcm", "lenient"))
# a preamble that is not zeros (a TIFF header: dual-personality files, PS3.10 7.5)
for enc in ("evrle", "evrbe"):
    i, ds = build(enc, "px16")
    with open(os.path.join(out, "preamble-tiff-%s.dcm" % enc), "wb") as f:
        f.write(b"II*\0" + bytes(range(124)) + b"DICM" + meta(i, pad(TS[enc])) + ds)
    cases.append(("preamble-tiff-%s.dcm" % enc, "valid"))

for name, kind in cases:
    print("%s\t%s" % (name, kind))
