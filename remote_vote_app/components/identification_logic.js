// The identification desk's rules that run in the browser, as pure functions (no DOM, no storage), so
// the desk (identification_desk.jsx) and node (tests/unit/test_identification_logic.py) run the same
// code: reading what a camera or a card reader gives, and the answer the device gives on its own
// while the link is down. The server decides everything else.

import { DOCUMENT } from "./desk_common.js";

export const PIN = /^[12]\d{13}$/;
export const normPin = (raw) => String(raw || "").replace(/\D/g, "");

// ICAO 9303 check digit (weights 7, 3, 1; "<" counts 0, letters A=10 … Z=35).
export function mrzCheck(field) {
  let sum = 0;
  [...String(field)].forEach((c, i) => {
    const value = c === "<" ? 0 : /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55;
    sum += value * [7, 3, 1][i % 3];
  });
  return sum % 10;
}

// {pin, document} read from a card's text, or null when it carries no valid pair:
// - the first line of the ID card's machine-readable zone (TD1), as a keyboard-wedge MRZ reader
//   types it: "IDKGZ" + document number (9) + its check digit + optional data, which on a Kyrgyz
//   ID card begins with the PIN;
// - any other text (the «Түндүк» e-passport QR, say) naming a PIN and a document number, as JSON
//   fields or as plain text.
export function readCard(text) {
  const raw = String(text || "").toUpperCase();
  const mrz = raw.replace(/\s/g, "").match(/^I[A-Z<]KGZ([A-Z0-9<]{9})(\d)(\d{14})/);
  if (mrz) {
    const document = mrz[1].replace(/</g, "");
    if (mrzCheck(mrz[1]) !== Number(mrz[2]) || !DOCUMENT.test(document) || !PIN.test(mrz[3])) return null;
    return { pin: mrz[3], document, source: "mrz" };
  }
  const pins = raw.match(/(?<!\d)[12]\d{13}(?!\d)/g) || [];
  const documents = raw.match(/(?<![A-Z0-9])[A-Z]{2}\d{7}(?![A-Z0-9])/g) || [];
  if (new Set(pins).size !== 1 || new Set(documents).size !== 1) return null; // none, or ambiguous
  return { pin: pins[0], document: documents[0], source: "qr" };
}

// Not 18 on election day (ISO date), by the birth date the PIN carries (digits 2-9: DDMMYYYY); the
// 18th birthday itself counts as 18.
export function underAge(pin, electionDay) {
  const m = String(pin || "").match(/^[12](\d{2})(\d{2})(\d{4})/);
  if (!m || !electionDay) return false;
  return `${Number(m[3]) + 18}-${m[2]}-${m[1]}` > String(electionDay);
}

// What the device answers with no link, from its own knowledge only:
// - entry: the voter's row in the precinct's list kept on the device (or null: not a voter of this precinct);
// - marked: this device's own record of a ballot it gave the voter (or null);
// - policy: the election's offline policy, "provisional" or "wait"; listReady: the list is on the device;
// - pin, electionDay: for the age on election day.
// Outcomes: "voted_here" | "voted_list" | "under_age" | "issue_home" | "provisional" | "wait" | "no_list".
export function decideOffline({ entry, marked, policy, listReady, pin, electionDay }) {
  if (marked) return { outcome: "voted_here", at: marked.at };
  if (entry && entry.voted) return { outcome: "voted_list" };
  if (underAge(pin, electionDay)) return { outcome: "under_age" };
  if (entry) return { outcome: "issue_home" };
  if (policy === "provisional") return { outcome: "provisional" };
  return { outcome: listReady ? "wait" : "no_list" };
}

// --- crypto (WebCrypto, the same in the browser and in node) ---
const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_")
  .replace(/=+$/, "");
const unb64u = (text) => {
  const t = String(text).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(t + "===".slice((t.length + 3) % 4)), (c) => c.charCodeAt(0));
};
const utf8 = (text) => new TextEncoder().encode(text);

// The voter's identifier in the precinct's list: HMAC-SHA256 under the list's key (hex) of
// "PIN:DOCUMENT", hex (services/identification.identifier): the list holds no PIN or document.
export async function voterKey(hexKey, pin, document) {
  const raw = Uint8Array.from((hexKey.match(/../g) || []).map((h) => parseInt(h, 16)));
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`${pin}:${document}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

// An offline mark's PIN and document sealed to the server's public key (services/identification
// `open_mark`): ECDH P-256 with a one-time key, HKDF-SHA256 bound to the mark's id, AES-256-GCM.
// The device cannot open it again, so a mark waiting for the link holds nothing readable.
export async function sealMark(serverKey, markId, pin, document) {
  const server = await crypto.subtle.importKey("raw", unb64u(serverKey), { name: "ECDH", namedCurve: "P-256" },
    false, []);
  const mine = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: server }, mine.privateKey, 256);
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(`identification-mark:${markId}`) },
    hkdf, { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(markId) }, key,
    utf8(JSON.stringify({ pin, document })));
  return { epk: b64u(await crypto.subtle.exportKey("raw", mine.publicKey)), iv: b64u(iv), ct: b64u(ct) };
}
