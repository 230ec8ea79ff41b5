// mock-llm.js - loopback-only OpenAI-compatible chat server that scripts one pi tool-using turn.
// Usage: node mock-llm.js PORT LOGFILE [IDLE_SECONDS [CERT KEY]] (with CERT and KEY: HTTPS)
// Reply 1: a `write` tool call creating e2e-written.txt; reply 2: a `bash` tool call recording
// `id -un` and `pwd` into e2e-bash.txt; reply 3: final text "E2E-DONE". A prompt that starts with
// "hold" gets instead a `bash` tool call that touches .e2e-ready, waits (<= 30 s) for .e2e-release,
// then runs git and a pipeline into e2e-held.txt; then "E2E-HELD-DONE". A prompt that starts with
// "edit" gets an `edit` tool call changing "line 1" of existing.txt, then a `write` tool call
// creating agent-new.txt, then "E2E-EDIT-DONE". A prompt that starts with "say" gets the text
// "E2E-SAID" at once (one request: the model and tools it names are logged). A prompt
// "run: COMMAND" gets a `bash` tool call running COMMAND, then "E2E-RAN". Each request is logged,
// with the E2E-MARK-* words its system prompt holds,
// as one JSON line to LOGFILE. Listens on 127.0.0.1 only and exits after IDLE_SECONDS idle.
"use strict";
const http = require("http");
const https = require("https");
const fs = require("fs");

const port = Number(process.argv[2] || 18080);
const logFile = process.argv[3] || "/dev/null";
const idleSeconds = Number(process.argv[4] || 120);
const MODEL = "mock-model";

let idleTimer;
function armIdle() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => process.exit(0), idleSeconds * 1000);
}

function log(entry) {
  fs.appendFileSync(logFile, JSON.stringify(entry) + "\n");
}

function chunk(id, delta, finish) {
  return {
    id,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: MODEL,
    choices: [{ index: 0, delta, finish_reason: finish || null }],
  };
}

// The held turn's command: the agent's unit stays up (node waiting on its bash tool) while the
// test looks at it, then git and a bash pipeline run inside the unit.
const HOLD_COMMAND = [
  "touch .e2e-ready",
  "i=0; while [ ! -e .e2e-release ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done",
  "{ (git init -q e2e-held-repo && cd e2e-held-repo && echo held >f && git add f &&",
  " git -c user.name=pi-agent -c user.email=pi-agent@localhost commit -q -m held &&",
  " git rev-list --count HEAD); printf 'c\\nb\\na\\n' | sort | paste -sd, -; } >e2e-held.txt 2>&1",
].join("\n");

// firstUserText: the text of the conversation's first user message.
function firstUserText(messages) {
  const m = messages.find((x) => x.role === "user");
  if (!m) return "";
  if (typeof m.content === "string") return m.content;
  return (m.content || []).map((p) => p.text || "").join("");
}

// markers: the distinct E2E-MARK-<name> words of the system prompt (a skill or context file
// that reached the model says so).
function markers(messages) {
  const sys = messages.filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join("\n");
  return [...new Set(sys.match(/E2E-MARK-[A-Z0-9-]+/g) || [])].sort();
}

// plan: what to answer, from the prompt and how many tool results the conversation already holds.
function plan(messages) {
  const toolResults = messages.filter((m) => m.role === "tool").length;
  if (firstUserText(messages).startsWith("edit")) {
    if (toolResults === 0) {
      return { tool: "edit", args: { path: "existing.txt",
        edits: [{ oldText: "line 1", newText: "line 1, edited by the agent" }] } };
    }
    if (toolResults === 1) {
      return { tool: "write", args: { path: "agent-new.txt", content: "made by the agent\n" } };
    }
    return { text: "E2E-EDIT-DONE" };
  }
  if (firstUserText(messages).startsWith("say")) return { text: "E2E-SAID" };
  if (firstUserText(messages).startsWith("run: ")) {
    if (toolResults === 0) return { tool: "bash", args: { command: firstUserText(messages).slice(5) } };
    return { text: "E2E-RAN" };
  }
  if (firstUserText(messages).startsWith("hold")) {
    if (toolResults === 0) return { tool: "bash", args: { command: HOLD_COMMAND } };
    return { text: "E2E-HELD-DONE" };
  }
  if (toolResults === 0) {
    return { tool: "write", args: { path: "e2e-written.txt", content: "written by the agent\n" } };
  }
  if (toolResults === 1) {
    return { tool: "bash", args: { command: "{ id -un; pwd; } > e2e-bash.txt" } };
  }
  return { text: "E2E-DONE: wrote e2e-written.txt and e2e-bash.txt" };
}

function streamReply(res, id, p) {
  const events = [];
  events.push(chunk(id, { role: "assistant", content: "" }));
  if (p.tool) {
    const args = JSON.stringify(p.args);
    const half = Math.floor(args.length / 2);
    events.push(chunk(id, { tool_calls: [{ index: 0, id: "call_" + id, type: "function",
      function: { name: p.tool, arguments: args.slice(0, half) } }] }));
    events.push(chunk(id, { tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }));
    events.push(chunk(id, {}, "tool_calls"));
  } else {
    for (const word of p.text.split(/(?= )/)) events.push(chunk(id, { content: word }));
    events.push(chunk(id, {}, "stop"));
  }
  const last = events[events.length - 1];
  last.usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const e of events) res.write("data: " + JSON.stringify(e) + "\n\n");
  res.end("data: [DONE]\n\n");
}

function plainReply(res, id, p) {
  const message = p.tool
    ? { role: "assistant", content: null, tool_calls: [{ id: "call_" + id, type: "function",
      function: { name: p.tool, arguments: JSON.stringify(p.args) } }] }
    : { role: "assistant", content: p.text };
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ id, object: "chat.completion", created: 0, model: MODEL,
    choices: [{ index: 0, message, finish_reason: p.tool ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
}

let counter = 0;
const tls = process.argv[5] && process.argv[6] ?
  { cert: fs.readFileSync(process.argv[5]), key: fs.readFileSync(process.argv[6]) } : null;
const handler = (req, res) => {
  armIdle();
  let body = "";
  req.on("data", (d) => { body += d; });
  req.on("end", () => {
    if (req.method === "GET" && req.url.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: MODEL, object: "model" }] }));
      return;
    }
    if (req.method !== "POST" || !req.url.endsWith("/chat/completions")) {
      res.writeHead(404);
      res.end();
      return;
    }
    let request;
    try {
      request = JSON.parse(body);
    } catch (e) {
      res.writeHead(400);
      res.end("bad json");
      return;
    }
    const id = "mock" + (++counter);
    const p = plan(request.messages || []);
    log({ n: counter, url: req.url, model: request.model, stream: !!request.stream,
      tools: (request.tools || []).map((t) => t.function && t.function.name),
      roles: (request.messages || []).map((m) => m.role), reply: p.tool || "text",
      markers: markers(request.messages || []) });
    if (request.stream) streamReply(res, id, p); else plainReply(res, id, p);
  });
};
const server = tls ? https.createServer(tls, handler) : http.createServer(handler);

server.listen(port, "127.0.0.1", () => armIdle());
