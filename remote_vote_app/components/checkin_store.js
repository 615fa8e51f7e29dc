// Where the check-in desk keeps its data in the browser, shared by the desk (checkin_desk.jsx) and
// the wipe that runs on the staff login page (checkin_wipe.jsx).
//
// - The AES-GCM key comes with the roster from the server, tied to the staff session. It is imported
//   as a NON-extractable CryptoKey and kept in IndexedDB (so an offline reload of the desk still reads
//   its data); scripts can use it but never read its bytes.
// - The roster and the device's book (marked voters, incidents, the feed's cursor) are stored in
//   localStorage only as AES-GCM ciphertext under that key, bound to their slot name.
// - The queue of marks not yet answered by the server and the marks it called invalid stay in clear:
//   they carry references, times and passes (reference, election, precinct, version), no name or
//   document, and must survive the end of a session ("log in again, your marks are kept").
// - Logout (the login page), a 401 from the server and the end of the roster's election day delete
//   the key and every ciphertext; the queue is kept until the server has answered each mark.
// - Every write is a read-merge-write under a cross-tab lock (navigator.locks); other tabs see the
//   write through the `storage` event.

export const PREFIX = "rv-checkin:";
const DB_NAME = "rv-checkin";
const STORE = "keys";
// Slots that hold personal data (ciphertext) or say something about it; deleted with the key.
const SECRET_SLOTS = ["roster", "book", "day", "zone", "outcomes"];
// Slots of earlier versions that held the roster, the marked list and the pass key in clear.
const LEGACY_SLOTS = ["marked", "key"];

export const b64uDecode = (s) => {
  const t = String(s).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(t + "===".slice((t.length + 3) % 4)), (c) => c.charCodeAt(0));
};
const b64Encode = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const b64Decode = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

// --- plain slots ---
export const slot = (sk, name) => `${sk}:${name}`;
export function readJson(key, fallback) {
  try {
    const raw = window.localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch (e) {
    return fallback;
  }
}
export const writeJson = (key, value) => window.localStorage.setItem(key, JSON.stringify(value));

// One writer at a time across this origin's tabs; `ifAvailable` returns null when another holds it.
export async function withLock(name, fn, ifAvailable = false) {
  if (typeof navigator !== "undefined" && navigator.locks && navigator.locks.request) {
    return navigator.locks.request(name, ifAvailable ? { ifAvailable: true } : {}, (lock) => (lock ? fn() : null));
  }
  return fn();
}

// --- the key in IndexedDB ---
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function inStore(mode, work) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close(); // an open connection would block deleteDatabase at logout
  }
}

// {key: CryptoKey, kid} of this desk, or null.
export async function loadKey(sk) {
  try {
    const found = await inStore("readonly", (store) => store.get(sk));
    return found && found.key ? found : null;
  } catch (e) {
    return null;
  }
}

async function fingerprint(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Imports the server's base64url key as a non-extractable AES-GCM key and keeps it for this desk.
export async function storeKey(sk, raw) {
  const bytes = b64uDecode(raw);
  if (bytes.length !== 32) throw new Error("key");
  const key = await crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const record = { key, kid: await fingerprint(bytes) };
  bytes.fill(0);
  await inStore("readwrite", (store) => store.put(record, sk));
  return record;
}

// --- ciphertext slots ---
export async function seal(record, key, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(JSON.stringify(value));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(key) },
    record.key, data);
  window.localStorage.setItem(key, JSON.stringify({ kid: record.kid, iv: b64Encode(iv), ct: b64Encode(ct) }));
}

// The value sealed in slot `key`, or null (missing, another key, tampered).
export async function unseal(record, key) {
  const box = readJson(key, null);
  if (!record || !box || box.kid !== record.kid || !box.iv || !box.ct) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: b64Decode(box.iv),
      additionalData: new TextEncoder().encode(key) }, record.key, b64Decode(box.ct));
    return JSON.parse(new TextDecoder().decode(plain));
  } catch (e) {
    return null;
  }
}

// --- deletion ---
// Deletes one desk's key and ciphertext (and the clear slots of earlier versions); keeps its queue.
export async function wipeDesk(sk) {
  for (const name of [...SECRET_SLOTS, ...LEGACY_SLOTS]) window.localStorage.removeItem(slot(sk, name));
  try {
    await inStore("readwrite", (store) => store.delete(sk));
  } catch (e) {
    // no database yet: nothing to delete
  }
}

// Every desk's key and ciphertext on this browser (the staff login page: after logout or expiry).
// Every write of a desk's data, and the wipe, take this one lock: a desk write still in flight when
// the page leaves (a roster download, say) finishes before the wipe, or sees the desk gone and stops.
export const DESK_LOCK = "rv-checkin:data";

export async function wipeAllDesks() {
  return withLock(DESK_LOCK, wipeAllDesksNow);
}

async function wipeAllDesksNow() {
  const keys = [];
  for (let i = 0; i < window.localStorage.length; i += 1) keys.push(window.localStorage.key(i));
  for (const key of keys) {
    if (!key || !key.startsWith(PREFIX)) continue;
    const name = key.slice(key.lastIndexOf(":") + 1);
    if (SECRET_SLOTS.includes(name) || LEGACY_SLOTS.includes(name)) window.localStorage.removeItem(key);
  }
  await new Promise((resolve) => {
    try {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    } catch (e) {
      resolve();
    }
  });
}

// --- open desks ---
const OPEN_LOCK = "rv-checkin:desk-open";

// Held (shared) by every open desk tab until it closes; returns the release function.
export function holdDeskOpen() {
  if (typeof navigator === "undefined" || !navigator.locks || !navigator.locks.request) return () => {};
  let release = () => {};
  const held = new Promise((resolve) => { release = resolve; });
  navigator.locks.request(OPEN_LOCK, { mode: "shared" }, () => held);
  return release;
}

// Resolves once no desk page is open in this browser (at once where Web Locks are missing): a desk
// page being left still holds its share for a moment, and its last writes come before the wipe.
export function noDeskOpen() {
  if (typeof navigator === "undefined" || !navigator.locks || !navigator.locks.request) return Promise.resolve();
  return navigator.locks.request(OPEN_LOCK, { mode: "exclusive" }, () => null);
}
