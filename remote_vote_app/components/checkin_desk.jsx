// Election-day check-in desk of a remote precinct's commission. Everything here runs in the browser
// and keeps running when the connection (and with it the Reflex socket) is down:
// - the precinct's roster, signed by the server (JWS, EdDSA/Ed25519), is downloaded into
//   localStorage and verified with the published key (/api/pass-key) every time it is read;
// - a pass (QR code read with jsQR from the camera, or pasted) is verified with WebCrypto Ed25519,
//   then looked up in the roster; a typed reference or PIN (salted SHA-256) is looked up directly;
// - "ballot issued" adds a mark with its own id to a queue in localStorage and to the device's own
//   list of marked voters; the queue is sent to the server (POST, staff cookie) whenever the
//   connection is there, and each mark's answer (issued / refused, conflict) is shown, never dropped.
// All texts come in as props (translated on the server).
import { useCallback, useEffect, useRef, useState } from "react";
import jsQR from "jsqr";
import { ROSTER_TYPE, verifyJws, verifyPass } from "./pass_verify.js";

const SYNC_EVERY_MS = 15000;
const SCAN_EVERY_MS = 200;

const fill = (text, params) => Object.entries(params || {}).reduce((s, [k, v]) => s.split(`{${k}}`).join(String(v)), text || "");
const normRef = (raw) => {
  const t = (raw || "").toUpperCase().replace(/[^A-Z0-9]/g, "");
  return t.length === 8 ? `${t.slice(0, 4)}-${t.slice(4)}` : t;
};
const load = (key, fallback) => {
  try {
    const raw = window.localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch (e) {
    return fallback;
  }
};
const save = (key, value) => window.localStorage.setItem(key, JSON.stringify(value));
const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

async function sha256hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function CheckinDesk({ labels, rosterUrl, syncUrl, keyUrl, storageKey, precinct }) {
  const L = labels || {};
  const k = (name) => `${storageKey}:${name}`;
  const [jwk, setJwk] = useState(() => load(k("key"), null));
  const [roster, setRoster] = useState(null); // verified payload
  const [online, setOnline] = useState(typeof navigator === "undefined" ? true : navigator.onLine);
  const [queue, setQueue] = useState(() => load(k("queue"), []));
  const [marked, setMarked] = useState(() => load(k("marked"), {}));
  const [outcomes, setOutcomes] = useState(() => load(k("outcomes"), []));
  const [found, setFound] = useState(null); // {entry, method, version, problem, verified}
  const [message, setMessage] = useState({ kind: "", text: "" });
  const [problem, setProblem] = useState("");
  const [scanning, setScanning] = useState(false);
  const [sessionEnded, setSessionEnded] = useState(false);
  const queueRef = useRef(queue);
  const syncing = useRef(false);
  const video = useRef(null);
  const stream = useRef(null);
  const timer = useRef(null);

  const putQueue = (next) => { queueRef.current = next; save(k("queue"), next); setQueue(next); };

  // --- the key and the roster ---
  const fetchKey = useCallback(async () => {
    const response = await fetch(keyUrl, { cache: "no-store" });
    const key = await response.json();
    save(k("key"), key);
    setJwk(key);
    return key;
  }, [keyUrl, storageKey]);

  const openRoster = useCallback(async (token, key) => {
    const data = await verifyJws(token, ROSTER_TYPE, key);
    if (!data || data.precinct !== precinct) return null;
    setRoster(data);
    return data;
  }, [precinct]);

  const downloadRoster = useCallback(async () => {
    setProblem("");
    try {
      const key = await fetchKey();
      const response = await fetch(rosterUrl, { cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) { setSessionEnded(true); return; }
      if (!response.ok) { setProblem(L.roster_failed); return; }
      const body = await response.json();
      if (await openRoster(body.token, key)) {
        window.localStorage.setItem(k("roster"), body.token);
        setOnline(true);
      } else {
        setProblem(L.roster_invalid);
      }
    } catch (e) {
      setOnline(false);
      setProblem(L.roster_failed);
    }
  }, [fetchKey, openRoster, rosterUrl, storageKey]);

  useEffect(() => {
    (async () => {
      const stored = window.localStorage.getItem(k("roster"));
      const key = load(k("key"), null);
      if (stored && key && await openRoster(stored, key)) return;
      if (stored) setProblem(L.roster_invalid);
      if (navigator.onLine) await downloadRoster();
    })();
  }, []);

  // --- the queue ---
  const flush = useCallback(async () => {
    if (syncing.current || queueRef.current.length === 0) return;
    syncing.current = true;
    const sending = queueRef.current.slice(0, 200);
    try {
      const response = await fetch(syncUrl, {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ marks: sending.map(({ name, ...mark }) => mark) }),
      });
      if (response.status === 401) { setSessionEnded(true); return; }
      if (!response.ok) return;
      setSessionEnded(false);
      setOnline(true);
      const { results } = await response.json();
      const answered = new Set(results.map((r) => r.id));
      putQueue(queueRef.current.filter((m) => !answered.has(m.id)));
      const byId = Object.fromEntries(sending.map((m) => [m.id, m]));
      const news = results.filter((r) => byId[r.id]).map((r) => ({ ...r, name: byId[r.id].name, issued: byId[r.id].issued }));
      const refused = news.filter((r) => r.status === "refused" && r.issued);
      if (refused.length) {
        const shown = load(k("outcomes"), []);
        const next = [...refused, ...shown].slice(0, 50);
        save(k("outcomes"), next);
        setOutcomes(next);
      }
      const last = news[news.length - 1];
      if (last && last.issued) {
        setMessage(last.status === "issued"
          ? { kind: "ok", text: fill(L.sent_ok, { reference: last.ref }) }
          : { kind: "alert", text: fill(L[`refused_${last.kind}`] || L.refused_repeat, { reference: last.ref,
              precinct: last.first_precinct || "", at: last.first_at || "" }) });
      }
    } catch (e) {
      setOnline(false);
    } finally {
      syncing.current = false;
    }
  }, [syncUrl, storageKey]);

  useEffect(() => {
    const up = () => { setOnline(true); flush(); };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    const every = setInterval(() => { if (navigator.onLine) flush(); }, SYNC_EVERY_MS);
    flush();
    return () => { window.removeEventListener("online", up); window.removeEventListener("offline", down); clearInterval(every); };
  }, [flush]);

  // --- finding a voter ---
  const entries = roster ? roster.entries : [];
  const show = (next) => { setFound(next); setMessage({ kind: "", text: "" }); };
  const queueAttempt = (entry, version, method, reason) => {
    putQueue([...queueRef.current, { id: newId(), ref: entry.ref, v: version, at: Date.now(), method,
      offline: !navigator.onLine, issued: false, reason, name: entry.name }]);
    flush();
  };
  const judge = (entry, version, method, verified) => {
    const here = marked[entry.ref];
    if (entry.issued || here) {
      queueAttempt(entry, version, method, "repeat");
      return show({ entry, method, version, verified,
        problem: fill(L.refused_repeat, { reference: entry.ref, precinct: (here && here.precinct) || precinct,
          at: (here && here.at) || entry.issued_at || "" }) });
    }
    if (version !== entry.v) {
      queueAttempt(entry, version, method, "stale");
      return show({ entry, method, version, verified, problem: fill(L.refused_stale, { reference: entry.ref }) });
    }
    show({ entry, method, version, verified, problem: "" });
  };

  const checkPass = async (token) => {
    if (!roster) { setProblem(L.no_roster); return; }
    const claims = await verifyPass(token, jwk);
    if (!claims) { show({ entry: null, problem: L.pass_invalid }); return; }
    if (claims.precinct !== roster.precinct) {
      show({ entry: null, problem: fill(L.refused_other_precinct, { reference: claims.ref, precinct: claims.precinct }) });
      const entry = { ref: claims.ref, name: "" };
      queueAttempt(entry, claims.v, "qr", "other_precinct");
      return;
    }
    const entry = entries.find((e) => e.ref === claims.ref && e.election === claims.election);
    if (!entry) { show({ entry: null, problem: fill(L.not_listed, { reference: claims.ref }) }); return; }
    judge(entry, claims.v, "qr", true);
  };

  const find = async (event) => {
    event.preventDefault();
    setProblem("");
    const raw = new FormData(event.target).get("query") || "";
    const text = String(raw).trim();
    if (!roster) { setProblem(L.no_roster); return; }
    if (text.split(".").length === 3) return checkPass(text);
    const digits = text.replace(/\s/g, "");
    let entry = null;
    let method = "reference";
    if (/^[12]\d{13}$/.test(digits)) {
      const hash = await sha256hex(`${roster.salt}:${digits}`);
      entry = entries.find((e) => e.pin_hash === hash);
      method = "pin";
    } else {
      entry = entries.find((e) => e.ref === normRef(text));
    }
    if (!entry) { show({ entry: null, problem: fill(L.not_listed, { reference: text }) }); return; }
    judge(entry, entry.v, method, false);
  };

  const issue = () => {
    const { entry, method, version } = found;
    const at = new Date();
    const mark = { id: newId(), ref: entry.ref, v: version, at: at.getTime(), method, offline: !navigator.onLine,
      issued: true, name: entry.name };
    const when = at.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
    const nextMarked = { ...marked, [entry.ref]: { at: when, precinct } };
    save(k("marked"), nextMarked);
    setMarked(nextMarked);
    putQueue([...queueRef.current, mark]);
    setFound(null);
    setMessage({ kind: "ok", text: fill(navigator.onLine ? L.issued_sending : L.issued_offline, { reference: entry.ref }) });
    flush();
  };

  // --- the camera ---
  const stopCamera = () => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    if (stream.current) stream.current.getTracks().forEach((t) => t.stop());
    stream.current = null;
    setScanning(false);
  };
  useEffect(() => stopCamera, []);

  const startCamera = async () => {
    setProblem("");
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      setProblem(L.no_camera);
      return;
    }
    setScanning(true);
    const v = video.current;
    v.srcObject = stream.current;
    await v.play().catch(() => {});
    const canvas = document.createElement("canvas");
    timer.current = setInterval(() => {
      if (!v.videoWidth) return;
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(v, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        stopCamera();
        checkPass(code.data);
      }
    }, SCAN_EVERY_MS);
  };

  const waiting = queue.filter((m) => m.issued).length;
  const attempts = queue.length - waiting;
  return (
    <div className="checkin-desk">
      <div className={`checkin-status ${online ? "is-online" : "is-offline"}`} role="status" id="checkin-status">
        <p id="connection-state"><strong>{online ? L.online : L.offline}</strong></p>
        <p id="checkin-queue">{fill(L.queue, { count: waiting })}{attempts ? ` ${fill(L.queue_attempts, { count: attempts })}` : ""}</p>
        <p id="roster-status">{roster
          ? fill(L.roster_ready, { precinct: roster.precinct, count: roster.entries.length,
            at: new Date(roster.generated_at * 1000).toLocaleString("ru-RU") })
          : L.roster_missing}</p>
        {sessionEnded ? <p className="error-text" id="checkin-session">{L.session_ended}</p> : null}
      </div>
      <div className="button-row">
        <button type="button" className="button secondary" id="download-roster" onClick={downloadRoster}>{L.download_roster}</button>
        {scanning
          ? <button type="button" className="button secondary" id="stop-camera" onClick={stopCamera}>{L.stop_camera}</button>
          : <button type="button" className="button" id="start-camera" onClick={startCamera}>{L.scan}</button>}
      </div>
      {problem ? <p className="error-text" role="alert" id="checkin-problem">{problem}</p> : null}
      <video ref={video} muted playsInline className="checkin-video" hidden={!scanning} aria-label={L.camera} />
      <form onSubmit={find} className="checkin-find" noValidate>
        <label htmlFor="checkin-query" className="label">{L.query}</label>
        <p className="hint" id="checkin-query-hint">{L.query_hint}</p>
        <input id="checkin-query" name="query" className="input" autoComplete="off" aria-describedby="checkin-query-hint" />
        <button type="submit" className="button" id="checkin-find">{L.find}</button>
      </form>
      {message.text
        ? <p className={message.kind === "alert" ? "notice important" : "notice"} role={message.kind === "alert" ? "alert" : "status"}
            id="checkin-result">{message.text}</p>
        : null}
      {found ? (
        <section className="card checkin-voter" id="checkin-voter" aria-labelledby="checkin-voter-heading">
          <h2 id="checkin-voter-heading" tabIndex={-1}>{found.entry ? found.entry.name : L.not_found_title}</h2>
          {found.entry ? (
            <>
              <p className={found.verified ? "badge ok" : "badge"} id="checkin-verified">{found.verified ? L.pass_verified : L.found_in_roster}</p>
              <dl className="summary">
                <div className="summary-row"><dt>{L.reference}</dt><dd>{found.entry.ref}</dd></div>
                <div className="summary-row"><dt>{L.pin}</dt><dd>{found.entry.pin}</dd></div>
                <div className="summary-row"><dt>{L.document}</dt><dd id="checkin-document">{found.entry.doc}</dd></div>
                <div className="summary-row"><dt>{L.birth}</dt><dd>{found.entry.birth}</dd></div>
              </dl>
              <p className="hint">{L.compare}</p>
            </>
          ) : null}
          {found.problem
            ? <p className="notice important" role="alert" id="checkin-refused">{found.problem}</p>
            : <div className="button-row">
                <button type="button" className="button" id="issue-ballot" onClick={issue}>{L.issue}</button>
                <button type="button" className="button secondary" onClick={() => setFound(null)}>{L.cancel}</button>
              </div>}
        </section>
      ) : null}
      {outcomes.length ? (
        <section className="card" id="checkin-conflicts" aria-labelledby="checkin-conflicts-heading">
          <h2 id="checkin-conflicts-heading">{L.conflicts}</h2>
          <ul>
            {outcomes.map((r) => (
              <li key={r.id}>{r.ref} {r.name ? `(${r.name})` : ""}: {fill(L[`refused_${r.kind}`] || L.refused_repeat,
                { reference: r.ref, precinct: r.first_precinct || "", at: r.first_at || "" })}</li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
