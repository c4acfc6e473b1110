// Longshot's dashboard: one page, two views (the cluster with its jobs, and one job), over the JSON API
// under /api (the control protocol's replies in protobuf JSON) and Server-Sent Events from /api/events.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
};

// Protobuf JSON names enums in full ("JOB_STATE_RUNNING"); the page says "running".
// Protobuf JSON leaves out fields at their default (0, false, ""): read numbers through num.
const num = (value) => Number(value || 0);
const word = (value, prefix) => String(value || "").replace(prefix, "").toLowerCase() || "unknown";
const jobState = (s) => word(s, "JOB_STATE_");
const windowState = (s) => word(s, "WINDOW_STATE_");
const workerState = (s) => word(s, "WORKER_STATE_");
const ended = (state) => ["succeeded", "failed", "cancelled"].includes(state);

const bytes = (n) => {
  n = num(n || 0);
  if (!n) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${units[i]}`;
};
const ago = (ms) => {
  const s = Math.max(0, (Date.now() - num(ms)) / 1000);
  return s < 60 ? `${Math.round(s)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
};
const span = (seconds) => {
  if (!isFinite(seconds) || seconds < 0) return "";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
};
const bar = (fraction) => el("div", { class: "bar", title: `${Math.round(fraction * 100)}%` },
  Object.assign(el("i"), { style: `width:${Math.min(100, fraction * 100).toFixed(1)}%` }));

// Step progress of windows being rendered, from the live events: "job/window" -> [step, steps].
const windowSteps = new Map();
const partialWindows = (job) => {
  let sum = 0;
  for (const [key, [step, steps]] of windowSteps) {
    if (key.startsWith(`${job}/`) && steps > 0 && step < steps) sum += step / steps;
  }
  return sum;
};

// A job's progress in one number: codenoise jobs by the slowest group's step, others by window steps
// (windows done, plus the steps of those being rendered).
const progress = (job) => {
  if (ended(jobState(job.state))) return jobState(job.state) === "succeeded" ? 1 : 0;
  if (num(job.groups) > 0 && num(job.steps) > 0) return num(job.slowestGroupStep) / num(job.steps);
  return num(job.windowsTotal) ? Math.min(1, (num(job.windowsDone) + partialWindows(job.id)) / num(job.windowsTotal)) : 0;
};
// Time left at the rate since the job was submitted (includes its time in the queue: an upper bound).
const eta = (job) => {
  const p = progress(job);
  if (p <= 0 || p >= 1 || ended(jobState(job.state))) return "";
  const elapsed = (Date.now() - num(job.createdAtMs)) / 1000;
  return span(elapsed * (1 - p) / p);
};

// --- API ---------------------------------------------------------------------------------------------

class SignedOut extends Error {}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options,
    headers: { "X-Longshot": "1", ...(options.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw new SignedOut(body.error || "signed out");
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}
const post = (path, body) => api(path, { method: "POST", body: body ? JSON.stringify(body) : undefined,
  headers: { "Content-Type": "application/json" } });

// --- Views -------------------------------------------------------------------------------------------

const views = ["login", "home", "job"];
function show(view) {
  for (const v of views) $(`#${v}`).hidden = v !== view;
  $("#logout").hidden = view === "login";
}

const page = { jobID: null, selectedWindow: null, filter: "" };

const showCoordinator = (status) => {
  const c = status.coordinator || {};
  $("#coordinator").textContent = `coordinator ${c.version || ""} on ${c.host || "?"} · ${c.listen || ""}`;
};

async function renderHome() {
  const [status, list] = await Promise.all([api("/api/status"), api(`/api/jobs?limit=200&state=${page.filter}`)]);
  showCoordinator(status);
  const q = status.queue || {};
  const counts = [["queued", q.queued], ["running", q.running], ["stitching", q.stitching], ["encoding", q.encoding],
    ["succeeded", q.succeeded], ["failed", q.failed], ["cancelled", q.cancelled],
    ["windows pending", q.windowsPending], ["windows leased", q.windowsLeased]];
  $("#queue").replaceChildren(...counts.map(([name, n]) => el("div", { class: "count" }, el("b", {}, num(n || 0)), name)));

  $("#workers tbody").replaceChildren(...(status.workers || []).map((w) => {
    const state = workerState(w.state);
    const engines = (w.engines || []).map((e) => `${e.name}${e.loaded ? " (loaded)" : ""}`).join(", ") || w.engine;
    const memory = (w.engines || []).map((e) => [bytes(e.residentBytes), e.gpuBytes && num(e.gpuBytes) ? `GPU ${bytes(e.gpuBytes)}` : ""]
      .filter(Boolean).join(" · ")).filter(Boolean).join(", ");
    const action = (name, label) => el("button", { "data-worker": w.name, "data-action": name,
      onclick: () => workerAction(w.name, name) }, label);
    const buttons = state === "offline" ? [] :
      state === "draining" || state === "blocked" ? [action("unblock", "Unblock")] : [action("drain", "Drain"), action("block", "Block")];
    return el("tr", { "data-worker": w.name },
      el("td", {}, w.name), el("td", {}, w.host), el("td", {}, el("span", { class: `state ${state}` }, state)),
      el("td", {}, engines), el("td", {}, num(w.slots)), el("td", {}, memory),
      el("td", {}, w.current ? el("a", { href: `/jobs/${w.current.split("/")[0]}` }, w.current) : ""),
      el("td", { class: "muted" }, w.lastSeenMs && num(w.lastSeenMs) ? ago(w.lastSeenMs) : ""),
      el("td", {}, ...buttons));
  }));

  $("#jobs tbody").replaceChildren(...(list.jobs || []).map((j) => {
    const state = jobState(j.state);
    return el("tr", { "data-job": j.id },
      el("td", {}, el("a", { href: `/jobs/${j.id}` }, j.id)),
      el("td", {}, el("span", { class: `state ${state}` }, state)),
      el("td", { class: "prompt", title: j.prompt }, j.prompt),
      el("td", {}, j.engine), el("td", {}, `${num(j.durationSeconds).toFixed(0)} s`), el("td", {}, num(j.priority)),
      el("td", {}, bar(progress(j))), el("td", {}, eta(j)), el("td", { class: "muted" }, j.owner));
  }));
}

async function workerAction(name, action) {
  try {
    await post(`/api/workers/${encodeURIComponent(name)}/${action}`);
  } catch (error) {
    if (error instanceof SignedOut) return signIn();
    alert(error.message);
  }
  refresh();
}

const previewURL = (job, group, index, step) => `/api/jobs/${job}/previews/${group ? "group" : "window"}/${index}?step=${step}`;

async function renderJob() {
  const id = page.jobID;
  const job = await api(`/api/jobs/${id}`);
  if (!$("#coordinator").textContent) api("/api/status").then(showCoordinator).catch(() => {});
  const spec = job.spec || {};
  const state = jobState(job.state);
  document.title = `${id} · Longshot`;
  $("#job-title").textContent = id;
  $("#job-state").textContent = state;
  $("#job-state").className = `state ${state}`;
  const shots = spec.storyboard || [];
  $("#job-prompt").textContent = spec.prompt || shots.map((s) => s.prompt).join(" → ");
  const fusion = spec.fusion || "";
  $("#job-facts").textContent = [`${spec.engine || ""}`, `${num(spec.durationSeconds || 0).toFixed(0)} s`,
    `${num(spec.width)}x${num(spec.height)} @ ${num(spec.fps)} fps`, `${num(spec.steps)} steps`, fusion, `priority ${num(spec.priority)}`,
    `seed ${num(spec.seed)}`, job.owner ? `by ${job.owner}` : "", `submitted ${ago(job.createdAtMs)}`].filter(Boolean).join(" · ");
  $("#job-waiting").textContent = job.waiting || "";
  $("#job-error").textContent = job.error || "";
  $('[data-action="cancel"]').disabled = ended(state);
  $('[data-action="rerun-failed"]').disabled = !(job.windows || []).some((w) => windowState(w.state) === "failed") && state !== "failed";

  const previews = new Map((job.previews || []).map((p) => [`${p.group ? "g" : "w"}${num(p.index)}`, p]));
  const groups = job.groups || [];
  const windows = job.windows || [];
  const done = windows.filter((w) => windowState(w.state) === "done").length;
  let fraction;
  if (groups.length) {
    const steps = num(groups[0].steps || spec.steps || 1);
    const slowest = Math.min(...groups.map((g) => num(g.step)));
    fraction = ended(state) ? (state === "succeeded" ? 1 : slowest / steps) : slowest / steps;
    $("#grid-title").textContent = `Window groups (codenoise: every window advances one step at a time, ${steps} steps)`;
    $("#grid").replaceChildren(...groups.map((g) => {
      const gs = windowState(g.state);
      const gi = num(g.index);
      const p = previews.get(`g${gi}`);
      const first = num(g.firstWindow), last = first + num(g.windowCount) - 1;
      return el("div", { class: `cell ${gs}`, "data-group": gi, onclick: () => selectWindow(first) },
        el("div", { class: "title" }, `group ${gi} · windows ${first}-${last}`),
        el("div", { class: "muted" }, `${gs} · step ${num(g.step)}/${num(g.steps)}${g.worker ? ` · ${g.worker}` : ""}${num(g.checkpointStep) ? ` · checkpoint ${g.checkpointStep}` : ""}`),
        bar(num(g.step) / num(g.steps || 1)),
        p ? el("img", { class: "preview", alt: `preview of group ${gi} at step ${num(p.step)}`, src: previewURL(id, true, gi, num(p.step)),
          "data-step": num(p.step) }) : "");
    }));
  } else {
    fraction = windows.length ? Math.min(1, (done + partialWindows(id)) / windows.length) : 0;
    $("#grid-title").textContent = `Windows (${done} of ${windows.length} done)`;
    $("#grid").replaceChildren(...windows.map((w) => {
      const ws = windowState(w.state);
      const wi = num(w.index);
      const p = previews.get(`w${wi}`);
      return el("div", { class: `cell ${ws}${page.selectedWindow === wi ? " selected" : ""}`, "data-window": wi,
        onclick: () => selectWindow(wi) },
        el("div", { class: "title" }, `window ${wi} · frames ${num(w.firstFrame)}-${num(w.firstFrame) + num(w.frameCount) - 1}`),
        ws === "leased" && windowSteps.has(`${id}/${wi}`) ? bar(windowSteps.get(`${id}/${wi}`)[0] / windowSteps.get(`${id}/${wi}`)[1]) : "",
        el("div", { class: "muted" }, `${ws}${ws === "leased" && windowSteps.has(`${id}/${wi}`) ? ` · step ${windowSteps.get(`${id}/${wi}`).join("/")}` : ""}${num(w.attempts) ? ` · attempt ${w.attempts}` : ""}${w.worker ? ` · ${w.worker}` : ""}${num(w.durationMs) ? ` · ${(num(w.durationMs) / 1000).toFixed(1)} s` : ""}`),
        w.error ? el("div", { class: "error" }, w.error) : "",
        p ? el("img", { class: "preview", alt: `preview of window ${wi} at step ${num(p.step)}`, src: previewURL(id, false, wi, num(p.step)),
          "data-step": num(p.step) }) : "");
    }));
  }
  $("#job-progress").replaceChildren(bar(fraction),
    el("span", { class: "muted" }, ended(state) ? "" : `${Math.round(fraction * 100)}%` +
      (fraction > 0 && fraction < 1 ? ` · about ${span((Date.now() - num(job.createdAtMs)) / 1000 * (1 - fraction) / fraction)} left` : "")));

  const video = $("#job-video");
  if (state === "succeeded" && num(job.outputBytes) > 0) {
    const src = `/api/jobs/${id}/video`;
    if (!video.src.endsWith(src)) video.src = src;
    video.hidden = false;
  } else {
    video.hidden = true;
    video.removeAttribute("src");
  }
  await renderLog();
}

function selectWindow(index) {
  page.selectedWindow = page.selectedWindow === index ? null : index;
  for (const cell of document.querySelectorAll(".cell[data-window]")) {
    cell.classList.toggle("selected", num(cell.dataset.window) === page.selectedWindow);
  }
  renderLog();
}

async function renderLog() {
  const w = page.selectedWindow;
  const logs = await api(`/api/jobs/${page.jobID}/logs?tail=300${w === null ? "" : `&window=${w}`}`);
  $("#log-scope").textContent = w === null ? "(the whole job; click a window for its own)" : `(window ${w})`;
  $("#log").textContent = (logs.lines || []).map((l) => {
    const time = new Date(num(l.timeMs)).toISOString().slice(11, 19);
    const where = l.window !== undefined && l.window !== null ? ` w${l.window}` : "";
    return `${time} ${l.level.padEnd(5)}${where} ${l.worker ? `[${l.worker}] ` : ""}${l.message}`;
  }).join("\n");
}

async function jobAction(action) {
  const id = page.jobID;
  const path = action === "cancel" ? `/api/jobs/${id}/cancel` : `/api/jobs/${id}/rerun${action === "rerun-failed" ? "?failed=1" : ""}`;
  try {
    const reply = await post(path);
    $("#action-result").textContent = reply.message || "done";
  } catch (error) {
    if (error instanceof SignedOut) return signIn();
    $("#action-result").textContent = error.message;
  }
  refresh();
}

// --- Routing, live updates, signing in -------------------------------------------------------------------

function route() {
  const match = location.pathname.match(/^\/jobs\/([^/]+)$/);
  page.jobID = match ? decodeURIComponent(match[1]) : null;
  page.selectedWindow = null;
  return page.jobID ? "job" : "home";
}

let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      const view = route();
      if (view === "job") await renderJob(); else await renderHome();
      show(view);
      connect();
    } catch (error) {
      if (error instanceof SignedOut) signIn();
      else console.error(error);
    }
  })();
  await refreshing;
  refreshing = null;
  if (again) { again = false; refresh(); }
}

// At most one refresh per half second however fast events come.
let timer = null;
const soon = () => { if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 500); };

let source = null;
let sourceFor = null;
function connect() {
  const want = page.jobID ? `/api/events?job=${encodeURIComponent(page.jobID)}` : "/api/events";
  if (source && sourceFor === want) return;
  if (source) source.close();
  sourceFor = want;
  source = new EventSource(want);
  source.onopen = () => { $("#live").textContent = "live"; $("#live").className = "pill"; };
  source.onerror = () => { $("#live").textContent = "reconnecting"; $("#live").className = "pill off"; };
  source.addEventListener("failure", () => { source.close(); source = null; sourceFor = null; signIn(); });
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === "EVENT_KIND_WINDOW_PROGRESS" && !event.group) {
      windowSteps.set(`${event.jobId}/${num(event.windowIndex)}`, [num(event.step), num(event.steps)]);
    }
    if (event.kind === "EVENT_KIND_PREVIEW" && page.jobID === event.jobId) {
      const selector = `.cell[data-${event.group ? "group" : "window"}="${num(event.windowIndex)}"]`;
      const cell = $(selector);
      const img = cell && $("img.preview", cell);
      if (img) {
        img.src = previewURL(page.jobID, event.group, num(event.windowIndex), num(event.step));
        img.dataset.step = num(event.step);
        return;
      }
    }
    soon();
  };
}

function signIn() {
  if (source) { source.close(); source = null; sourceFor = null; }
  $("#live").textContent = "offline";
  $("#live").className = "pill off";
  show("login");
  $("#login-token").focus();
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    await post("/api/login", { token: $("#login-token").value.trim() });
    $("#login-token").value = "";
    refresh();
  } catch (error) {
    $("#login-error").textContent = error.message;
  }
});
$("#logout").addEventListener("click", async () => { await post("/api/logout").catch(() => {}); signIn(); });
$("#job-filter").addEventListener("change", (event) => { page.filter = event.target.value; refresh(); });
for (const button of document.querySelectorAll("[data-action]")) {
  if (!button.dataset.worker) button.addEventListener("click", () => jobAction(button.dataset.action));
}
// Links between the views stay in the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/']");
  if (!link || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  history.pushState(null, "", link.getAttribute("href"));
  refresh();
});
window.addEventListener("popstate", refresh);
refresh();
