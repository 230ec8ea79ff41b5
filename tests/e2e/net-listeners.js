// net-listeners.js - what the agent must not reach: TCP and UDP listeners and a DNS server that answers every A query, each logging what arrives.
// Usage: node net-listeners.js LOGFILE DNS_ADDR ANSWER_ADDR SPEC...
//   SPEC is tcp:ADDR:PORT or udp:ADDR:PORT. The DNS server listens on DNS_ADDR:53 (UDP) and answers
//   every A query with ANSWER_ADDR. Each arrival is one line in LOGFILE: "tcp ADDR:PORT",
//   "udp ADDR:PORT", "dns NAME". Prints "ready" once every socket listens.
"use strict";
const net = require("net");
const dgram = require("dgram");
const fs = require("fs");

const [logFile, dnsAddr, answer, ...specs] = process.argv.slice(2);
const log = (line) => fs.appendFileSync(logFile, line + "\n");
let pending = specs.length + 1;
const ready = () => { if (--pending === 0) console.log("ready"); };

for (const spec of specs) {
  const [kind, addr, port] = spec.split(":");
  if (kind === "tcp") {
    net.createServer((c) => { log(`tcp ${addr}:${port}`); c.destroy(); })
      .listen(Number(port), addr, ready);
  } else {
    const s = dgram.createSocket("udp4");
    s.on("message", () => log(`udp ${addr}:${port}`));
    s.bind(Number(port), addr, ready);
  }
}

// qname: the dotted name of a query starting at byte 12.
function qname(msg) {
  const labels = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString());
    i += msg[i] + 1;
  }
  return { name: labels.join("."), end: i + 5 };
}

const dns = dgram.createSocket("udp4");
dns.on("message", (msg, rinfo) => {
  if (msg.length < 17) return;
  const q = qname(msg);
  const type = msg.readUInt16BE(q.end - 4);
  log(`dns ${q.name}`);
  const header = Buffer.from(msg.subarray(0, 12));
  header.writeUInt16BE(0x8180, 2);                 // response, recursion available, no error
  header.writeUInt16BE(type === 1 ? 1 : 0, 6);     // one answer for A, none otherwise
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  const parts = [header, msg.subarray(12, q.end)];
  if (type === 1) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(5, 6);
    rr.writeUInt16BE(4, 10);
    answer.split(".").forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
    parts.push(rr);
  }
  dns.send(Buffer.concat(parts), rinfo.port, rinfo.address);
});
dns.bind(53, dnsAddr, ready);
