#!/usr/bin/python3
"""dicomdir-edit.py - DICOMDIRs written by pydicom for dcmsend-dicomdir.bats
(run as /usr/bin/python3: it needs Debian's pydicom).

  fileset OUT explicit|implicit FILE...  a File-set of FILEs in directory
      OUT, written by pydicom's FileSet (its own names, PT000000/...);
      implicit: the DICOMDIR in Implicit VR Little Endian, as
      FileSet.write(force_implicit=True) makes it
  set-ids DICOMDIR ID...  the Referenced File IDs of the records that have
      one, in file order, replaced by the IDs given ("-" keeps one; the
      records after the last ID are kept); written back by pydicom
  deflate DICOMDIR OUT  the same DICOMDIR in Deflated Explicit VR LE
"""
import sys

from pydicom import dcmread
from pydicom.fileset import FileSet
from pydicom.uid import DeflatedExplicitVRLittleEndian


def fileset(out, mode, files):
    fs = FileSet()
    for p in files:
        fs.add(dcmread(p))
    fs.write(out, force_implicit=(mode == "implicit"))


def set_ids(path, ids):
    ds = dcmread(path)
    k = 0
    for rec in ds.DirectoryRecordSequence:
        if "ReferencedFileID" not in rec:
            continue
        if k < len(ids) and ids[k] != "-":
            rec.ReferencedFileID = ids[k]
        k += 1
    ds.save_as(path)


def deflate(path, out):
    ds = dcmread(path)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.is_implicit_VR = False
    ds.is_little_endian = True
    ds.save_as(out, write_like_original=False)


def main():
    cmd = sys.argv[1]
    if cmd == "fileset":
        fileset(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "set-ids":
        set_ids(sys.argv[2], sys.argv[3:])
    elif cmd == "deflate":
        deflate(sys.argv[2], sys.argv[3])
    else:
        sys.exit("dicomdir-edit.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
