/* fmld's built-in block explorer.  Plain ES2017, no framework, no build step.
 * Reads the node's REST interface (/rest/, doc/rest.md) from the same origin
 * and routes in the URL's #fragment (#/block/<hash>, #/tx/<txid>, ...).
 * Every string from the node reaches the page as a text node or an attribute
 * set through the DOM: nothing is ever parsed as HTML. */
"use strict";

const POLL_MS = 2000;
const LATEST_BLOCKS = 10;
const LATEST_TXS = 10;
const HISTORY_PAGE = 25;
const MEMPOOL_LIST_MAX = 500;

/* ---- DOM helpers (text only) ---- */

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, String(v));
    }
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
  return parent;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
  append(e, children);
  return e;
}

/* ---- REST ---- */

class RestError extends Error {
  constructor(status, text) {
    super(text || ("HTTP " + status));
    this.status = status;
  }
}

async function rest(path) {
  let r;
  try {
    r = await fetch("/rest/" + path, { cache: "no-store", credentials: "omit" });
  } catch (e) {
    throw new RestError(0, "The node does not answer (" + e.message + ")");
  }
  if (!r.ok) {
    const text = (await r.text()).trim();
    throw new RestError(r.status, text || ("HTTP " + r.status));
  }
  return r.json();
}

/* ---- Formatting ---- */

const HEX64 = /^[0-9a-fA-F]{64}$/;
const ADDRESS = /^[a-z]{1,10}1[02-9ac-hj-np-z]{20,90}$/;

function fmtAmount(x) {
  if (x === null || x === undefined) return "–";
  const n = Number(x);
  if (!Number.isFinite(n)) return String(x);
  let s = n.toFixed(8);
  s = s.replace(/0+$/, "").replace(/\.$/, "");
  const neg = s.startsWith("-");
  if (neg) s = s.slice(1);
  const dot = s.indexOf(".");
  const int = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? "" : s.slice(dot);
  return (neg ? "-" : "") + int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + frac + " FML";
}

function fmtSigned(x) {
  const n = Number(x);
  return (n > 0 ? "+" : "") + fmtAmount(x);
}

function fmtInt(n) {
  return Number(n).toLocaleString("en-US");
}

function fmtTime(t) {
  if (!t) return "–";
  const d = new Date(t * 1000);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function fmtAgo(t) {
  if (!t) return "";
  const s = Math.round(Date.now() / 1000 - t);
  if (s < 0) return "in " + (-s) + " s";
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

function fmtBps(b) {
  return (Number(b) / 100).toFixed(2).replace(/\.?0+$/, "") + " %";
}

function fmtPct(x) {
  return (x * 100).toFixed(2) + " %";
}

function short(h, n) {
  n = n || 10;
  h = String(h);
  return h.length > 2 * n + 1 ? h.slice(0, n) + "…" + h.slice(-6) : h;
}

function typeLabel(t) {
  return String(t).replace(/_/g, " ");
}

/* ---- Links ---- */

function link(href, text, cls) {
  return el("a", { href: href, class: cls }, text);
}
const enc = encodeURIComponent;
function blockLink(hash, text) {
  return link("#/block/" + enc(hash), text || short(hash), "mono");
}
function heightLink(h) {
  return link("#/height/" + enc(h), fmtInt(h));
}
function txLink(txid, text) {
  return link("#/tx/" + enc(txid), text || short(txid), "mono");
}
function addrLink(a, full, n) {
  if (!a) return "–";
  return link("#/address/" + enc(a), full ? a : short(a, n || 12), "mono");
}
function flLink(task, text) {
  return link("#/fl/" + enc(task), text || short(task), "mono");
}
function arenaLink(task, text) {
  return link("#/arena/" + enc(task), text || short(task), "mono");
}
function marketLink(model, text) {
  return link("#/market/" + enc(model), text || short(model), "mono");
}

/* ---- Building blocks ---- */

function card(title, ...body) {
  return el("section", { class: "card" }, title ? el("h2", null, title) : null, body);
}

/* rows: [[label, value, key?], ...]; key sets data-k for tests and styling */
function kv(rows) {
  const t = el("table", { class: "kv" });
  for (const r of rows) {
    if (!r) continue;
    t.appendChild(el("tr", null, el("th", null, r[0]), el("td", { "data-k": r[2] }, r[1])));
  }
  return t;
}

/* cols: [[header, fn(row) -> node/text, class?], ...] */
function table(cols, rows, empty, attrs) {
  if (!rows || rows.length === 0) return el("p", { class: "muted" }, empty || "None.");
  const t = el("table", Object.assign({ class: "list" }, attrs || {}));
  t.appendChild(el("thead", null, el("tr", null, cols.map((c) => el("th", { class: c[2] }, c[0])))));
  const tb = el("tbody");
  for (const row of rows) tb.appendChild(el("tr", null, cols.map((c) => el("td", { class: c[2] }, c[1](row)))));
  t.appendChild(tb);
  return el("div", { class: "scroll" }, t);
}

function badge(text, kind) {
  return el("span", { class: "badge " + (kind || "") }, text);
}

function stateBadge(s) {
  const good = ["active", "accepted", "completed", "settled", "running", "open", "closed", "confirmed"];
  const bad = ["harmful", "slashed", "cancelled", "failed", "rejected", "jailed", "removed", "refunded"];
  const kind = good.includes(s) ? "good" : bad.includes(s) ? "bad" : "";
  return badge(typeLabel(s), kind);
}

function errorBox(e) {
  return el("div", { class: "error" }, e instanceof RestError && e.status === 404 ? "Not found: " : "Error: ", e.message);
}

/* A JSON value as a readable tree: objects as key/value tables, arrays of
 * objects as tables, addresses and hashes as links where their meaning is
 * clear from the key. */
function valueNode(v, key, ctx) {
  if (v === null || v === undefined) return el("span", { class: "muted" }, "null");
  if (Array.isArray(v)) {
    if (v.length === 0) return el("span", { class: "muted" }, "[]");
    if (v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))) {
      const keys = [];
      for (const x of v) for (const k of Object.keys(x)) if (!keys.includes(k)) keys.push(k);
      return table(keys.map((k) => [k, (row) => valueNode(row[k], k, ctx)]), v);
    }
    return el("div", { class: "arr" }, v.map((x, i) => el("span", { class: "item" }, valueNode(x, key, ctx), i + 1 < v.length ? ", " : "")));
  }
  if (typeof v === "object") {
    return kv(Object.keys(v).map((k) => [k, valueNode(v[k], k, ctx), "payload." + k]));
  }
  if (typeof v === "string") {
    if (ADDRESS.test(v)) return addrLink(v, true);
    if (HEX64.test(v)) {
      const k = String(key || "");
      const type = (ctx && ctx.type) || "";
      if (k === "task" && type.startsWith("fl_")) return flLink(v, v);
      if (k === "task" && type.startsWith("arena_")) return arenaLink(v, v);
      if ((k === "model" || k === "component") && type.startsWith("market_")) return marketLink(v, v);
      if (k === "txid" || k === "tx") return txLink(v, v);
      return el("span", { class: "mono" }, v);
    }
    if (/^[0-9a-fA-F]{66,}$/.test(v)) return el("span", { class: "mono wrap" }, v);
    return v;
  }
  if (typeof v === "number" && ctx && ctx.amounts && ctx.amounts.includes(key)) return fmtAmount(v);
  return String(v);
}

/* One line saying what a transaction does, from its decoded payload. */
function txSummary(tx) {
  const p = tx.payload || {};
  const parts = [];
  if (p.to) parts.push("to ", addrLink(p.to));
  if (p.amount !== undefined) parts.push(" ", el("b", null, fmtAmount(p.amount)));
  if (p.validator) parts.push("validator ", addrLink(p.validator));
  if (p.stake !== undefined && typeof p.stake === "number") parts.push(" stake ", fmtAmount(p.stake));
  if (p.task) {
    const t = tx.type || "";
    parts.push(" task ", t.startsWith("arena_") ? arenaLink(p.task) : t.startsWith("fl_") ? flLink(p.task) : el("span", { class: "mono" }, short(p.task)));
  }
  if (p.round !== undefined) parts.push(" round ", String(p.round));
  if (p.model && typeof p.model === "string" && HEX64.test(p.model)) parts.push(" model ", marketLink(p.model));
  if (p.name) parts.push(" “", String(p.name), "”");
  if (p.budget !== undefined) parts.push(" budget ", fmtAmount(p.budget));
  if (p.calls !== undefined) parts.push(" calls ", String(p.calls));
  return parts.length ? parts : el("span", { class: "muted" }, "–");
}

/* ---- Live tip ---- */

const tip = { height: -1, hash: "", info: null, listeners: new Set(), failed: false };

async function pollTip() {
  try {
    const info = await rest("chaininfo.json");
    tip.failed = false;
    const changed = info.bestblockhash !== tip.hash;
    tip.info = info;
    tip.height = info.blocks;
    tip.hash = info.bestblockhash;
    setStatus("Live · height " + fmtInt(info.blocks) + " · " + info.chain + " · updated " + new Date().toLocaleTimeString());
    for (const f of Array.from(tip.listeners)) f(info, changed);
  } catch (e) {
    tip.failed = true;
    setStatus("The node does not answer: " + e.message, true);
  }
}

function setStatus(text, bad) {
  const s = document.getElementById("status");
  if (!s) return;
  s.textContent = text;
  s.className = bad ? "bad" : "muted";
}

/* ---- Router ---- */

const main = () => document.getElementById("main");
let routeSeq = 0;
let pageListener = null;

function setPage(nodes) {
  const m = main();
  m.replaceChildren(...[].concat(nodes));
}

async function route() {
  const seq = ++routeSeq;
  if (pageListener) tip.listeners.delete(pageListener);
  pageListener = null;
  let h = (location.hash || "#/").slice(1);
  try {
    h = decodeURIComponent(h);
  } catch (e) {
    /* A malformed %-escape: route on the text as it is. */
  }
  const parts = h.split("/").filter((x) => x !== "");
  const page = parts[0] || "";
  const arg = parts[1];
  document.querySelectorAll("header nav a").forEach((a) => {
    const target = a.getAttribute("href").slice(2);
    a.classList.toggle("on", target === page || (target === "" && page === ""));
  });
  const pages = {
    "": () => overview,
    block: () => (s) => blockPage(arg, s),
    height: () => (s) => heightPage(arg, s),
    tx: () => (s) => txPage(arg, s),
    address: () => (s) => addressPage(arg, Number(parts[3] || 0), s),
    validators: () => validatorsPage,
    fl: () => (arg ? (s) => flTaskPage(arg, s) : flListPage),
    arena: () => (arg ? (s) => arenaTaskPage(arg, s) : arenaListPage),
    market: () => (arg ? (s) => marketModelPage(arg, s) : marketListPage),
    search: () => (s) => searchPage(parts.slice(1).join("/"), s),
  };
  const make = pages[page];
  if (!make) {
    setPage(card("Not found", el("p", null, "No such page. ", link("#/", "Back to the overview"))));
    return;
  }
  const render = make();
  const live = ["", "validators", "fl", "arena", "market", "address"].includes(page);
  const first = el("p", { class: "muted" }, "Loading…");
  setPage(first);
  let busy = false;
  const run = async () => {
    if (busy) return;
    busy = true;
    try {
      const nodes = await render(seq);
      if (seq === routeSeq && nodes) setPage(nodes);
    } catch (e) {
      if (seq === routeSeq) setPage(card(null, errorBox(e)));
    } finally {
      busy = false;
    }
  };
  await run();
  if (live && seq === routeSeq) {
    pageListener = (info, changed) => {
      /* The overview also follows the mempool between blocks. */
      if (changed || page === "") run();
    };
    tip.listeners.add(pageListener);
  }
  window.scrollTo(0, 0);
}

/* ---- Overview ---- */

async function overview() {
  const info = tip.info || (await rest("chaininfo.json"));
  const [mempool, validators] = await Promise.all([rest("mempool/info.json"), rest("validators.json")]);
  /* The whole pool is one answer: listed only while it is small. */
  // contents.json answers 413 above 1000 transactions: the pool may have grown since info.
  const mempoolTxs = mempool.size <= MEMPOOL_LIST_MAX ? await rest("mempool/contents.json").catch((e) => {
    if (e instanceof RestError && e.status === 413) return null;
    throw e;
  }) : null;
  const height = info.blocks;
  const from = Math.max(0, height - LATEST_BLOCKS + 1);
  const fromHash = (await rest("blockhashbyheight/" + from + ".json")).blockhash;
  const headers = (await rest("headers/" + LATEST_BLOCKS + "/" + fromHash + ".json")).reverse();
  const txs = [];
  for (const hd of headers) {
    if (txs.length >= LATEST_TXS) break;
    if (!hd.nTx) continue;
    const b = await cachedBlock(hd.hash);
    for (const tx of b.tx.slice().reverse()) {
      if (txs.length >= LATEST_TXS) break;
      tx._height = b.height;
      tx._time = b.time;
      txs.push(tx);
    }
  }
  const active = validators.filter((v) => v.status === "active");
  const eligible = validators.filter((v) => v.eligible);
  const totalStake = eligible.reduce((a, v) => a + Number(v.total_stake), 0);
  const final = Math.max(0, height - info.finality_depth);

  const stats = el("div", { class: "stats" },
    stat("Height", fmtInt(height), "height"),
    stat("Best block", blockLink(info.bestblockhash, short(info.bestblockhash, 8)), "bestblockhash"),
    stat("Last block", fmtAgo(info.time), "tiptime"),
    stat("Final up to", fmtInt(final), "final", "finality depth " + info.finality_depth),
    stat("Validators", active.length + " active", "validators", fmtAmount(totalStake) + " eligible stake"),
    stat("Mempool", fmtInt(mempool.size) + " tx", "mempool", fmtInt(mempool.bytes || 0) + " bytes"),
    stat("Supply", fmtAmount(info.supply), "supply"),
    stat("Chain", info.chain + (info.initialblockdownload ? " (syncing)" : ""), "chain",
      "progress " + fmtPct(Number(info.verificationprogress || 0))));

  const blocks = table([
    ["Height", (b) => heightLink(b.height)],
    ["Hash", (b) => blockLink(b.hash)],
    ["Time", (b) => el("span", { title: fmtTime(b.time) }, fmtAgo(b.time))],
    ["Proposer", (b) => addrLink(b.proposer, false, 9)],
    ["Txs", (b) => String(b.nTx), "num"],
  ], headers, "No blocks.", { id: "latest-blocks" });

  const txTable = table([
    ["Txid", (t) => txLink(t.txid)],
    ["Type", (t) => badge(typeLabel(t.type))],
    ["What", (t) => txSummary(t)],
    ["Block", (t) => heightLink(t._height), "num"],
  ], txs, "No transactions in the last " + LATEST_BLOCKS + " blocks.", { id: "latest-txs" });

  const pool = mempoolTxs ? Object.keys(mempoolTxs).slice(0, 10).map((k) => Object.assign({ txid: k }, mempoolTxs[k])) : [];
  const poolTable = !mempoolTxs ? el("p", { class: "muted" }, fmtInt(mempool.size) + " transactions waiting: too many to list here.") : table([
    ["Txid", (t) => txLink(t.txid)],
    ["Type", (t) => badge(typeLabel(t.type || "?"))],
    ["Sender", (t) => addrLink(t.sender)],
    ["Fee", (t) => fmtAmount(t.fee), "num"],
  ], pool, "The mempool is empty.", { id: "mempool-txs" });

  return [
    stats,
    el("div", { class: "cols" },
      card("Latest blocks", blocks),
      card("Latest transactions", txTable)),
    card("Mempool", poolTable),
  ];
}

/* Blocks by hash (a hash names one block forever), the latest few. */
const blockCache = new Map();
async function cachedBlock(hash) {
  if (!blockCache.has(hash)) {
    blockCache.set(hash, await rest("block/" + hash + ".json"));
    while (blockCache.size > 4 * LATEST_BLOCKS) blockCache.delete(blockCache.keys().next().value);
  }
  return blockCache.get(hash);
}

function stat(label, value, key, sub) {
  return el("div", { class: "stat" }, el("div", { class: "label" }, label),
    el("div", { class: "value", "data-k": key }, value), sub ? el("div", { class: "sub" }, sub) : null);
}

/* ---- Block ---- */

async function heightPage(h) {
  if (!/^\d{1,10}$/.test(h || "")) throw new RestError(400, "Not a height: " + h);
  const r = await rest("blockhashbyheight/" + h + ".json");
  location.replace("#/block/" + r.blockhash);
  return null;
}

async function blockPage(hash) {
  if (!HEX64.test(hash || "")) throw new RestError(400, "Not a block hash: " + hash);
  const b = await rest("block/" + hash + ".json");
  const head = kv([
    ["Hash", el("span", { class: "mono" }, b.hash), "hash"],
    ["Height", fmtInt(b.height), "height"],
    ["Confirmations", fmtInt(b.confirmations), "confirmations"],
    ["Time", fmtTime(b.time) + " (" + fmtAgo(b.time) + ")", "time"],
    ["Median time", fmtTime(b.mediantime), "mediantime"],
    ["Proposer", addrLink(b.proposer, true), "proposer"],
    ["Slot / epoch", fmtInt(b.slot) + " / " + fmtInt(b.epoch), "slot"],
    ["Transactions", String(b.nTx), "nTx"],
    ["Size", fmtInt(b.size) + " bytes", "size"],
    ["Version", String(b.version), "version"],
    ["Previous block", b.previousblockhash ? blockLink(b.previousblockhash, b.previousblockhash) : "–", "previousblockhash"],
    ["Next block", b.nextblockhash ? blockLink(b.nextblockhash, b.nextblockhash) : el("span", { class: "muted" }, "none yet (tip)"), "nextblockhash"],
    ["Merkle root", el("span", { class: "mono" }, b.merkleroot), "merkleroot"],
    ["State root", el("span", { class: "mono" }, b.stateroot), "stateroot"],
    ["RANDAO reveal", el("span", { class: "mono" }, b.randao_reveal), "randao_reveal"],
    ["Signature", el("span", { class: "mono wrap" }, b.signature), "signature"],
  ]);
  const txs = table([
    ["#", (t) => String(b.tx.indexOf(t)), "num"],
    ["Txid", (t) => txLink(t.txid)],
    ["Type", (t) => badge(typeLabel(t.type))],
    ["Sender", (t) => addrLink(t.sender)],
    ["What", (t) => txSummary(t)],
    ["Fee", (t) => fmtAmount(t.fee), "num"],
  ], b.tx, "No transactions.", { id: "block-txs" });
  return [
    el("h1", null, "Block ", el("span", { class: "dim" }, "#" + fmtInt(b.height))),
    card("Header", head),
    card("Transactions (" + b.nTx + ")", txs),
  ];
}

/* ---- Transaction ---- */

const AMOUNT_KEYS = ["amount", "fee", "stake", "budget", "price", "base_price", "min_stake", "bond", "value"];

async function txPage(txid) {
  if (!HEX64.test(txid || "")) throw new RestError(400, "Not a txid: " + txid);
  const t = await rest("tx/" + txid + ".json");
  const inBlock = !!t.blockhash;
  const fields = kv([
    ["Txid", el("span", { class: "mono" }, t.txid), "txid"],
    ["Status", inBlock ? [stateBadge("confirmed"), " ", fmtInt(t.confirmations), " confirmations"] : badge("in mempool", "warn"), "status"],
    ["Type", badge(typeLabel(t.type)), "type"],
    ["Block", inBlock ? blockLink(t.blockhash, t.blockhash) : "–", "blockhash"],
    ["Time", inBlock ? fmtTime(t.blocktime) + " (" + fmtAgo(t.blocktime) + ")" : "–", "time"],
    ["Sender", addrLink(t.sender, true), "sender"],
    ["Nonce", String(t.nonce), "nonce"],
    ["Fee", fmtAmount(t.fee), "fee"],
    ["Size", fmtInt(t.size) + " bytes", "size"],
    ["Version", String(t.version), "version"],
    ["Signature", el("span", { class: "mono wrap" }, t.signature || "–"), "signature"],
  ]);
  const known = new Set(["txid", "type", "blockhash", "blocktime", "time", "confirmations", "sender", "nonce", "fee", "size", "version", "signature", "payload", "hex"]);
  const extra = Object.keys(t).filter((k) => !known.has(k));
  const ctx = { type: t.type, amounts: AMOUNT_KEYS };
  return [
    el("h1", null, "Transaction ", el("span", { class: "dim mono" }, short(t.txid, 12))),
    card("Summary", el("p", { class: "summary" }, badge(typeLabel(t.type)), " ", txSummary(t)), fields,
      extra.length ? kv(extra.map((k) => [k, valueNode(t[k], k, ctx)])) : null),
    card("Payload: " + typeLabel(t.type), el("div", { id: "payload" }, t.payload ? valueNode(t.payload, "payload", ctx) : el("p", { class: "muted" }, "No payload."))),
    card("Raw", el("details", null, el("summary", null, "Serialized transaction (" + (t.hex ? t.hex.length / 2 : 0) + " bytes)"),
      el("pre", { class: "mono wrap" }, t.hex || ""))),
  ];
}

/* ---- Address ---- */

async function addressPage(addr, skip) {
  if (!ADDRESS.test(addr || "") && !/^[A-Za-z0-9]{8,100}$/.test(addr || "")) throw new RestError(400, "Not an address: " + addr);
  if (!Number.isInteger(skip) || skip < 0) skip = 0;
  const [acct, validators] = await Promise.all([rest("account/" + addr + ".json"), rest("validators.json")]);
  const v = validators.find((x) => x.address === addr);
  let hist = null;
  let histErr = null;
  try {
    hist = await rest("address/" + addr + "/history.json?skip=" + skip + "&count=" + HISTORY_PAGE);
  } catch (e) {
    histErr = e;
  }
  const rows = [
    ["Address", el("span", { class: "mono" }, addr), "address"],
    ["Balance", fmtAmount(acct.balance), "balance"],
    ["Nonce", String(acct.nonce) + (acct.next_nonce !== undefined && acct.next_nonce !== acct.nonce ? " (next " + acct.next_nonce + " with the mempool)" : ""), "nonce"],
  ];
  for (const k of Object.keys(acct)) {
    if (!["address", "balance", "nonce", "next_nonce"].includes(k)) rows.push([k, valueNode(acct[k], k, { amounts: AMOUNT_KEYS.concat(["staked", "unbonding", "delegated"]) }), k]);
  }
  if (v) {
    rows.push(["Validator", [stateBadge(v.status), " self stake ", fmtAmount(v.self_stake), ", delegated ", fmtAmount(v.delegated)], "validator"]);
    rows.push(["Stake", fmtAmount(v.total_stake), "stake"]);
  }
  let histNode;
  if (histErr && histErr.status === 404) {
    histNode = el("p", { class: "muted", id: "history-disabled" }, "address index disabled (-addressindex=1)");
  } else if (histErr) {
    throw histErr;
  } else {
    const entries = hist.entries || [];
    const pager = el("div", { class: "pager" },
      skip > 0 ? link("#/address/" + enc(addr) + "/skip/" + Math.max(0, skip - HISTORY_PAGE), "← Newer") : el("span", { class: "muted" }, "← Newer"),
      el("span", { "data-k": "history-range" }, entries.length ? (skip + 1) + "–" + (skip + entries.length) + " of " + fmtInt(hist.total) : "0 of " + fmtInt(hist.total)),
      skip + entries.length < hist.total ? link("#/address/" + enc(addr) + "/skip/" + (skip + HISTORY_PAGE), "Older →") : el("span", { class: "muted" }, "Older →"));
    histNode = [
      table([
        ["Height", (e) => heightLink(e.height)],
        ["Time", (e) => el("span", { title: fmtTime(e.time) }, fmtAgo(e.time))],
        ["What", (e) => badge(typeLabel(e.type))],
        ["Transaction", (e) => (e.txid ? txLink(e.txid) : el("span", { class: "muted" }, "block rule"))],
        ["Change", (e) => el("span", { class: Number(e.balance_change) < 0 ? "neg" : "pos" }, fmtSigned(e.balance_change)), "num"],
        ["Balance", (e) => fmtAmount(e.balance), "num"],
        ["Stake change", (e) => (Number(e.stake_change) ? fmtSigned(e.stake_change) : ""), "num"],
      ], entries, "No history.", { id: "history" }),
      pager,
    ];
    rows.push(["History entries", fmtInt(hist.total), "history-total"]);
  }
  return [
    el("h1", null, "Address"),
    card("Account", kv(rows)),
    card("History", histNode),
  ];
}

/* ---- Validators ---- */

async function validatorsPage() {
  const vs = await rest("validators.json");
  const eligible = vs.filter((v) => v.eligible);
  const total = eligible.reduce((a, v) => a + Number(v.total_stake), 0);
  const proposed = vs.reduce((a, v) => a + Number(v.blocks_proposed || 0), 0);
  const rows = vs.slice().sort((a, b) => Number(b.total_stake) - Number(a.total_stake));
  return [
    el("h1", null, "Validators"),
    el("div", { class: "stats" },
      stat("Validators", String(vs.length), "count", vs.filter((v) => v.status === "active").length + " active"),
      stat("Eligible stake", fmtAmount(total), "eligible-stake"),
      stat("Blocks proposed", fmtInt(proposed), "proposed")),
    card("Stake and schedule", el("p", { class: "muted" },
      "Schedule share: a validator's stake over the eligible stake, the chance it leads a slot. Observed: its share of the blocks proposed so far."),
    table([
      ["Address", (v) => addrLink(v.address)],
      ["Status", (v) => [stateBadge(v.status), v.eligible ? "" : [" ", badge("not eligible", "warn")]]],
      ["Self stake", (v) => fmtAmount(v.self_stake), "num"],
      ["Delegated", (v) => fmtAmount(v.delegated), "num"],
      ["Total stake", (v) => fmtAmount(v.total_stake), "num stake"],
      ["Commission", (v) => fmtBps(v.commission_bps), "num"],
      ["Schedule share", (v) => (v.eligible && total > 0 ? shareBar(Number(v.total_stake) / total) : "–"), "share"],
      ["Observed", (v) => (proposed ? fmtPct(Number(v.blocks_proposed) / proposed) : "–"), "num"],
      ["Blocks", (v) => fmtInt(v.blocks_proposed), "num"],
      ["Earned", (v) => fmtAmount(v.earned), "num"],
    ], rows, "No validators.", { id: "validators" })),
  ];
}

function shareBar(x) {
  const bar = el("span", { class: "bar" }, el("span", { class: "fill" }));
  bar.firstChild.style.width = Math.max(0, Math.min(100, x * 100)).toFixed(1) + "%";
  return el("span", { class: "share" }, bar, " ", fmtPct(x));
}

/* ---- FL ---- */

async function flListPage() {
  const tasks = await rest("fl/tasks.json");
  return [
    el("h1", null, "Federated learning tasks"),
    card(null, table([
      ["Task", (t) => flLink(t.task)],
      ["State", (t) => stateBadge(t.state)],
      ["Round", (t) => t.round + " / " + t.rounds, "num"],
      ["Model", (t) => String(t.model)],
      ["Participants", (t) => t.active + " active / " + t.participants, "num"],
      ["Budget", (t) => fmtAmount(t.budget), "num"],
      ["Left", (t) => fmtAmount(t.budget_left), "num"],
      ["Creator", (t) => addrLink(t.creator)],
      ["Created", (t) => heightLink(t.created_height)],
    ], tasks, "No FL task yet.", { id: "fl-tasks" })),
  ];
}

/* The rounds a reader opened or closed on a task's page, by task. */
const openRounds = new Map();

/* Closed rounds' published metrics, by "task/round" (a round's votes do
 * not change once it is closed). */
const metricCache = new Map();

/* The mean metric the voters revealed on the round's accepted updates (on
 * every update when none was accepted), read from the round's vote-reveal
 * transactions in the blocks of its reveal window.  null: none published. */
async function roundMetric(task, r) {
  const key = task + "/" + r.round;
  if (metricCache.has(key)) return metricCache.get(key);
  const w = r.windows;
  if (!w || tip.height < w.reveal_start) return null;
  const accepted = new Set(r.proposers.filter((p) => p.status === "accepted").map((p) => p.address));
  const order = r.revealed_order || [];
  const vals = [];
  const end = Math.min(w.reveal_end, tip.height);
  for (let h = w.reveal_start; h <= end; h++) {
    const bh = (await rest("blockhashbyheight/" + h + ".json")).blockhash;
    const b = await rest("block/" + bh + ".json");
    for (const tx of b.tx) {
      if (tx.type !== "fl_vote_reveal" || !tx.payload || tx.payload.task !== task || tx.payload.round !== r.round) continue;
      (tx.payload.verdicts || []).forEach((v, i) => {
        const m = Number(v.metric);
        if (Number.isFinite(m) && (accepted.size === 0 || accepted.has(order[i]))) vals.push(m);
      });
    }
  }
  const any = vals.some((x) => x !== 0);
  const result = any ? { mean: vals.reduce((a, x) => a + x, 0) / vals.length, n: vals.length } : null;
  if (r.phase === "closed") metricCache.set(key, result);
  return result;
}

function chart(points, opts) {
  const W = 640, H = 240, L = 48, R = 16, T = 16, B = 36;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  let ymin = Math.min(...ys), ymax = Math.max(...ys);
  if (ymin >= 0 && ymax <= 1) { ymin = Math.min(ymin, Math.max(0, Math.floor((ymin - 0.05) * 10) / 10)); ymax = Math.min(1, Math.ceil((ymax + 0.02) * 10) / 10); }
  if (ymax - ymin < 1e-9) { ymin -= 0.05; ymax += 0.05; }
  const xmin = Math.min(...xs), xmax = Math.max(...xs);
  const sx = (x) => L + (xmax === xmin ? (W - L - R) / 2 : ((x - xmin) / (xmax - xmin)) * (W - L - R));
  const sy = (y) => T + (1 - (y - ymin) / (ymax - ymin)) * (H - T - B);
  const g = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img", "aria-label": opts.title });
  g.appendChild(svg("title", {}, opts.title));
  for (let i = 0; i <= 4; i++) {
    const y = ymin + ((ymax - ymin) * i) / 4;
    g.appendChild(svg("line", { x1: L, x2: W - R, y1: sy(y), y2: sy(y), class: "grid" }));
    g.appendChild(svg("text", { x: L - 6, y: sy(y) + 4, class: "tick", "text-anchor": "end" }, y.toFixed(3)));
  }
  for (const x of xs) g.appendChild(svg("text", { x: sx(x), y: H - B + 16, class: "tick", "text-anchor": "middle" }, String(x)));
  g.appendChild(svg("text", { x: (L + W - R) / 2, y: H - 4, class: "axis", "text-anchor": "middle" }, opts.xlabel));
  g.appendChild(svg("polyline", { points: points.map((p) => sx(p.x) + "," + sy(p.y)).join(" "), class: "line" }));
  for (const p of points) {
    const c = svg("circle", { cx: sx(p.x), cy: sy(p.y), r: 4, class: "dot", "data-round": p.x, "data-value": p.y });
    c.appendChild(svg("title", {}, opts.xlabel + " " + p.x + ": " + p.y.toFixed(4)));
    g.appendChild(c);
  }
  return g;
}

async function flTaskPage(task) {
  if (!HEX64.test(task || "")) throw new RestError(400, "Not a task id: " + task);
  const t = await rest("fl/task/" + task + ".json");
  const last = Math.min(t.round, t.rounds);
  const ids = [];
  for (let i = 1; i <= last; i++) ids.push(i);
  const rounds = await Promise.all(ids.map((i) => rest("fl/round/" + task + "/" + i + ".json")));
  const metrics = [];
  for (const r of rounds) metrics.push(await roundMetric(task, r));

  const w = t.windows;
  const head = kv([
    ["Task", el("span", { class: "mono" }, t.task), "task"],
    ["State", [stateBadge(t.state), " phase ", el("b", null, typeLabel(t.phase))], "state"],
    ["Round", t.round + " of " + t.rounds, "round"],
    ["Creator", addrLink(t.creator, true), "creator"],
    ["Created", [heightLink(t.created_height), " · joins ", t.join_start + "–" + t.join_end], "created"],
    ["Current windows", w ? "submit " + w.submit_start + "–" + w.submit_end + " · update reveal " + w.update_reveal_start + "–" + w.update_reveal_end +
      " · vote commit " + w.commit_start + "–" + w.commit_end + " · vote reveal " + w.reveal_start + "–" + w.reveal_end : "–", "windows"],
    ["Model", t.model.kind + " " + JSON.stringify(t.model.sizes) + " · " + t.model.parameters + " parameters · last changed in round " + t.model_round, "model"],
    ["Model hash", el("span", { class: "mono" }, t.model_hash), "model_hash"],
    ["Aggregator", String(t.aggregator) + " · " + t.proposer_slots + " proposer slots · slash " + fmtBps(t.slash_bps) + " · voters' reward " + fmtBps(t.voter_reward_bps), "aggregator"],
    ["Participants", t.active + " active (" + t.min_participants + "–" + t.max_participants + ", min stake " + fmtAmount(t.min_stake) + ")", "participants"],
    ["Budget", fmtAmount(t.budget) + " · burned " + fmtAmount(t.burn) + " · left " + fmtAmount(t.budget_left), "budget"],
    ["Paid", "rewards " + fmtAmount(t.rewards_paid) + " · matched " + fmtAmount(t.matched) + " · slashed " + fmtAmount(t.slashed) + " · returned " + fmtAmount(t.returned_to_creator), "paid"],
  ]);

  const pts = [];
  rounds.forEach((r, i) => { if (metrics[i]) pts.push({ x: r.round, y: metrics[i].mean }); });
  const chartCard = card("Accuracy per round",
    pts.length ? [chart(pts, { title: "Accuracy per round", xlabel: "round" }),
      el("p", { class: "muted" }, "Mean metric the voters revealed on each round's accepted updates (their fl_vote_reveal transactions).")]
      : el("p", { class: "muted", id: "no-accuracy" }, rounds.length ? "This task publishes no accuracy: its votes carry no metric." : "No round has started yet."));
  if (pts.length) chartCard.id = "accuracy";

  const roundsTable = table([
    ["Round", (r) => String(r.round), "num"],
    ["Phase", (r) => typeLabel(r.phase)],
    ["Outcome", (r) => stateBadge(r.outcome)],
    ["Updates", (r) => r.update_reveals + " / " + r.update_commits + " revealed", "num"],
    ["Votes", (r) => r.vote_reveals + " / " + r.vote_commits + " revealed", "num"],
    ["Accepted", (r) => String(r.accepted), "num"],
    ["Reward", (r) => fmtAmount(r.reward), "num"],
    ["Slashed", (r) => fmtAmount(r.slashed), "num"],
    ["Accuracy", (r) => { const m = metrics[rounds.indexOf(r)]; return m ? m.mean.toFixed(4) : "–"; }, "num"],
    ["Ended", (r) => (r.end_height ? heightLink(r.end_height) : "–")],
  ], rounds.slice().reverse(), "No round yet.", { id: "fl-rounds" });

  const roundCards = rounds.slice().reverse().map((r) => {
    const everyone = r.proposers.map((p) => Object.assign({ role: "proposer" }, p)).concat(r.voters.map((v) => Object.assign({ role: "voter" }, v)));
    const open = openRounds.has(task) ? openRounds.get(task).has(r.round) : r.round === last;
    const d = el("details", { class: "round", open: open ? "" : null },
      el("summary", null, "Round " + r.round + " · " + typeLabel(r.outcome) + " · " + typeLabel(r.phase)),
      table([
        ["Participant", (p) => addrLink(p.address)],
        ["Role", (p) => p.role + (p.slots ? " (" + p.slots + " slots)" : "")],
        ["Stake", (p) => fmtAmount(p.stake), "num"],
        ["Update", (p) => (p.role === "proposer" ? [stateBadge(p.status), p.tally !== undefined ? " tally " + fmtAmount(p.tally) : ""] : "–")],
        ["Vote", (p) => (p.vote_revealed ? "revealed" : p.vote_committed ? "committed" : "none")],
        ["Verdicts", (p) => (p.verdicts ? p.verdicts.map((v) => (v.verdict > 0 ? "+" : "−") + " " + short(v.proposer, 6) + " (" + v.metric + ")").join(", ") : p.n_verdicts ? p.agree + " / " + p.n_verdicts + " agree" : "–")],
        ["Reward", (p) => fmtAmount(p.reward), "num"],
        ["Slashed", (p) => (Number(p.slashed) ? fmtAmount(p.slashed) : ""), "num"],
      ], everyone, "No participant."));
    d.addEventListener("toggle", () => {
      /* Kept across the live re-renders of the page. */
      if (!openRounds.has(task)) openRounds.set(task, new Set([last]));
      const set = openRounds.get(task);
      if (d.open) set.add(r.round);
      else set.delete(r.round);
    });
    return d;
  });

  return [
    el("h1", null, "FL task ", el("span", { class: "dim mono" }, short(t.task, 12))),
    card("Task", head),
    chartCard,
    card("Rounds", roundsTable),
    card("Votes per round", roundCards.length ? roundCards : el("p", { class: "muted" }, "No round yet.")),
    card("Participants", table([
      ["Address", (p) => addrLink(p.address)],
      ["Status", (p) => stateBadge(p.status)],
      ["Stake", (p) => fmtAmount(p.stake), "num"],
      ["Joined", (p) => heightLink(p.joined_height)],
      ["Accepted updates", (p) => String(p.accepted_updates), "num"],
      ["Rounds as proposer / voter", (p) => p.rounds_proposer + " / " + p.rounds_voter, "num"],
      ["Rewards", (p) => fmtAmount(p.rewards), "num"],
      ["Slashed", (p) => fmtAmount(p.slashed), "num"],
    ], t.participants, "Nobody joined yet.", { id: "fl-participants" })),
  ];
}

/* ---- Arena ---- */

async function arenaListPage() {
  const tasks = await rest("arena/tasks.json");
  return [
    el("h1", null, "Arena tasks"),
    card(null, table([
      ["Task", (t) => arenaLink(t.task)],
      ["State", (t) => stateBadge(t.state)],
      ["Budget", (t) => fmtAmount(t.budget), "num"],
      ["Trainers", (t) => String(t.n_trainers), "num"],
      ["Validators", (t) => String(t.n_validators), "num"],
      ["Submit until", (t) => String(t.submit_end), "num"],
      ["Settles at", (t) => String(t.settle_height), "num"],
      ["Creator", (t) => addrLink(t.creator)],
    ], tasks, "No Arena task yet.", { id: "arena-tasks" })),
  ];
}

async function arenaTaskPage(task) {
  if (!HEX64.test(task || "")) throw new RestError(400, "Not a task id: " + task);
  const t = await rest("arena/task/" + task + ".json");
  const p = t.params || {};
  const w = t.windows || {};
  const pool = t.pool || {};
  const byRank = (a, b) => (a.rank === null || a.rank === undefined) - (b.rank === null || b.rank === undefined) || (a.rank || 0) - (b.rank || 0);
  const trainers = (t.operators || []).filter((o) => o.role === "trainer").sort(byRank);
  const validators = (t.operators || []).filter((o) => o.role === "validator");
  const board = t.results
    ? table([
      ["Rank", (r) => String(r.rank), "num"],
      ["Trainer", (r) => addrLink(r.address)],
      ["Loss", (r) => String(r.loss), "num"],
      ["Reward", (r) => { const o = trainers.find((x) => x.address === r.address); return o ? fmtAmount(o.reward) : "–"; }, "num"],
    ], t.results.slice().sort((a, b) => a.rank - b.rank || a.seq - b.seq), "No ranked submission.", { id: "leaderboard" })
    : el("p", { class: "muted" }, "The leaderboard appears at settlement (height " + (w.settle_height || "?") + "). " + (t.submissions || []).length + " scoreable submissions so far.");
  return [
    el("h1", null, "Arena task ", el("span", { class: "dim mono" }, short(t.task, 12))),
    card("Task", kv([
      ["Task", el("span", { class: "mono" }, t.task), "task"],
      ["State", [stateBadge(t.state), " phase ", el("b", null, typeLabel(t.phase))], "state"],
      ["Creator", addrLink(t.creator, true), "creator"],
      ["Model", p.model ? p.model.kind + " " + JSON.stringify(p.model.sizes) + " · loss " + p.loss : "–", "model"],
      ["Windows", "submit " + w.submit_start + "–" + w.submit_end + " · reveal to " + w.reveal_end + " · sets to " + w.sets_end + " · scores to " + w.score_commit_end + " · settle " + w.settle_height, "windows"],
      ["Pool", "budget " + fmtAmount(pool.budget) + " · burned " + fmtAmount(pool.burn) + " · match " + fmtAmount(pool.match) + " · paid " + fmtAmount(pool.paid) + " · vesting " + fmtAmount(pool.vest_pending), "pool"],
      ["Operators", t.n_trainers + " trainers · " + t.n_validators + " validators · " + t.n_commits + " commits", "operators"],
    ])),
    card("Leaderboard", board),
    card("Trainers", table([
      ["Address", (o) => addrLink(o.address)],
      ["Stake", (o) => fmtAmount(o.stake_snapshot !== undefined ? o.stake_snapshot : o.own_stake), "num"],
      ["Committed", (o) => (o.committed ? "yes" : "no")],
      ["Revealed", (o) => (o.revealed ? "yes" : "no")],
      ["Loss", (o) => (o.loss === undefined || o.loss === null ? "–" : String(o.loss)), "num"],
      ["Rank", (o) => (o.rank === undefined || o.rank === null ? "–" : String(o.rank)), "num"],
      ["Reward", (o) => fmtAmount(o.reward), "num"],
    ], trainers, "No trainer.")),
    card("Validators", table([
      ["Address", (o) => addrLink(o.address)],
      ["Stake", (o) => fmtAmount(o.stake_snapshot !== undefined ? o.stake_snapshot : o.own_stake), "num"],
      ["Scores", (o) => (o.scores_revealed ? "revealed" : o.scores_committed ? "committed" : "none")],
      ["Deviation", (o) => (o.deviation_bps === undefined ? "–" : fmtBps(o.deviation_bps)), "num"],
      ["Reward", (o) => fmtAmount(o.reward), "num"],
      ["Slashed", (o) => fmtAmount(o.slashed), "num"],
    ], validators, "No validator.")),
  ];
}

/* ---- Market ---- */

async function marketListPage() {
  const models = await rest("market/models.json");
  return [
    el("h1", null, "Market models"),
    card(null, table([
      ["#", (m) => String(m.seq), "num"],
      ["Name", (m) => marketLink(m.model, m.name || short(m.model))],
      ["Source", (m) => String(m.source)],
      ["Owner", (m) => addrLink(m.owner)],
      ["Price per call", (m) => fmtAmount(m.price), "num"],
      ["Demand ×", (m) => String(m.mult), "num"],
      ["Calls", (m) => fmtInt(m.calls), "num"],
      ["Published", (m) => heightLink(m.published_height)],
    ], models, "No model published yet.", { id: "market-models" })),
  ];
}

async function marketModelPage(model) {
  if (!HEX64.test(model || "")) throw new RestError(400, "Not a model id: " + model);
  const m = await rest("market/model/" + model + ".json");
  const src = m.source === "fl" && m.source_id ? flLink(m.source_id) : m.source === "arena" && m.source_id ? arenaLink(m.source_id) : null;
  const u = m.usage || {};
  const rv = m.revenue || {};
  return [
    el("h1", null, "Model ", el("span", { class: "dim" }, m.name || short(m.model))),
    card("Model", kv([
      ["Model", el("span", { class: "mono" }, m.model), "model"],
      ["Name", m.name, "name"],
      ["Owner", addrLink(m.owner, true), "owner"],
      ["Published", heightLink(m.published_height), "published"],
      ["Source", [String(m.source), src ? [" · ", src] : ""], "source"],
      ["Spec", m.spec ? m.spec.kind + " " + JSON.stringify(m.spec.sizes) + " · " + m.spec.parameters + " parameters" : "composite (" + m.mode + ")", "spec"],
      ["Components", (m.components || []).length ? m.components.map((c, i) => [i ? ", " : "", marketLink(c)]) : "–", "components"],
    ])),
    card("Price and usage", kv([
      ["Price per call", fmtAmount(m.price) + " (block " + m.price_height + ")", "price"],
      ["Base price", fmtAmount(m.base_price) + " · target " + m.target + " calls per block", "base"],
      ["Demand multiplier", String(m.multiplier), "multiplier"],
      ["Calls", fmtInt(u.calls) + " in all · " + fmtInt(u.block_calls) + " in the tip block", "calls"],
      ["Revenue", "own fees " + fmtAmount(rv.own_fees) + " · creator " + fmtAmount(rv.creator) + " · data " + fmtAmount(rv.data) + " · providers " + fmtAmount(rv.provider) + " · burned " + fmtAmount(rv.burned), "revenue"],
      ["Split", m.split ? "creator " + fmtBps(m.split.creator) + " · data " + fmtBps(m.split.data) + " · provider " + fmtBps(m.split.provider) : "–", "split"],
    ])),
    card("Lineage", valueNode(m.lineage, "lineage", { type: "market_" })),
  ];
}

/* ---- Search ---- */

async function searchPage(q) {
  q = (q || "").trim();
  if (/^\d{1,10}$/.test(q)) {
    location.replace("#/height/" + q);
    return null;
  }
  if (HEX64.test(q)) {
    const h = q.toLowerCase();
    const tries = [["block/notxdetails/" + h + ".json", "#/block/"], ["tx/" + h + ".json", "#/tx/"],
      ["fl/task/" + h + ".json", "#/fl/"], ["arena/task/" + h + ".json", "#/arena/"], ["market/model/" + h + ".json", "#/market/"]];
    for (const [path, page] of tries) {
      try {
        await rest(path);
        location.replace(page + h);
        return null;
      } catch (e) {
        if (e.status !== 404) throw e;
      }
    }
    return card("Search", el("p", null, "No block, transaction, task or model ", el("span", { class: "mono" }, q), " is known to this node."));
  }
  if (/^[A-Za-z0-9]{8,100}$/.test(q)) {
    location.replace("#/address/" + q);
    return null;
  }
  return card("Search", el("p", null, "Enter a height, a block hash, a txid or an address."));
}

/* ---- Start ---- */

function start() {
  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = document.getElementById("q").value.trim();
    if (q) location.hash = "#/search/" + encodeURIComponent(q);
  });
  window.addEventListener("hashchange", route);
  pollTip().then(route);
  setInterval(pollTip, POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
