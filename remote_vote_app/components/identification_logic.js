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
