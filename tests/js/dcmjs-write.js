#!/usr/bin/env node
// dcmjs-write.js - DICOM files written by dcmjs, for tests/interop/dcmjs.bats.
//   node dcmjs-write.js build DIR            data sets built here, written by dcmjs
//   node dcmjs-write.js rewrite DIR FILE...  each FILE read by dcmjs and written again
// Prints one line per input: "ok<TAB>OUT" or "skip<TAB>IN<TAB>why" (what dcmjs
// itself cannot read or write is dcmjs's business, not a failure of ours).
"use strict";
const fs = require("fs");
const path = require("path");
const { DicomDict, DicomMessage, DicomMetaDictionary } = require("dcmjs").data;

const TS = {
  implicit: "1.2.840.10008.1.2",
  explicit: "1.2.840.10008.1.2.1",
  big: "1.2.840.10008.1.2.2",
  rle: "1.2.840.10008.1.2.5",
};
const ROOT = "1.2.826.0.1.3680043.8.498.77";

function write(out, nat, ts, raw) {
  const meta = {
    MediaStorageSOPClassUID: nat.SOPClassUID,
    MediaStorageSOPInstanceUID: nat.SOPInstanceUID,
    TransferSyntaxUID: ts,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(nat);
  Object.assign(dict.dict, raw || {});
  fs.writeFileSync(out, Buffer.from(dict.write()));
  console.log(`ok\t${out}`);
}

// One RLE segment (PS3.5 G.3.1) of literal runs: enough for a real
// stream that any decoder reads, without a compressor here.
function rleFrame(bytes) {
  const runs = [];
  for (let i = 0; i < bytes.length; i += 128) {
    const chunk = bytes.subarray(i, Math.min(i + 128, bytes.length));
    runs.push(Uint8Array.of(chunk.length - 1), chunk);
  }
  const body = Buffer.concat(runs);
  const head = Buffer.alloc(64);
  head.writeUInt32LE(1, 0);
  head.writeUInt32LE(64, 4);
  return Buffer.concat([head, body]);
}

function image(uid, cls, rows, cols, bits, frames) {
  const n = rows * cols * frames;
  const px = bits === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) px[i] = (i * 7919 + 13) % (bits === 16 ? 4096 : 256);
  return {
    nat: {
      SOPClassUID: cls,
      SOPInstanceUID: uid,
      StudyInstanceUID: `${ROOT}.1`,
      SeriesInstanceUID: `${ROOT}.2`,
      PatientID: "DCMJS",
      PatientName: "Writer^Dcmjs",
      Modality: "OT",
      SamplesPerPixel: 1,
      PhotometricInterpretation: "MONOCHROME2",
      Rows: rows,
      Columns: cols,
      BitsAllocated: bits,
      BitsStored: bits === 16 ? 12 : 8,
      HighBit: bits === 16 ? 11 : 7,
      PixelRepresentation: 0,
      ...(frames > 1 ? { NumberOfFrames: String(frames) } : {}),
    },
    px,
  };
}

function build(dir) {
  const sc = "1.2.840.10008.5.1.4.1.1.7";
  // Odd lengths everywhere, sequences nested and empty, an empty item,
  // private elements (a private sequence too), several VRs and values.
  const odd = (uid, ts) => {
    const { nat, px } = image(uid, sc, 3, 3, 8, 1);
    Object.assign(nat, {
      SpecificCharacterSet: "ISO_IR 100",
      StudyDescription: "odd",
      ImageType: ["DERIVED", "SECONDARY"],
      PixelSpacing: [0.5, 0.25],
      ReferencedSeriesSequence: [
        {
          SeriesInstanceUID: `${ROOT}.9`,
          ReferencedInstanceSequence: [
            { ReferencedSOPClassUID: sc, ReferencedSOPInstanceUID: `${ROOT}.45` },
          ],
        },
      ],
      OtherPatientIDsSequence: [],
      SourceImageSequence: [{}],
      PixelData: [px.buffer],
      _vrMap: { PixelData: "OB" },
    });
    const raw = {
      "00091010": { vr: "LO", Value: ["CSTORE"] },
      "00090010": { vr: "LO", Value: ["CSTORE TEST"] },
      "00091011": { vr: "SQ", Value: [{ "00091012": { vr: "UL", Value: [7] } }] },
      "00091013": { vr: "UN", Value: [Uint8Array.of(1, 2, 3).buffer] },
    };
    write(path.join(dir, `odd-${ts}.dcm`), nat, TS[ts], raw);
  };
  odd(`${ROOT}.10.1`, "explicit");
  odd(`${ROOT}.10.2`, "implicit");
  odd(`${ROOT}.10.3`, "big");

  // 16 bits in Big Endian: every pixel swapped by dcmjs.
  {
    const { nat, px } = image(`${ROOT}.11`, sc, 5, 7, 16, 1);
    nat.PixelData = [px.buffer];
    nat._vrMap = { PixelData: "OW" };
    write(path.join(dir, "big16.dcm"), nat, TS.big);
  }
  // A short-length VR with a value over 64 KiB: dcmjs writes it as UN
  // with a 32-bit length in Explicit VR (PS3.5 allows no such LO).
  {
    const { nat, px } = image(`${ROOT}.12`, sc, 2, 2, 8, 1);
    nat.PixelData = [px.buffer];
    nat._vrMap = { PixelData: "OB" };
    const raw = {
      "00090010": { vr: "LO", Value: ["CSTORE TEST"] },
      "00091020": { vr: "LT", Value: ["x".repeat(70001)] },
    };
    write(path.join(dir, "big16len.dcm"), nat, TS.explicit, raw);
  }
  // RLE, two frames, each of odd length: a fragment per frame.
  {
    const { nat, px } = image(`${ROOT}.13`, sc, 5, 5, 8, 2);
    const f = (i) => rleFrame(px.subarray(i * 25, (i + 1) * 25));
    nat.PixelData = [f(0), f(1)].map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    nat._vrMap = { PixelData: "OB" };
    write(path.join(dir, "rle2.dcm"), nat, TS.rle);
  }
  // Large enough for many PDUs: 1024 x 1024 x 16 bits (2 MiB) CT.
  {
    const { nat, px } = image(`${ROOT}.14`, "1.2.840.10008.5.1.4.1.1.2", 1024, 1024, 16, 1);
    Object.assign(nat, { Modality: "CT", RescaleIntercept: "-1024", RescaleSlope: "1" });
    nat.PixelData = [px.buffer];
    nat._vrMap = { PixelData: "OW" };
    write(path.join(dir, "large-ct.dcm"), nat, TS.explicit);
  }
}

function rewrite(dir, files) {
  let i = 0;
  for (const f of files) {
    i++;
    let buf;
    try {
      const b = fs.readFileSync(f);
      const dict = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
      buf = Buffer.from(dict.write());
    } catch (e) {
      console.log(`skip\t${f}\t${String(e.message || e).split("\n")[0]}`);
      continue;
    }
    const out = path.join(dir, `${i}-${path.basename(f)}`);
    fs.writeFileSync(out, buf);
    console.log(`ok\t${out}`);
  }
}

const [cmd, dir, ...rest] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
if (cmd === "build") build(dir);
else if (cmd === "rewrite") rewrite(dir, rest);
else {
  console.error("usage: dcmjs-write.js build DIR | rewrite DIR FILE...");
  process.exit(2);
}
