// chord-client.js — the browser client of the Chord sync server. A dependency-free ES module.
//
//   import { ChordClient } from "/chord-client.js";
//   const room = new ChordClient("room:1", { token });   // token only if the server needs one
//   room.onChange((state, change) => render(state));
//   room.connect();
//   await room.patch({ participants: { ann: { status: "busy" } } });
//
// The client keeps the context's state, version and epoch. (epoch, version) names exactly one
// state of the server: the version counts the changes of one incarnation of the context, and the
// epoch, drawn anew when the context is created or restored, names that incarnation. The client
// follows /contexts/{id}/live: the server first sends what the client is missing (the full context,
// one patch, no_change, or absent), then every later delta in version order. Each patch names the
// epoch and version it applies to; the client applies it only if those are its own, and otherwise
// reconnects from its (epoch, version), so its state is always exactly some state of the server's.
// A full or absent message always replaces the state; one of another epoch is a reset (the context
// was deleted, re-created or restored). After a dropped connection the client reconnects with
// exponential back-off (with jitter), or at once when the browser reports it is online again, and
// asks for the changes since its (epoch, version).

/**
 * What onChange listeners get with each applied message. `reset` is true when a full or absent
 * message is of another epoch than the state the client held: the context was deleted, re-created
 * or restored meanwhile, so the new state does not follow from the old one.
 * @typedef {{type: string, version: number, fromVersion?: number, epoch: string|null,
 *   reset: boolean, bytes: number, changes: number, delta?: any}} Change
 */

const FORMATS = ["chord", "json-patch", "nested"];

/** The close code of a live socket whose token expired. */
const TOKEN_EXPIRED = 4401;

// A strong entity tag as the server sends it in ETag: "<epoch>.<version>".
const ETAG = /^"[A-Za-z0-9_-]{8,22}\.[0-9]+"$/;

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
    /** The epoch of {@link state}; null until the first sync and while the context is absent. */
    this.epoch = null;
    /** "idle" | "connecting" | "live" | "waiting" | "unauthorized" | "closed" */
    this.status = "idle";
    this.attempt = 0;
    this._changeListeners = new Set();
    this._statusListeners = new Set();
    this._socket = null;
    this._timer = null;
    this._stopped = true;
    this._presence = undefined;
    // When the browser reports the network back, waiting out the back-off would only add delay.
    this._online = () => {
      if (this.status === "waiting") this._open();
    };
  }

  /**
   * The strong ETag of the state this client holds, `"<epoch>.<version>"`; null before the first
   * sync and while the context is absent.
   */
  get etag() {
    return this.epoch !== null && this.version > 0 ? `"${this.epoch}.${this.version}"` : null;
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
    globalThis.addEventListener?.("online", this._online);
    this._open();
    return this;
  }

  /** Closes the connection for good. */
  close() {
    this._stopped = true;
    globalThis.removeEventListener?.("online", this._online);
    clearTimeout(this._timer);
    this._detach(1000, "client closed");
    this._setStatus("closed");
  }

  /**
   * Replaces the token used by writes and the live connection, and reconnects with it (from the
   * client's epoch and version). This is how to leave status "unauthorized": after the server
   * closed the socket because its token expired, the client waits for a new one.
   */
  setToken(token) {
    this.token = token ?? null;
    if (!this._stopped) this._open();
  }

  /**
   * Declares this client's presence: the server keeps `value` (JSON, at most 1 KiB) under
   * `presence/<connection id>` of the context, for every client to see in {@link presence}, and
   * removes it when this client's connection closes, or its server dies. Sent again on every
   * reconnection (a new connection has a new id); `undefined` stops declaring it from the next one.
   */
  setPresence(value) {
    this._presence = value;
    this._sendPresence();
  }

  /** Who is here: the presence of every live client, by connection id (this one's included). */
  get presence() {
    const entries = this.state?.presence;
    return entries && typeof entries === "object" && !Array.isArray(entries) ? entries : {};
  }

  _sendPresence() {
    const socket = this._socket;
    if (this._presence === undefined || !socket || socket.readyState !== 1) return;
    socket.send(JSON.stringify({ type: "presence", set: this._presence }));
  }

  /** Drops the connection as a network failure would; the client reconnects. For demos and tests. */
  drop() {
    if (this._socket) this._socket.close(4001, "dropped by client");
  }

  // ---- HTTP helpers: writes go through the REST API; their effect comes back over the socket ----

  /**
   * Replaces the whole context. Preconditions (a failed one rejects with status 412, code
   * "version_conflict", currentVersion, currentEpoch; nothing is stored):
   * - ifMatch: true — the context must still be at the epoch and version this client holds (if
   *   it holds "absent": must still be absent); or an ETag string `"<epoch>.<version>"` as the
   *   server sends it; or "*" — the context must exist;
   * - ifNoneMatch: "*" — the context must not exist (create only).
   */
  put(data, { ifMatch, ifNoneMatch } = {}) {
    return this._request("PUT", data, { ifMatch, ifNoneMatch });
  }

  /** Deep-merges changes into the context (maps merge, other values replace); options as put. */
  patch(changes, { ifMatch, ifNoneMatch } = {}) {
    return this._request("PATCH", changes, { ifMatch, ifNoneMatch });
  }

  /** Reads the context: {contextId, version, epoch, insertedAt, data}. */
  get() {
    return this._request("GET");
  }

  /** Deletes the context. */
  delete() {
    return this._request("DELETE");
  }

  async _request(method, body, conditions = {}) {
    const headers = this._conditions(conditions);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    // The new state comes back over the live connection; the write answer need not repeat it.
    if (method === "PUT" || method === "PATCH") headers["Prefer"] = "return=minimal";
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await fetch(`${this.baseUrl}/contexts/${encodeURIComponent(this.contextId)}`, {
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
      error.code = json?.error;
      error.body = json;
      if (res.status === 412) {
        error.currentVersion = json?.currentVersion;
        error.currentEpoch = json?.currentEpoch ?? null;
      }
      throw error;
    }
    return json;
  }

  /** The precondition headers of a write; throws TypeError for a value that is not one. */
  _conditions({ ifMatch, ifNoneMatch }) {
    const hasMatch = ifMatch !== undefined && ifMatch !== null && ifMatch !== false;
    const hasNoneMatch = ifNoneMatch !== undefined && ifNoneMatch !== null;
    if (hasNoneMatch && ifNoneMatch !== "*") {
      throw new TypeError(`ifNoneMatch must be "*" (create only), not ${JSON.stringify(ifNoneMatch)}`);
    }
    if (hasMatch && hasNoneMatch) throw new TypeError("give ifMatch or ifNoneMatch, not both");
    if (hasNoneMatch) return { "If-None-Match": "*" };
    if (!hasMatch) return {};
    if (ifMatch === true) {
      if (this.version === 0) return { "If-None-Match": "*" };
      if (this.etag === null) throw new Error("ifMatch: true needs a client synced with an epoch");
      return { "If-Match": this.etag };
    }
    if (ifMatch === "*" || (typeof ifMatch === "string" && ETAG.test(ifMatch))) {
      return { "If-Match": ifMatch };
    }
    const numeric = /^"?[0-9]+"?$/.test(String(ifMatch));
    throw new TypeError(
      `ifMatch must be true (the epoch and version this client holds), "*", or an ETag as the ` +
        `server sends it, "<epoch>.<version>" with its double quotes (such as client.etag); not ` +
        JSON.stringify(ifMatch) +
        (numeric ? ": a version alone names no state, a re-created context counts from 1 again" : ""),
    );
  }

  // ---- the live connection ----

  _liveUrl() {
    const ws = this.baseUrl.replace(/^http/, "ws");
    const params = new URLSearchParams({ format: this.format });
    if (this.version !== null) params.set("version", String(this.version));
    if (this.epoch !== null) params.set("epoch", this.epoch);
    if (this.token) params.set("token", this.token);
    return `${ws}/contexts/${encodeURIComponent(this.contextId)}/live?${params}`;
  }

  /** Forgets the current socket (its events are ignored from now on) and closes it. */
  _detach(code, reason) {
    const socket = this._socket;
    this._socket = null;
    if (socket) socket.close(code, reason);
  }

  _open() {
    clearTimeout(this._timer);
    this._detach(1000, "reconnecting");
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
        // A patch for a state we do not have: never apply it; sync again from our state.
        socket.close(4000, "out of sequence");
        return;
      }
      if (this.status !== "live") {
        this.attempt = 0;
        this._setStatus("live");
        this._sendPresence();
      }
    };
    socket.onclose = (event) => {
      if (this._socket !== socket) return;
      this._socket = null;
      if (this._stopped) return;
      if (event.code === TOKEN_EXPIRED) {
        // Reconnecting with the same token cannot succeed; setToken() reconnects.
        this._setStatus("unauthorized");
        return;
      }
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

  /** Applies one server message; false if it does not follow from the current state. */
  _receive(message, bytes) {
    const epoch = message.epoch ?? null;
    let state = this.state;
    let changes = 0;
    let reset = false;
    switch (message.type) {
      case "full":
      case "absent":
        state = message.type === "full" ? message.context : {};
        changes = Object.keys(state).length;
        reset = this.version !== null && epoch !== this.epoch;
        break;
      case "no_change":
        if (message.version !== this.version || epoch !== this.epoch) return false;
        break;
      case "patch": {
        // A patch from version 0 while absent creates the context: its epoch is new.
        const creates = this.version === 0 && message.fromVersion === 0;
        if (message.fromVersion !== this.version || (epoch !== this.epoch && !creates)) return false;
        ({ state, changes } = applyDelta(this.state, message.delta, this.format));
        break;
      }
      default:
        return true; // a message type from a newer server: ignore it
    }
    this.state = state;
    this.version = message.version;
    this.epoch = epoch;
    const change = {
      type: message.type,
      version: message.version,
      fromVersion: message.fromVersion,
      epoch,
      reset,
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
