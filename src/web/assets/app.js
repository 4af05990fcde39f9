/* Strata's web UI: a page per /app/… address, drawn from the JSON:API the CLI uses. Every value
 * reaches the page as text (textContent, never HTML), and every change carries the session's
 * CSRF token. */
"use strict";

const state = { user: null, csrf: "" };
const main = () => document.getElementById("main");

/* -- DOM: h("tag", {attr: value, onclick: fn}, children…); strings become text nodes -- */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(...nodes) {
  const m = main();
  m.replaceChildren(...nodes.filter((x) => x !== null && x !== undefined));
  const title = m.querySelector("h1");
  document.title = title ? `${title.textContent} · Strata` : "Strata";
}

function link(href, text) {
  return h("a", { href, onclick: (e) => { e.preventDefault(); go(href); } }, text);
}

function go(path) {
  history.pushState(null, "", path);
  route();
}

/* -- the API -- */
class ApiError extends Error {
  constructor(status, detail) { super(detail || `HTTP ${status}`); this.status = status; }
}

async function api(method, path, body) {
  const headers = { Accept: "application/vnd.api+json" };
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/vnd.api+json";
  const r = await fetch(path, { method, headers, credentials: "same-origin",
                                body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 204) return null;
  const text = await r.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
  if (!r.ok) {
    const err = doc && doc.errors && doc.errors[0];
    throw new ApiError(r.status, err ? (err.detail || err.title) : text);
  }
  return doc;
}

const enc = encodeURIComponent;

function statusBadge(s) {
  const ok = ["applied", "planned_and_finished", "planned_and_saved", "discarded"];
  const bad = ["errored", "canceled", "force_canceled"];
  const cls = ok.includes(s) ? "ok" : bad.includes(s) ? "bad" : "busy";
  return h("span", { class: `status ${cls}` }, s ? s.replace(/_/g, " ") : "no runs");
}

/* Who made a run: its source (the client that created it, as TFE records it). */
const SOURCES = {
  "terraform+cloud": "Terraform CLI (cloud block)", terraform: "Terraform CLI (remote backend)",
  "tfe-api": "API", "tfe-ui": "UI", "tfe-configuration-version": "Configuration upload",
  "tfe-run-trigger": "Run trigger",
};
function sourceLabel(s) {
  return SOURCES[s] || s || "—";
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return h("time", { datetime: iso, title: iso }, d.toLocaleString());
}

function errorBox(e) {
  return h("p", { class: "error", role: "alert" }, e.message || String(e));
}

/* -- sign-in -- */
async function loadSession() {
  try {
    const r = await fetch("/session", { credentials: "same-origin" });
    if (r.ok) {
      const s = await r.json();
      state.user = s.user;
      state.csrf = s["csrf-token"];
    } else {
      state.user = null;
    }
  } catch (e) { state.user = null; }
  drawHeader();
}

function drawHeader() {
  const nav = document.getElementById("nav"), who = document.getElementById("who");
  nav.replaceChildren();
  who.replaceChildren();
  if (!state.user) return;
  nav.append(link("/app", "Organizations"), link("/app/settings/tokens", "API tokens"));
  if (state.user["is-admin"]) nav.append(link("/app/admin", "Site admin"));
  who.append(h("span", {}, state.user.username, " "),
             h("button", { class: "link", onclick: signOut }, "Sign out"));
}

async function signOut() {
  await api("DELETE", "/session").catch(() => {});
  state.user = null;
  drawHeader();
  go("/app/login");
}

function loginPage(message) {
  const err = h("p", { class: "error", role: "alert", "aria-live": "assertive" }, message || "");
  const form = h("form", { class: "stack", onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = "";
      // the sign-in CSRF pair: a cookie and the same token in a header, which no other site
      // can send together
      const t = await fetch("/session/token", { credentials: "same-origin" });
      const pair = await t.json().catch(() => ({}));
      const r = await fetch("/session", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": pair["csrf-token"] || "" },
        body: JSON.stringify({ username: form.username.value, password: form.password.value }) });
      const doc = await r.json().catch(() => null);
      if (!r.ok) {
        err.textContent = (doc && doc.errors && doc.errors[0].detail) || "Sign-in failed";
        return;
      }
      state.user = doc.user;
      state.csrf = doc["csrf-token"];
      drawHeader();
      const next = new URLSearchParams(location.search).get("next");
      go(next && next.startsWith("/app/") ? next : "/app");
    } },
    h("label", {}, "Username", h("input", { name: "username", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password",
                                             autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "Sign in"), err);
  show(h("h1", {}, "Sign in to Strata"), form);
  form.username.focus();
}

/* -- organizations and workspaces -- */
async function orgsPage() {
  const doc = await api("GET", "/api/v2/organizations?page%5Bsize%5D=100");
  if (doc.data.length === 1 && !state.user["is-admin"])
    return go(`/app/${enc(doc.data[0].id)}/workspaces`);
  show(h("h1", {}, "Organizations"),
       doc.data.length ? h("ul", {}, doc.data.map((o) => h("li", {},
         link(`/app/${enc(o.id)}/workspaces`, o.id), " · ",
         link(`/app/${enc(o.id)}/registry`, "registry"), " · ",
         link(`/app/${enc(o.id)}/settings`, "settings"))))
         : h("p", { class: "muted" }, "You are in no organization yet."));
}

async function workspacesPage(org) {
  const params = new URLSearchParams(location.search);
  const page = Number(params.get("page") || 1), search = params.get("search") || "";
  const q = new URLSearchParams({ "page[number]": page, "page[size]": 20, include: "current_run" });
  if (search) q.set("search[name]", search);
  const doc = await api("GET", `/api/v2/organizations/${enc(org)}/workspaces?${q}`);
  const runs = {};
  for (const inc of doc.included || []) if (inc.type === "runs") runs[inc.id] = inc;
  const form = h("form", { class: "inline", role: "search", onsubmit: (e) => {
      e.preventDefault();
      go(`/app/${enc(org)}/workspaces?search=${enc(form.search.value)}`);
    } },
    h("label", {}, "Search workspaces", h("input", { name: "search", value: search, type: "search" })),
    h("button", { type: "submit" }, "Search"));
  const rows = doc.data.map((w) => {
    const run = w.relationships["current-run"].data;
    const r = run && runs[run.id];
    return h("tr", {},
      h("td", {}, link(`/app/${enc(org)}/workspaces/${enc(w.attributes.name)}`, w.attributes.name)),
      h("td", {}, statusBadge(r && r.attributes.status)),
      h("td", {}, (w.attributes["tag-names"] || []).map((t) => h("span", { class: "tag" }, t))),
      h("td", {}, w.attributes["execution-mode"]),
      h("td", {}, when(w.attributes["updated-at"])));
  });
  const p = doc.meta.pagination;
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    p["prev-page"] ? link(`/app/${enc(org)}/workspaces?page=${p["prev-page"]}&search=${enc(search)}`, "Previous") : null,
    h("span", {}, `Page ${p["current-page"]} of ${Math.max(1, p["total-pages"])} · ${p["total-count"]} workspaces`),
    p["next-page"] ? link(`/app/${enc(org)}/workspaces?page=${p["next-page"]}&search=${enc(search)}`, "Next") : null);
  show(h("h1", {}, `Workspaces of ${org}`), form,
       h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Latest run", "Tags", "Execution", "Updated"]
         .map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)), pager);
}

async function workspacePage(org, name) {
  const ws = (await api("GET", `/api/v2/organizations/${enc(org)}/workspaces/${enc(name)}`)).data;
  const a = ws.attributes, perms = a.permissions;
  const [runs, vars, svs] = await Promise.all([
    api("GET", `/api/v2/workspaces/${ws.id}/runs?page%5Bsize%5D=10`),
    perms["can-read-variable"] ? api("GET", `/api/v2/workspaces/${ws.id}/vars`) : { data: [] },
    perms["can-read-state-versions"] ? api("GET", `/api/v2/workspaces/${ws.id}/state-versions?page%5Bsize%5D=10`)
                                     : { data: [] }]);
  const msg = h("p", { role: "status", "aria-live": "polite" });
  const startRun = perms["can-queue-run"] ? h("button", { onclick: async () => {
      try {
        const run = (await api("POST", "/api/v2/runs", { data: { type: "runs",
          relationships: { workspace: { data: { type: "workspaces", id: ws.id } } } } })).data;
        go(`/app/${enc(org)}/workspaces/${enc(name)}/runs/${run.id}`);
      } catch (e) { msg.replaceChildren(errorBox(e)); }
    } }, "Start a new run") : null;
  const runRows = runs.data.map((r) => h("tr", {},
    h("td", {}, link(`/app/${enc(org)}/workspaces/${enc(name)}/runs/${r.id}`, r.id)),
    h("td", {}, statusBadge(r.attributes.status)),
    h("td", {}, r.attributes.message),
    h("td", {}, sourceLabel(r.attributes.source)),
    h("td", {}, when(r.attributes["created-at"]))));
  show(h("h1", {}, name),
    h("dl", { class: "kv" },
      h("dt", {}, "Organization"), h("dd", {}, org),
      h("dt", {}, "Description"), h("dd", {}, a.description || "—"),
      h("dt", {}, "Execution mode"), h("dd", {}, a["execution-mode"]),
      h("dt", {}, "Terraform version"), h("dd", {}, a["terraform-version"]),
      h("dt", {}, "Auto-apply"), h("dd", {}, a["auto-apply"] ? "yes" : "no"),
      h("dt", {}, "Locked"), h("dd", {}, a.locked ? `yes${a["lock-reason"] ? ` (${a["lock-reason"]})` : ""}` : "no")),
    h("div", { class: "actions" }, startRun,
      link(`/app/${enc(org)}/workspaces/${enc(name)}/settings`, "Settings")), msg,
    h("h2", {}, "Runs"),
    runRows.length ? h("table", {}, h("thead", {}, h("tr", {}, ["Run", "Status", "Message", "Source", "Created"]
      .map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, runRows)) : h("p", { class: "muted" }, "No runs yet."),
    variablesSection(ws, vars.data, perms),
    h("h2", {}, "State versions"),
    svs.data.length ? h("table", {}, h("thead", {}, h("tr", {}, ["Version", "Serial", "Created", ""]
      .map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, svs.data.map((sv, i) => h("tr", {},
        h("td", {}, link(`/app/${enc(org)}/workspaces/${enc(name)}/states/${sv.id}`, sv.id)),
        h("td", {}, sv.attributes.serial), h("td", {}, when(sv.attributes["created-at"])),
        h("td", {}, svs.data[i + 1] ? link(`/app/${enc(org)}/workspaces/${enc(name)}/states/${sv.id}?diff=${svs.data[i + 1].id}`,
                                           "diff with previous") : "")))))
      : h("p", { class: "muted" }, "No state yet."));
}

function variablesSection(ws, vars, perms) {
  const msg = h("p", { role: "status", "aria-live": "polite" });
  /* a row turns into a form to change its value (a sensitive one is written, never shown) */
  const edit = (v, row) => {
    const form = h("form", { class: "inline", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("PATCH", `/api/v2/workspaces/${ws.id}/vars/${v.id}`, { data: { type: "vars", id: v.id,
            attributes: { value: form.value.value } } });
          route();
        } catch (e2) { msg.replaceChildren(errorBox(e2)); }
      } },
      h("label", {}, `New value of ${v.attributes.key}`,
        h("input", { name: "value", value: v.attributes.sensitive ? "" : v.attributes.value })),
      h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", class: "secondary", onclick: () => route() }, "Cancel"));
    row.replaceChildren(h("td", { colspan: 4 }, form));
    form.value.focus();
  };
  const rows = vars.map((v) => {
    const row = h("tr", {},
      h("td", {}, v.attributes.key),
      h("td", {}, v.attributes.sensitive ? h("span", { class: "muted" }, "sensitive — write only") : v.attributes.value),
      h("td", {}, v.attributes.category),
      h("td", {}, perms["can-update-variable"] ? [
        h("button", { class: "secondary", onclick: () => edit(v, row) }, `Edit ${v.attributes.key}`), " ",
        h("button", { class: "secondary", onclick: async () => {
          try { await api("DELETE", `/api/v2/workspaces/${ws.id}/vars/${v.id}`); route(); }
          catch (e) { msg.replaceChildren(errorBox(e)); }
        } }, `Delete ${v.attributes.key}`)] : ""));
    return row;
  });
  let form = null;
  if (perms["can-update-variable"]) {
    form = h("form", { class: "inline", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("POST", `/api/v2/workspaces/${ws.id}/vars`, { data: { type: "vars", attributes: {
            key: form.key.value, value: form.value.value, category: form.category.value,
            sensitive: form.sensitive.checked } } });
          route();
        } catch (e2) { msg.replaceChildren(errorBox(e2)); }
      } },
      h("label", {}, "Key", h("input", { name: "key", required: true })),
      h("label", {}, "Value", h("input", { name: "value" })),
      h("label", {}, "Category", h("select", { name: "category" },
        h("option", { value: "terraform" }, "Terraform variable"), h("option", { value: "env" }, "Environment variable"))),
      h("label", {}, "Sensitive", h("input", { name: "sensitive", type: "checkbox" })),
      h("button", { type: "submit" }, "Add variable"));
  }
  return h("section", { "aria-label": "Variables" }, h("h2", {}, "Variables"),
    rows.length ? h("table", {}, h("thead", {}, h("tr", {}, ["Key", "Value", "Category", ""]
      .map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)) : h("p", { class: "muted" }, "No variables."),
    form, msg);
}

/* -- a run: its plan and apply, their logs as they grow, and what can be done to it -- */
const ANSI = /\x1b\[([0-9;]*)m/g;

/* Terraform's plain output with its colours, as spans (text only). */
function ansiNodes(text) {
  const out = [];
  let last = 0, cls = "";
  for (const m of text.matchAll(ANSI)) {
    if (m.index > last) out.push(cls ? h("span", { class: cls }, text.slice(last, m.index)) : text.slice(last, m.index));
    const codes = m[1].split(";").filter((c) => c && c !== "0");
    cls = codes.map((c) => `c${c}`).join(" ");
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(cls ? h("span", { class: cls }, text.slice(last)) : text.slice(last));
  return out;
}

/* Structured output (terraform's JSON lines) as TFE shows it: messages, resource changes. */
function jsonLineNodes(line) {
  let m;
  try { m = JSON.parse(line); } catch (e) { return [line, "\n"]; }
  if (m.type === "planned_change" && m.change) {
    const action = m.change.action;
    const cls = action === "create" ? "change-create" : action === "delete" ? "change-delete" : "change-update";
    return [h("span", { class: cls }, `${action} ${m.change.resource.addr}`), "\n"];
  }
  return [m["@message"] || line, "\n"];
}

class LogView {
  constructor(phase) {
    this.url = phase.attributes["log-read-url"];
    this.offset = 0;
    this.pending = "";
    this.done = false;
    this.el = h("pre", { class: "log", "aria-live": "polite", "aria-label": `${phase.type} log` });
  }
  async poll() {
    if (this.done || !this.url) return;
    const r = await fetch(`${this.url}?offset=${this.offset}&limit=65536`, { credentials: "same-origin" });
    if (!r.ok) return;
    const buf = new Uint8Array(await r.arrayBuffer());
    this.offset += buf.length;
    let text = this.pending + new TextDecoder().decode(buf, { stream: true });
    if (text.includes("\x03")) { this.done = true; text = text.slice(0, text.indexOf("\x03")); }
    text = text.replace("\x02", "");
    const cut = this.done ? text.length : text.lastIndexOf("\n") + 1;
    this.pending = text.slice(cut);
    const ready = text.slice(0, cut);
    if (!ready) return;
    /* line by line: Strata's own lines are text, terraform's may be JSON (structured output) */
    const lines = ready.split("\n"), last = lines.pop();
    for (const line of lines)
      this.el.append(...(line.startsWith('{"@') ? jsonLineNodes(line) : ansiNodes(`${line}\n`)));
    if (last) this.el.append(...ansiNodes(last));
  }
}

let timer = null;

async function runPage(org, name, runId) {
  const doc = await api("GET", `/api/v2/runs/${enc(runId)}?include=plan,apply`);
  const run = doc.data;
  const phases = {};
  for (const inc of doc.included || []) phases[inc.type] = inc;
  const plan = phases.plans && new LogView(phases.plans);
  const apply = phases.applies && new LogView(phases.applies);
  const statusEl = h("p", {}, "Status: ", statusBadge(run.attributes.status));
  const msg = h("p", { role: "status", "aria-live": "polite" });
  const act = (label, path, cls) => h("button", { class: cls, onclick: async () => {
      try { await api("POST", `/api/v2/runs/${run.id}/actions/${path}`, {}); await refresh(); }
      catch (e) { msg.replaceChildren(errorBox(e)); }
    } }, label);
  const actions = h("div", { class: "actions" });
  const applySection = h("section", { "aria-label": "Apply" });
  show(h("h1", {}, `Run ${run.id}`),
    h("p", {}, link(`/app/${enc(org)}/workspaces/${enc(name)}`, `← ${name}`)),
    h("p", {}, run.attributes.message),
    h("p", {}, `Source: ${sourceLabel(run.attributes.source)}`), statusEl, actions, msg,
    h("h2", {}, "Plan"), plan ? plan.el : h("p", { class: "muted" }, "No plan."),
    applySection);
  let current = run;
  async function refresh() {
    current = (await api("GET", `/api/v2/runs/${enc(runId)}`)).data;
    const a = current.attributes, p = a.permissions;
    statusEl.replaceChildren("Status: ", statusBadge(a.status));
    actions.replaceChildren(...[
      a.actions["is-confirmable"] && p["can-apply"] ? act("Confirm & apply", "apply") : null,
      a.actions["is-discardable"] && p["can-discard"] ? act("Discard run", "discard", "secondary") : null,
      a.actions["is-cancelable"] && p["can-cancel"] ? act("Cancel run", "cancel", "danger") : null,
    ].filter(Boolean));
    if (apply && ["apply_queued", "applying", "applied", "errored", "canceled"].includes(a.status) &&
        !applySection.firstChild && phases.applies.attributes.status !== "unreachable")
      applySection.append(h("h2", {}, "Apply"), apply.el);
  }
  async function tick() {
    try {
      if (plan) await plan.poll();
      await refresh();
      if (apply && applySection.firstChild) await apply.poll();
      const final = ["applied", "errored", "canceled", "force_canceled", "discarded",
                     "planned_and_finished", "planned_and_saved"].includes(current.attributes.status);
      if (final && (!plan || plan.done) && (!apply || !applySection.firstChild || apply.done)) return;
    } catch (e) { msg.replaceChildren(errorBox(e)); }
    timer = setTimeout(tick, 1000);
  }
  await tick();
}

/* -- state versions: outputs, and what changed from another version -- */
async function statePage(org, name, svId) {
  const diff = new URLSearchParams(location.search).get("diff");
  const outputs = async (id) => (await api("GET", `/api/v2/state-versions/${enc(id)}/outputs`)).data;
  const sv = (await api("GET", `/api/v2/state-versions/${enc(svId)}`)).data;
  const mine = await outputs(svId);
  const value = (o) => o.attributes.sensitive ? "(sensitive)" : JSON.stringify(o.attributes.value);
  const parts = [h("h1", {}, `State version ${sv.id}`),
    h("p", {}, link(`/app/${enc(org)}/workspaces/${enc(name)}`, `← ${name}`)),
    h("dl", { class: "kv" }, h("dt", {}, "Serial"), h("dd", {}, sv.attributes.serial),
      h("dt", {}, "Created"), h("dd", {}, when(sv.attributes["created-at"]))),
    h("h2", {}, "Outputs"),
    h("table", {}, h("tbody", {}, mine.map((o) => h("tr", {}, h("th", { scope: "row" }, o.attributes.name),
      h("td", {}, value(o))))))];
  if (diff) {
    const theirs = await outputs(diff);
    const before = Object.fromEntries(theirs.map((o) => [o.attributes.name, value(o)]));
    const after = Object.fromEntries(mine.map((o) => [o.attributes.name, value(o)]));
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    parts.push(h("h2", {}, `Changes since ${diff}`), h("pre", { class: "log" }, names.flatMap((n) =>
      before[n] === after[n] ? [] :
      [before[n] !== undefined ? h("span", { class: "diff-del" }, `- ${n} = ${before[n]}\n`) : null,
       after[n] !== undefined ? h("span", { class: "diff-add" }, `+ ${n} = ${after[n]}\n`) : null])));
  }
  show(...parts);
}

/* -- the private registry -- */
async function registryPage(org) {
  const mods = await api("GET", `/api/v2/organizations/${enc(org)}/registry-modules`);
  const provs = await api("GET", `/api/v2/organizations/${enc(org)}/registry-providers`);
  show(h("h1", {}, `Private registry of ${org}`),
    h("h2", {}, "Modules"),
    mods.data.length ? h("ul", {}, mods.data.map((m) => h("li", {},
      link(`/app/${enc(org)}/registry/modules/${enc(m.attributes.name)}/${enc(m.attributes.provider)}`,
           `${m.attributes.name} (${m.attributes.provider})`), " ",
      h("span", { class: "muted" }, (m.attributes["version-statuses"] || []).map((v) => v.version).join(", ")))))
      : h("p", { class: "muted" }, "No modules."),
    h("h2", {}, "Providers"),
    provs.data.length ? h("ul", {}, provs.data.map((p) => h("li", {}, `${org}/${p.attributes.name}`)))
      : h("p", { class: "muted" }, "No providers."));
}

/* A README's Markdown as DOM: headings, paragraphs, lists, fenced and inline code (text only). */
function markdown(text) {
  const out = [];
  let para = [], list = null, code = null;
  const inline = (line) => line.split(/(`[^`]+`)/).map((part) =>
    part.startsWith("`") && part.endsWith("`") && part.length > 1 ? h("code", {}, part.slice(1, -1)) : part);
  const flush = () => {
    if (para.length) out.push(h("p", {}, inline(para.join(" "))));
    para = [];
    if (list) out.push(list);
    list = null;
  };
  for (const line of text.split("\n")) {
    if (code !== null) {
      if (line.startsWith("```")) { out.push(h("pre", { class: "log" }, code.join("\n"))); code = null; }
      else code.push(line);
      continue;
    }
    const heading = line.match(/^(#{1,4})\s+(.*)$/);
    const item = line.match(/^\s*[-*]\s+(.*)$/);
    if (line.startsWith("```")) { flush(); code = []; }
    else if (heading) { flush(); out.push(h(`h${Math.min(6, heading[1].length + 2)}`, {}, inline(heading[2]))); }
    else if (item) { if (para.length) flush(); list = list || h("ul", {}); list.append(h("li", {}, inline(item[1]))); }
    else if (!line.trim()) flush();
    else para.push(line);
  }
  if (code !== null) out.push(h("pre", { class: "log" }, code.join("\n")));
  flush();
  return out;
}

async function modulePage(org, name, provider) {
  const m = (await api("GET", `/api/v2/organizations/${enc(org)}/registry-modules/private/${enc(org)}/${enc(name)}/${enc(provider)}`)).data;
  const versions = (m.attributes["version-statuses"] || []).filter((v) => v.status === "ok");
  const chosen = new URLSearchParams(location.search).get("version") ||
                 (versions.length ? versions[versions.length - 1].version : null);
  const detail = chosen ? await api("GET", `/api/registry/v1/modules/${enc(org)}/${enc(name)}/${enc(provider)}/${enc(chosen)}`)
                        : { root: {} };
  const root = detail.root || {};
  const table = (head, rows) => rows.length
    ? h("table", {}, h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows))
    : h("p", { class: "muted" }, "None.");
  show(h("h1", {}, `${name} (${provider})`),
    h("p", {}, link(`/app/${enc(org)}/registry`, "← registry")),
    h("h2", {}, "Use it"),
    h("pre", { class: "log" }, `module "${name}" {\n  source  = "${location.host}/${org}/${name}/${provider}"\n  version = "${chosen || "0.0.0"}"\n}\n`),
    h("h2", {}, "Versions"),
    h("ul", {}, versions.map((v) => h("li", {}, v.version === chosen ? h("strong", {}, v.version)
      : link(`/app/${enc(org)}/registry/modules/${enc(name)}/${enc(provider)}?version=${enc(v.version)}`, v.version)))),
    h("h2", {}, "Inputs"),
    table(["Name", "Description", "Default", "Required"], (root.inputs || []).map((i) => h("tr", {},
      h("td", {}, h("code", {}, i.name)), h("td", {}, i.description), h("td", {}, i.default || ""),
      h("td", {}, i.required ? "yes" : "no")))),
    h("h2", {}, "Outputs"),
    table(["Name", "Description"], (root.outputs || []).map((o) => h("tr", {},
      h("td", {}, h("code", {}, o.name)), h("td", {}, o.description)))),
    h("h2", {}, "Resources"),
    table(["Type", "Name"], (root.resources || []).map((r) => h("tr", {}, h("td", {}, r.type), h("td", {}, r.name)))),
    h("h2", {}, "README"),
    root.readme ? h("article", { class: "readme" }, markdown(root.readme)) : h("p", { class: "muted" }, "No README."));
}

/* -- the signed-in user's API tokens -- */
async function tokensPage() {
  const me = (await api("GET", "/api/v2/account/details")).data;
  const tokens = await api("GET", `/api/v2/users/${me.id}/authentication-tokens`);
  const msg = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { class: "inline", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const t = (await api("POST", `/api/v2/users/${me.id}/authentication-tokens`, { data: {
          type: "authentication-tokens", attributes: { description: form.description.value } } })).data;
        await tokensPage();
        main().append(h("p", {}, "Copy the new token now; it is not shown again:"),
                      h("pre", { class: "log", "aria-label": "new token" }, t.attributes.token));
      } catch (e2) { msg.replaceChildren(errorBox(e2)); }
    } },
    h("label", {}, "Description", h("input", { name: "description", required: true })),
    h("button", { type: "submit" }, "Create an API token"));
  show(h("h1", {}, "API tokens"), form, msg,
    h("table", {}, h("thead", {}, h("tr", {}, ["Description", "Created", "Last used", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tokens.data.map((t) => h("tr", {}, h("td", {}, t.attributes.description),
        h("td", {}, when(t.attributes["created-at"])), h("td", {}, when(t.attributes["last-used-at"]) || "never"),
        h("td", {}, h("button", { class: "secondary", onclick: async () => {
          try { await api("DELETE", `/api/v2/authentication-tokens/${t.id}`); await tokensPage(); }
          catch (e) { msg.replaceChildren(errorBox(e)); }
        } }, `Revoke ${t.attributes.description}`)))))));
}

/* -- settings of a workspace and of an organization -- */
async function workspaceSettingsPage(org, name) {
  const ws = (await api("GET", `/api/v2/organizations/${enc(org)}/workspaces/${enc(name)}`)).data;
  const a = ws.attributes, can = a.permissions["can-update"];
  const msg = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { class: "stack", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("PATCH", `/api/v2/workspaces/${ws.id}`, { data: { type: "workspaces", attributes: {
          description: form.description.value, "execution-mode": form.mode.value,
          "auto-apply": form.autoapply.checked, "terraform-version": form.version.value } } });
        msg.replaceChildren(h("p", {}, "Saved."));
      } catch (e2) { msg.replaceChildren(errorBox(e2)); }
    } },
    h("label", {}, "Description", h("textarea", { name: "description", rows: 3, disabled: !can }, a.description)),
    h("label", {}, "Execution mode", h("select", { name: "mode", disabled: !can },
      ["remote", "local"].map((m) => h("option", { value: m, selected: a["execution-mode"] === m }, m)))),
    h("label", {}, "Terraform version", h("input", { name: "version", value: a["terraform-version"], disabled: !can })),
    h("label", {}, "Apply automatically", h("input", { name: "autoapply", type: "checkbox", checked: a["auto-apply"], disabled: !can })),
    can ? h("button", { type: "submit" }, "Save settings") : h("p", { class: "muted" }, "Your access does not let you change these."));
  const lock = a.permissions["can-lock"] ? h("button", { class: "secondary", onclick: async () => {
      try {
        await api("POST", `/api/v2/workspaces/${ws.id}/actions/${a.locked ? "unlock" : "lock"}`,
                  a.locked ? {} : { reason: "Locked from the web UI" });
        await workspaceSettingsPage(org, name);
      } catch (e) { msg.replaceChildren(errorBox(e)); }
    } }, a.locked ? "Unlock workspace" : "Lock workspace") : null;
  show(h("h1", {}, `Settings of ${name}`),
    h("p", {}, link(`/app/${enc(org)}/workspaces/${enc(name)}`, `← ${name}`)), form,
    h("h2", {}, "Locking"), h("p", {}, a.locked ? "Locked." : "Not locked."), lock, msg);
}

async function orgSettingsPage(org) {
  const o = (await api("GET", `/api/v2/organizations/${enc(org)}`)).data;
  const can = o.attributes.permissions["can-update"];
  const msg = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { class: "stack", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("PATCH", `/api/v2/organizations/${enc(org)}`, { data: { type: "organizations", attributes: {
          email: form.email.value, "default-execution-mode": form.mode.value } } });
        msg.replaceChildren(h("p", {}, "Saved."));
      } catch (e2) { msg.replaceChildren(errorBox(e2)); }
    } },
    h("label", {}, "Email", h("input", { name: "email", type: "email", value: o.attributes.email, disabled: !can })),
    h("label", {}, "Default execution mode", h("select", { name: "mode", disabled: !can },
      ["remote", "local"].map((m) => h("option", { value: m, selected: o.attributes["default-execution-mode"] === m }, m)))),
    can ? h("button", { type: "submit" }, "Save settings") : h("p", { class: "muted" }, "Only the owners change these."));
  const teams = await api("GET", `/api/v2/organizations/${enc(org)}/teams`).catch(() => ({ data: [] }));
  show(h("h1", {}, `Settings of ${org}`), form, msg,
    h("h2", {}, "Teams"), h("ul", {}, teams.data.map((t) => h("li", {}, t.attributes.name,
      h("span", { class: "muted" }, ` · ${t.attributes["users-count"]} members`)))));
}

/* -- site administration -- */
async function adminPage() {
  const [users, orgs, tfv, nodes] = await Promise.all([
    api("GET", "/api/v2/admin/users?page%5Bsize%5D=100"),
    api("GET", "/api/v2/organizations?page%5Bsize%5D=100"),
    api("GET", "/api/v2/admin/terraform-versions"),
    fetch("/api/v1/nodes", { credentials: "same-origin" }).then((r) => r.ok ? r.json() : { data: [] })]);
  show(h("h1", {}, "Site administration"),
    h("h2", {}, "Users"),
    h("table", {}, h("tbody", {}, users.data.map((u) => h("tr", {}, h("td", {}, u.attributes.username),
      h("td", {}, u.attributes.email), h("td", {}, u.attributes["is-admin"] ? "site admin" : ""))))),
    h("h2", {}, "Organizations"), h("ul", {}, orgs.data.map((o) => h("li", {}, o.id))),
    h("h2", {}, "Terraform versions"),
    h("ul", {}, tfv.data.map((v) => h("li", {}, v.attributes.version, v.attributes.enabled ? "" : " (disabled)"))),
    h("h2", {}, "Nodes"), h("ul", {}, (nodes.data || []).map((n) => h("li", {}, String(n)))));
}

/* -- the router -- */
async function route() {
  if (timer) { clearTimeout(timer); timer = null; }
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "app") return go("/app");
  const p = parts.slice(1);
  if (p[0] === "login") return loginPage();
  if (!state.user) return go(`/app/login?next=${enc(location.pathname + location.search)}`);
  try {
    if (p.length === 0) return await orgsPage();
    if (p[0] === "admin") return await adminPage();
    if (p[0] === "settings" && p[1] === "tokens") return await tokensPage();
    const org = p[0];
    if (p[1] === "workspaces" && p.length === 2) return await workspacesPage(org);
    if (p[1] === "workspaces" && p.length === 3) return await workspacePage(org, p[2]);
    if (p[1] === "workspaces" && p[3] === "runs" && p.length === 5) return await runPage(org, p[2], p[4]);
    if (p[1] === "workspaces" && p[3] === "states" && p.length === 5) return await statePage(org, p[2], p[4]);
    if (p[1] === "workspaces" && p[3] === "settings" && p.length === 4) return await workspaceSettingsPage(org, p[2]);
    if (p[1] === "settings" && p.length === 2) return await orgSettingsPage(org);
    if (p.length === 4 && p[2] === "runs") return await runPage(org, p[1], p[3]); /* terraform's run URLs */
    if (p[1] === "registry" && p.length === 2) return await registryPage(org);
    if (p[1] === "registry" && p[2] === "modules" && p.length === 5) return await modulePage(org, p[3], p[4]);
    if (p.length === 1) return go(`/app/${enc(org)}/workspaces`);
    show(h("h1", {}, "Not found"), h("p", {}, "This page does not exist."));
  } catch (e) {
    if (e.status === 401) { state.user = null; drawHeader(); return go("/app/login"); }
    show(h("h1", {}, e.status === 404 ? "Not found" : "Something went wrong"), errorBox(e));
  }
}

window.addEventListener("popstate", route);
document.addEventListener("DOMContentLoaded", async () => {
  await loadSession();
  route();
});
