// The team-room demo: every window is a person in the room, by its presence (the server removes it
// when the window closes); edits go out as PATCH/PUT and come back to every window over the live
// WebSocket. URL parameters: room (default room:demo), name, token.
import { ChordClient } from "/chord-client.js";

const params = new URLSearchParams(location.search);
const roomId = params.get("room") || "room:demo";
const NAMES = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tony"];
const me = sessionStorage.getItem("chord.me") || `p${Math.random().toString(36).slice(2, 8)}`;
sessionStorage.setItem("chord.me", me);
let myName = params.get("name") || sessionStorage.getItem("chord.name") ||
  NAMES[Math.floor(Math.random() * NAMES.length)];
sessionStorage.setItem("chord.name", myName);

const client = new ChordClient(roomId, { token: params.get("token") || undefined });
window.chordDemo = { client, me };

const $ = (id) => document.getElementById(id);
$("room-id").textContent = roomId;
$("my-name").value = myName;

// ---- writes ----

function report(error) {
  console.error(error);
  $("conn").textContent = error.status ? `error ${error.status}` : "error";
}

// Who this window is, as its presence: the server keeps it under presence/<connection id> of the
// room while the window is connected, and removes it when the window closes or loses its server.
let typingNow = false;
function declare() {
  client.setPresence({ me, name: myName, status: $("my-status").value, typing: typingNow });
}

let joined = false;
async function join() {
  joined = true;
  if (client.version === 0) {
    try {
      await client.put({ title: "Team room", todos: {} }, { ifNoneMatch: "*" });
    } catch (e) {
      if (e.status !== 412) return report(e); // someone else created the room first: join it
    }
  }
  declare(); // presence is kept only in a room that exists: declared again once it does
}

let typingTimer = null;
function typing() {
  if (typingTimer === null) {
    typingNow = true;
    declare();
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 1500);
}
function stopTyping() {
  if (typingTimer === null) return;
  clearTimeout(typingTimer);
  typingTimer = null;
  typingNow = false;
  declare();
}

function addTodo(text) {
  const id = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  return client
    .patch({ todos: { [id]: { text, done: false, by: myName, at: Date.now() } } })
    .catch(report);
}

// A PATCH cannot remove a key, so removal replaces the whole room, but only if nobody changed it
// meanwhile: ifMatch: true sends the ETag of the epoch and version the client holds, which are
// those of the state just read (nothing awaited in between). On a conflict (412) it waits for the
// newer version and tries again.
async function removeTodo(id) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const { state } = client;
    if (!state.todos || !(id in state.todos)) return;
    const todos = { ...state.todos };
    delete todos[id];
    try {
      await client.put({ ...state, todos }, { ifMatch: true });
      return;
    } catch (e) {
      if (e.status !== 412) return report(e);
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
}

$("my-status").addEventListener("change", declare);
$("my-name").addEventListener("change", (e) => {
  myName = e.target.value.trim() || myName;
  sessionStorage.setItem("chord.name", myName);
  declare();
});
$("todo-input").addEventListener("input", typing);
$("todo-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("todo-input").value.trim();
  if (!text) return;
  $("todo-input").value = "";
  stopTyping();
  addTodo(text);
});
$("drop").addEventListener("click", () => client.drop());
// Leaving the page leaves the room at once: a page kept in the back-forward cache would keep its
// socket, and so its presence, open; back on it, it joins again.
addEventListener("pagehide", () => client.close());
addEventListener("pageshow", (e) => {
  if (e.persisted) client.connect();
});

// ---- rendering ----

const known = new Set();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function colour(id) {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 55% 48%)`;
}

function renderPeople(presence) {
  const order = { available: 0, busy: 1, away: 2 };
  const people = Object.entries(presence).filter(([, p]) => p && typeof p === "object");
  people.sort(([, a], [, b]) => (order[a.status] ?? 4) - (order[b.status] ?? 4) ||
    String(a.name).localeCompare(String(b.name)));
  $("people").replaceChildren(...people.map(([id, p]) => {
    const name = String(p.name ?? id);
    const status = String(p.status ?? "available");
    const fresh = !known.has(`p:${id}`) && known.size > 0;
    known.add(`p:${id}`);
    return el("li", { class: `person ${fresh ? "fresh" : ""}`, "data-id": id, "data-name": name },
      el("span", { class: "avatar", style: `background:${colour(String(p.me ?? id))}` }, name.slice(0, 1).toUpperCase()),
      el("div", {},
        el("div", { class: "name" }, name, p.me === me ? el("span", { class: "you" }, " (you)") : ""),
        el("div", { class: "status" }, el("span", { class: `dot ${status}` }), status)),
      el("span", { class: `typing ${p.typing ? "on" : ""}` }, "typing"));
  }));
}

function renderTodos(todos) {
  const items = Object.entries(todos ?? {}).filter(([, t]) => t && typeof t === "object");
  items.sort(([, a], [, b]) => (a.at ?? 0) - (b.at ?? 0));
  $("todo-empty").hidden = items.length > 0;
  $("todos").replaceChildren(...items.map(([id, t]) => {
    const fresh = !known.has(`t:${id}`) && known.size > 0;
    known.add(`t:${id}`);
    return el("li", { class: `todo ${t.done ? "done" : ""} ${fresh ? "fresh" : ""}`, "data-id": id },
      el("input", { type: "checkbox", ...(t.done ? { checked: "" } : {}), "aria-label": "done",
        onchange: () => client.patch({ todos: { [id]: { done: !t.done } } }).catch(report) }),
      el("span", { class: "text" }, String(t.text ?? "")),
      el("span", { class: "by" }, t.by ? `by ${t.by}` : ""),
      el("button", { class: "remove", type: "button", title: "remove", onclick: () => removeTodo(id) }, "×"));
  }));
}

function formatBytes(n) {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function shortEpoch(epoch) {
  return epoch ? epoch.slice(0, 6) : "–";
}

function renderFeed(change) {
  const span = change.type === "patch" ? `${change.fromVersion} → ${change.version}` : `${change.version}`;
  const type = change.reset ? `${change.type} (reset)` : change.type;
  const row = el("tr", { class: `fresh ${change.reset ? "reset" : ""}` },
    el("td", {}, span), el("td", {}, shortEpoch(change.epoch)), el("td", {}, type),
    el("td", {}, String(change.changes)),
    el("td", {}, formatBytes(change.bytes)));
  $("feed").prepend(row);
  while ($("feed").children.length > 8) $("feed").lastChild.remove();
}

let authProblem = null;
function showStatus(status) {
  const waiting = authProblem ? `reconnecting (${authProblem})` : `reconnecting (try ${client.attempt})`;
  const connecting = authProblem ? `connecting (${authProblem})` : "connecting…";
  const labels = {
    connecting, live: "live", waiting, closed: "closed",
    unauthorized: "token expired: reload with a new ?token=…",
  };
  $("conn").textContent = labels[status] ?? status;
  $("conn").className = `pill ${status}`;
}
client.onStatus((status) => {
  if (status === "live") authProblem = null;
  showStatus(status);
  // A browser does not tell why a WebSocket was refused; ask over HTTP once it keeps failing.
  if (status === "waiting" && client.attempt === 2) {
    client.get().catch((e) => {
      if (e.status === 401 || e.status === 403) {
        authProblem = e.status === 401 ? "token needed: add ?token=… to the address" : "token refused";
        showStatus(client.status);
      }
    });
  }
});

const shown = { presence: undefined, todos: undefined };
client.onChange((state, change) => {
  $("version").textContent = String(client.version);
  $("epoch").textContent = shortEpoch(client.epoch);
  $("epoch").title = client.epoch ? `epoch ${client.epoch}` : "absent: no epoch";
  $("delta-size").textContent = formatBytes(change.bytes);
  document.title = `Chord · ${state.title ?? "Team room"} · v${client.version}`;
  $("room-title").textContent = String(state.title ?? "Team room");
  if (change.reset) known.clear(); // another room now: nothing in it is news
  // The client copies only the objects along a change's path: an unchanged part keeps its
  // identity, and is not rendered again (a click on it is never lost to a re-render).
  if (client.presence !== shown.presence) renderPeople((shown.presence = client.presence));
  if (state.todos !== shown.todos) renderTodos((shown.todos = state.todos));
  renderFeed(change);
  if (!joined) join();
});

client.connect();
