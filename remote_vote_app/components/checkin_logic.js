// The check-in desk's rules, as pure functions (no DOM, no storage, no clock of their own), so the
// desk (checkin_desk.jsx) and node (tests/unit/test_checkin_rules.py, over tests/cases/checkin_rules.json)
// run the same code. The server decides again (services/election_day/checkin.py `decide`); the
// shared cases keep the two in step.

import { DOCUMENT, dayIn, normDoc, timeIn } from "./desk_common.js";

export const normRef = (raw) => {
  const t = (raw || "").toUpperCase().replace(/[^A-Z0-9]/g, "");
  return t.length === 8 ? `${t.slice(0, 4)}-${t.slice(4)}` : t;
};

// Before the polls open, in the election's zone: the roster's `opens` ("HH:MM", the opening time less
// the server's clock slack; empty in demo mode, which takes marks on any day) on its `day`.
export const tooEarly = (roster, now) => {
  if (!roster.opens || !roster.day) return false;
  const today = dayIn(roster.zone, now);
  return today < roster.day || (today === roster.day && timeIn(roster.zone, now) < roster.opens);
};

// Who already has a ballot by this device's knowledge: its book (own marks and the feed's), its
// queue (marks not yet answered), the roster's own word.
export function issuedTo({ book, queue, member, precinct }, ref, entry) {
  const noted = book && book.marked ? book.marked[ref] : null;
  if (noted) return noted;
  const queued = (queue || []).find((m) => m && m.issued && m.ref === ref);
  if (queued) return { at: queued.at, member: member || "", precinct };
  if (entry && entry.issued) return { at: entry.issued_at, member: "", precinct };
  return null;
}

// A typed reference or document number in the roster: {entry, method}.
export function lookup(entries, text) {
  const doc = normDoc(text);
  if (DOCUMENT.test(doc)) return { entry: entries.find((e) => normDoc(e.doc) === doc) || null, method: "document" };
  return { entry: entries.find((e) => e.ref === normRef(text)) || null, method: "reference" };
}

// What the desk answers for a scan: `scan` is {pass: claims} for a pass read (its verified claims, or
// null when it is not genuine) or {text} for a typed reference or document number; `known` is what
// `issuedTo` reads; `now` epoch ms. Outcomes, in the order the server checks them: "bad_pass",
// "other_precinct", "not_listed", "repeat", "stale", "too_early", "issue".
export function decide({ roster, scan, known, now }) {
  const entries = roster.entries || [];
  let entry;
  let method;
  let version;
  if ("pass" in scan) {
    const claims = scan.pass;
    if (!claims) return { outcome: "bad_pass", method: "qr" };
    method = "qr";
    version = claims.v;
    if (claims.precinct !== roster.precinct) {
      return { outcome: "other_precinct", ref: claims.ref, version, method, precinct: claims.precinct };
    }
    entry = entries.find((e) => e.ref === claims.ref && e.election === claims.election) || null;
    if (!entry) return { outcome: "not_listed", ref: claims.ref, version, method };
  } else {
    ({ entry, method } = lookup(entries, scan.text));
    if (!entry) return { outcome: "not_listed", ref: scan.text, method };
    version = entry.v;
  }
  const found = { entry, ref: entry.ref, version, method };
  const here = issuedTo({ ...known, precinct: roster.precinct }, entry.ref, entry);
  if (here) return { ...found, outcome: "repeat", here };
  if (version !== entry.v) return { ...found, outcome: "stale" };
  if (tooEarly(roster, now)) return { ...found, outcome: "too_early" };
  return { ...found, outcome: "issue" };
}
