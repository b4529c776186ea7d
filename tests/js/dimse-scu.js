#!/usr/bin/env node
// dimse-scu.js - dcmjs-dimse's Client as a Storage SCU for
// tests/interop/dcmjs.bats: one association, a C-ECHO, then a C-STORE
// of each FILE.
//   node dimse-scu.js HOST PORT [--async N] [--abort-after N] FILE...
// --async N proposes an asynchronous operations window of N;
// --abort-after N sends A-ABORT once N responses have come.
// One line per event on stdout:
//   accepted MAXPDU | rejected | echo STATUS | rsp FILE STATUS
//   abort-sent | released | aborted | error MESSAGE | closed
"use strict";
const dimse = require("dcmjs-dimse");
const { Client } = dimse;
const { CEchoRequest, CStoreRequest } = dimse.requests;

dimse.log.setLevel(process.env.DIMSE_LOG || "error");
const args = process.argv.slice(2);
const [host, port] = args.splice(0, 2);
const files = [];
let asyncN = 0;
let abortAfter = 0;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--async") asyncN = Number(args[++i]);
  else if (args[i] === "--abort-after") abortAfter = Number(args[++i]);
  else files.push(args[i]);
}
const say = (...f) => process.stdout.write(f.join("\t") + "\n");
const hex = (s) => s.toString(16).toUpperCase().padStart(4, "0");

const client = new Client();
let responses = 0;
const echo = new CEchoRequest();
echo.on("response", (r) => say("echo", hex(r.getStatus())));
client.addRequest(echo);
for (const f of files) {
  const rq = new CStoreRequest(f);
  rq.on("response", (r) => {
    say("rsp", f, hex(r.getStatus()));
    if (abortAfter && ++responses === abortAfter) {
      say("abort-sent");
      client.abort();
    }
  });
  client.addRequest(rq);
}
client.on("associationAccepted", (a) => say("accepted", a.getMaxPduLength()));
client.on("associationRejected", () => say("rejected"));
client.on("associationReleased", () => say("released"));
client.on("abort", () => say("aborted"));
client.on("networkError", (e) => say("error", String(e.message || e)));
client.on("closed", () => say("closed"));
const opts = { associationTimeout: 10000, pduTimeout: 10000 };
if (asyncN) opts.asyncOps = { maxAsyncOpsInvoked: asyncN, maxAsyncOpsPerformed: asyncN };
client.send(host, Number(port), "DIMSE-SCU", "DCMRECV", opts);
