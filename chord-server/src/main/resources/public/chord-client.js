// chord-client.js — the browser client of the Chord sync server. A dependency-free ES module.
//
//   import { ChordClient } from "/chord-client.js";
//   const room = new ChordClient("room:1", { token });   // token only if the server needs one
//   room.onChange((state, change) => render(state));
//   room.connect();
//   await room.patch({ participants: { ann: { status: "busy" } } });
//
// The client keeps the context's state and version. It follows /contexts/{id}/live: the server
// first sends what the client is missing (full context, one patch, or no_change), then every later
// delta in version order. Each patch names the version it applies to (fromVersion); the client
// applies it only if that is its own version, and otherwise reconnects from its version, so its
// state is always exactly some version of the server's. After a dropped connection it reconnects
// with exponential back-off (with jitter) and asks for the changes since its last version.

/** @typedef {{type: string, version: number, fromVersion?: number, bytes: number, changes: number, delta?: any}} Change */

const FORMATS = ["chord", "json-patch", "nested"];

export class ChordClient {
  /**
   * @param {string} contextId
   * @param {{baseUrl?: string, token?: string, format?: string, minDelay?: number, maxDelay?: number}} [options]
   */
  constructor(contextId, options = {}) {
    this.contextId = contextId;
    this.baseUrl = (options.baseUrl ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    this.token = options.token ?? null;
    this.format = options.format ?? "chord";
    if (!FORMATS.includes(this.format)) throw new Error(`unknown format ${this.format}`);
    this.minDelay = options.minDelay ?? 250;
    this.maxDelay = options.maxDelay ?? 10000;
    /** The context's data as of {@link version}; {} while absent or unknown. */
    this.state = {};
    /** The version of {@link state}; null until the first sync, 0 while the context is absent. */
    this.version = null;
    /** "idle" | "connecting" | "live" | "waiting" | "closed" */
    this.status = "idle";
    this.attempt = 0;
    this._changeListeners = new Set();
    this._statusListeners = new Set();
    this._socket = null;
    this._timer = null;
    this._stopped = false;
  }

  /** Calls fn(state, change) after every applied message. Returns a function that unsubscribes. */
  onChange(fn) {
    this._changeListeners.add(fn);
    return () => this._changeListeners.delete(fn);
  }

  /** Calls fn(status, client) when the connection status changes. Returns an unsubscribe function. */
  onStatus(fn) {
    this._statusListeners.add(fn);
    return () => this._statusListeners.delete(fn);
  }

  /** Opens the live connection (and keeps it open until close()). */
  connect() {
    this._stopped = false;
    this._open();
    return this;
  }

  /** Closes the connection for good. */
  close() {
    this._stopped = true;
    clearTimeout(this._timer);
    if (this._socket) this._socket.close(1000, "client closed");
    this._setStatus("closed");
  }

  /** Drops the connection as a network failure would; the client reconnects. For demos and tests. */
  drop() {
    if (this._socket) this._socket.close(4001, "dropped by client");
  }

  // ---- HTTP helpers: writes go through the REST API; their effect comes back over the socket ----

  /** Replaces the whole context. ifMatch: a version the context must still be at (0: must not exist). */
  put(data, { ifMatch } = {}) {
    return this._request("PUT", "", data, ifMatch);
  }

  /** Deep-merges changes into the context (maps merge, other values replace). */
  patch(changes, { ifMatch } = {}) {
    return this._request("PATCH", "", changes, ifMatch);
  }

  /** Reads the context: {contextId, version, insertedAt, data}. */
  get() {
    return this._request("GET", "");
  }

  /** Deletes the context. */
  delete() {
    return this._request("DELETE", "");
  }

  async _request(method, suffix, body, ifMatch) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    // The new state comes back over the live connection; the write answer need not repeat it.
    if (method === "PUT" || method === "PATCH") headers["Prefer"] = "return=minimal";
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await fetch(`${this.baseUrl}/contexts/${encodeURIComponent(this.contextId)}${suffix}`, {
      method,
      headers,
      body: payload,
      // keepalive lets a write made while the page closes still arrive; browsers cap its body at 64 KiB.
      keepalive: method !== "GET" && (payload === undefined || new TextEncoder().encode(payload).length < 60000),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const error = new Error(json?.message ?? `${method} failed with ${res.status}`);
      error.status = res.status;
      error.body = json;
      throw error;
    }
    return json;
  }

  // ---- the live connection ----

  _liveUrl() {
    const ws = this.baseUrl.replace(/^http/, "ws");
    const params = new URLSearchParams({ format: this.format });
    if (this.version !== null) params.set("version", String(this.version));
    if (this.token) params.set("token", this.token);
    return `${ws}/contexts/${encodeURIComponent(this.contextId)}/live?${params}`;
  }

  _open() {
    clearTimeout(this._timer);
    this._setStatus("connecting");
    const socket = new WebSocket(this._liveUrl());
    this._socket = socket;
    socket.onmessage = (event) => {
      if (this._socket !== socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        socket.close(4002, "unreadable message");
        return;
      }
      if (!this._receive(message, event.data.length)) {
        // A patch for a version we do not have: never apply it; sync again from our version.
        socket.close(4000, "out of sequence");
        return;
      }
      if (this.status !== "live") {
        this.attempt = 0;
        this._setStatus("live");
      }
    };
    socket.onclose = () => {
      if (this._socket !== socket) return;
      this._socket = null;
      if (this._stopped) return;
      this._scheduleReconnect();
    };
    socket.onerror = () => {}; // onclose follows and reconnects
  }

  _scheduleReconnect() {
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    this.attempt++;
    this._setStatus("waiting");
    this._timer = setTimeout(() => this._open(), delay);
  }

  /** Applies one server message; false if it does not follow from the current version. */
  _receive(message, bytes) {
    let state = this.state;
    let changes = 0;
    switch (message.type) {
      case "full":
        state = message.context;
        changes = Object.keys(state).length;
        break;
      case "absent":
        state = {};
        break;
      case "no_change":
        if (this.version !== null && message.version !== this.version) return false;
        break;
      case "patch":
        if (message.fromVersion !== (this.version ?? -1)) return false;
        ({ state, changes } = applyDelta(this.state, message.delta, this.format));
        break;
      default:
        return true; // a message type from a newer server: ignore it
    }
    this.state = state;
    this.version = message.version;
    const change = {
      type: message.type,
      version: message.version,
      fromVersion: message.fromVersion,
      bytes,
      changes,
      delta: message.delta,
    };
    for (const fn of this._changeListeners) {
      try {
        fn(this.state, change);
      } catch (e) {
        console.error("chord onChange listener failed", e);
      }
    }
    return true;
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    for (const fn of this._statusListeners) fn(status, this);
  }
}

/**
 * Applies a delta in the given wire format to state, returning {state, changes}; state is not
 * modified (objects along each changed path are copied).
 */
export function applyDelta(state, delta, format = "chord") {
  switch (format) {
    case "chord":
      return { state: applyChord(state, delta.changes), changes: delta.changes.length };
    case "json-patch":
      return { state: applyJsonPatch(state, delta), changes: delta.length };
    case "nested": {
      const counter = { n: 0 };
      return { state: applyNested(state, delta, counter), changes: counter.n };
    }
    default:
      throw new Error(`unknown format ${format}`);
  }
}

/** Applies the changes of a "chord" delta: [{key: [path…], action, value, old_value}]. */
export function applyChord(state, changes) {
  let out = state;
  for (const change of changes) {
    out = change.action === "removed" ? removeIn(out, change.key) : setIn(out, change.key, change.value);
  }
  return out;
}

/** Applies an RFC 6902 patch made of add / replace / remove operations on object members. */
export function applyJsonPatch(state, ops) {
  let out = state;
  for (const op of ops) {
    const path = parsePointer(op.path);
    if (op.op === "remove") out = removeIn(out, path);
    else if (op.op === "add" || op.op === "replace") out = setIn(out, path, op.value);
    else throw new Error(`unsupported JSON Patch op ${op.op}`);
  }
  return out;
}

/**
 * Applies a "nested" delta: a map mirroring the context where a changed key holds
 * {action, value?, old_value?} (action is a string) and a key with nested changes holds a map of
 * those (whose entries are all maps).
 */
export function applyNested(state, nested, counter = { n: 0 }) {
  const out = { ...state };
  for (const [key, node] of Object.entries(nested)) {
    if (typeof node.action === "string") {
      counter.n++;
      if (node.action === "removed") delete out[key];
      else define(out, key, node.value);
    } else {
      const inner = own(out, key);
      define(out, key, applyNested(isObject(inner) ? inner : {}, node, counter));
    }
  }
  return out;
}

/** RFC 6901: "/a~1b/c~0d" → ["a/b", "c~d"]. */
export function parsePointer(pointer) {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`bad JSON pointer ${pointer}`);
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// Keys come from user data, so "__proto__" or "constructor" are ordinary keys here: read own
// properties only, and define rather than assign (assigning "__proto__" would set the prototype).
function own(obj, key) {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function define(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function setIn(obj, path, value) {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const out = isObject(obj) ? { ...obj } : {};
  define(out, head, setIn(own(out, head), rest, value));
  return out;
}

function removeIn(obj, path) {
  const [head, ...rest] = path;
  if (!isObject(obj) || !Object.prototype.hasOwnProperty.call(obj, head)) return obj;
  const out = { ...obj };
  if (rest.length === 0) delete out[head];
  else define(out, head, removeIn(obj[head], rest));
  return out;
}
