#!/usr/bin/env python3
"""odd-words.py DIR - writes the files of tests/interop/byte-order.bats:
values of odd length whose VR is byte-swapped between Little and Big
Endian (OW), as sloppy writers leave them (PS3.5 7.1.1 wants them even).
  ovl-evrle.dcm, ovl-ivrle.dcm  a 16-bit image with an Overlay Data
      (6000,3000) OW of 5 bytes (35 bits, 5x7);
  px1-evrle.dcm, px1-ivrle.dcm  1-bit 5x7 image (a segmentation's bit
      plane): Pixel Data of 5 bytes (OW in Explicit VR);
  px8-evrle.dcm, px8-ivrle.dcm  8-bit 3x3 image, Pixel Data OW of 9
      bytes;
each with that one value of odd length, so that the data set is odd in
total (dcmsend pads only such a data set);
  anchor-evrbe.dcm  an even Explicit VR Big Endian file of the same SOP
      class, so that dcmsend proposes that syntax for the class.
odd-words.py --check ORIG GOT - GOT (Explicit VR Little Endian, as
dcmconv +te wrote what arrived) holds ORIG's Pixel Data and Overlay Data
(if any) values, each followed by one NUL when ORIG's is of odd length: the Little
Endian words of the value padded at its end.  Exit 1 naming the first
value that differs."""

import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian)

SC = "1.2.840.10008.5.1.4.1.1.7"
OVERLAY = bytes([0x4d, 0x9b, 0x36, 0x6d, 0x05])  # 35 bits, 5x7


def image(uid, bits, rows, cols, pixels, overlay=True):
    ds = Dataset()
    ds.SOPClassUID = SC
    ds.SOPInstanceUID = uid
    ds.PatientID = "ODDWORDS"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if overlay:
        ds.add_new(0x60000010, "US", 5)
        ds.add_new(0x60000011, "US", 7)
        ds.add_new(0x60000040, "CS", "G")
        ds.add_new(0x60000050, "SS", [1, 1])
        ds.add_new(0x60000100, "US", 1)
        ds.add_new(0x60000102, "US", 0)
        ds.add_new(0x60003000, "OW", OVERLAY)
    ds.add_new(0x7FE00010, "OW", pixels)
    return ds


def save(ds, path, ts):
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ts
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    ds.is_little_endian = ts != ExplicitVRBigEndian
    ds.preamble = b"\0" * 128
    # pydicom writes OW values as given: odd stays odd
    ds.save_as(path, write_like_original=False)


def make(out):
    root = "1.2.826.0.1.3680043.8.498.77"
    cases = {"ovl": (16, 1, 2, b"\x01\x02\x03\x04", True),
             "px1": (1, 5, 7, bytes([0x93, 0x2c, 0xd9, 0xb2, 0x06]), False),
             "px8": (8, 3, 3, bytes(range(0x81, 0x8a)), False)}
    for n, (name, case) in enumerate(sorted(cases.items())):
        for k, (enc, ts) in enumerate((("evrle", ExplicitVRLittleEndian),
                                       ("ivrle", ImplicitVRLittleEndian))):
            ds = image(f"{root}.{n + 1}.{k + 1}", *case)
            save(ds, f"{out}/{name}-{enc}.dcm", ts)
    anchor = image(f"{root}.9", 16, 1, 2, b"\x01\x02\x03\x04", False)
    save(anchor, f"{out}/anchor-evrbe.dcm", ExplicitVRBigEndian)


def check(orig, got):
    a, b = pydicom.dcmread(orig), pydicom.dcmread(got)
    assert b.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    for tag in (0x60003000, 0x7FE00010):
        if tag not in a:
            continue
        want = a[tag].value + b"\0" * (len(a[tag].value) & 1)
        if b[tag].value != want:
            sys.exit(f"{got}: ({tag >> 16:04X},{tag & 0xffff:04X}) is "
                     f"{b[tag].value.hex()}, not {want.hex()}")


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
    else:
        make(sys.argv[1])
