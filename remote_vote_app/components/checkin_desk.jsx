// Election-day check-in desk of a remote precinct's commission. Everything here runs in the browser
// and keeps running when the connection (and with it the Reflex socket) is down:
// - the precinct's roster, signed by the server (JWS, EdDSA/Ed25519), comes with an AES-GCM key tied
//   to the staff session; the roster is kept only as ciphertext and verified with the published key
//   (/api/pass-key) every time it is read (storage: checkin_store.js);
// - a pass (QR code read with jsQR from the camera, or pasted) is verified with WebCrypto Ed25519,
//   then looked up in the roster; a typed reference or document number is looked up directly;
// - "ballot issued" adds a mark with its own id to the device's queue and to its book of marked
//   voters, each write merged under a cross-tab lock so two tabs never drop each other's marks;
//   the queue is sent to the server whenever the connection is there, a mark leaves it only when a
//   200 answer names it, and a failed send is shown with what to do;
// - while online the precinct's marks feed is polled, so a voter marked at another desk is refused
//   here within seconds, and offline double issues (incidents) are shown.
// The rhythm of a desk serving hundreds of voters (scanner, keyboard or one hand on a tablet): scan or
// type, «Найти» (Enter) -> the voter's card takes the focus (its heading, the voter's name, is read) ->
// «Выдать бюллетень» -> «Бюллетень выдан» in the status line and the focus back in the emptied search
// field, ready for the next scan. A refusal keeps the card, with «Следующий избиратель» to go on.
// All texts come in as props (translated on the server).
import { useCallback, useEffect, useRef, useState } from "react";
import { ROSTER_TYPE, verifyJws, verifyPass } from "./pass_verify.js";
import { useQrCamera } from "./qr_camera.js";
import { SERVICE_ZONE, dayIsPast, fill, hhmm as hhmmIn, mergeById, newId, stamp } from "./desk_common.js";
import { decide, issuedTo as issuedBy } from "./checkin_logic.js";
import { DESK_LOCK, holdDeskOpen, loadKey, readJson, seal, slot, storeKey, unseal, wipeDesk, withLock, writeJson }
  from "./checkin_store.js";

const POLL_EVERY_MS = 5000;
const BATCH = 200;
const MARK_ID = /^[A-Za-z0-9_-]{8,64}$/;

const EMPTY_BOOK = { marked: {}, incidents: {}, cursor: "" };

export function CheckinDesk({ labels, rosterUrl, syncUrl, marksUrl, keyUrl, storageKey, precinct, member, lang }) {
  const L = labels || {};
  const sk = storageKey;
  const alive = useRef(true);
  useEffect(() => () => { alive.current = false; }, []);
  const at = (name) => slot(sk, name);
  const [passKey, setPassKey] = useState(() => readJson(at("passkey"), null));
  const [roster, setRoster] = useState(null); // verified payload
  const [online, setOnline] = useState(typeof navigator === "undefined" ? true : navigator.onLine);
  const [queue, setQueue] = useState(() => readJson(at("queue"), []));
  const [invalid, setInvalid] = useState(() => readJson(at("invalid"), []));
  const [outcomes, setOutcomes] = useState([]);
  const [book, setBook] = useState(EMPTY_BOOK);
  const [found, setFound] = useState(null); // {entry, method, version, problem, verified, pass}
  const [message, setMessage] = useState({ kind: "", text: "" });
  const [problem, setProblem] = useState("");
  const [syncProblem, setSyncProblem] = useState(null); // {kind, status}
  const [sessionEnded, setSessionEnded] = useState(false);
  const record = useRef(null); // {key: CryptoKey, kid}
  const syncing = useRef(false);
  const queryField = useRef(null);
  const heading = useRef(null);
  // Where the focus goes once the next screen is drawn: the card's heading, or the emptied search field.
  const [focusOn, setFocusOn] = useState(null);

  // The election's zone (the roster's; a day stored by an earlier version is a Bishkek date).
  const zone = (roster && roster.zone) || SERVICE_ZONE;
  const hhmm = (moment) => hhmmIn(moment, zone);
  const pastDay = () => dayIsPast(readJson(at("day"), ""), readJson(at("zone"), "") || SERVICE_ZONE, Date.now());

  // --- reading what this and the other tabs stored ---
  const readBook = async () => ({ ...EMPTY_BOOK, ...((await unseal(record.current, at("book"))) || {}) });
  // Inside a lock: another tab may have replaced the key since this tab last read it.
  const freshKey = async () => { record.current = await loadKey(sk); return record.current; };

  const refresh = useCallback(async (changed) => {
    setQueue(readJson(at("queue"), []));
    setInvalid(readJson(at("invalid"), []));
    const stored = await loadKey(sk);
    const rekeyed = (stored && stored.kid) !== (record.current && record.current.kid);
    record.current = stored;
    setOutcomes((await unseal(stored, at("outcomes"))) || []);
    setBook(await readBook());
    if (!changed || rekeyed || changed === at("roster") || changed === at("passkey")) {
      const key = readJson(at("passkey"), null);
      setPassKey(key);
      const token = await unseal(stored, at("roster"));
      const data = token && key ? await verifyJws(token, ROSTER_TYPE, key) : null;
      setRoster(data && data.precinct === precinct ? data : null);
      if (token && !data) setProblem(L.roster_invalid);
    }
  }, [sk, precinct]);

  // The session is gone: its key and ciphertext go with it; the queue stays for the next login.
  const endSession = useCallback(async () => {
    setSessionEnded(true);
    await withLock(DESK_LOCK, () => wipeDesk(sk));
    record.current = null;
    setRoster(null);
    setBook(EMPTY_BOOK);
    setOutcomes([]);
  }, [sk]);

  // --- the key and the roster ---
  const fetchPassKey = useCallback(async () => {
    const response = await fetch(keyUrl, { cache: "no-store" });
    const key = await response.json();
    writeJson(at("passkey"), key);
    setPassKey(key);
    return key;
  }, [keyUrl, sk]);

  const downloadRoster = useCallback(async () => {
    setProblem("");
    try {
      const key = await fetchPassKey();
      const response = await fetch(rosterUrl, { cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) { await endSession(); return; }
      if (!response.ok) { setProblem(L.roster_failed); return; }
      const body = await response.json();
      const data = await verifyJws(body.token, ROSTER_TYPE, key);
      if (!data || data.precinct !== precinct || !body.key) { setProblem(L.roster_invalid); return; }
      await withLock(DESK_LOCK, async () => {
        if (!alive.current) return; // the page has left: its data may be wiped already
        // What the old key sealed is read before the new key replaces it, then sealed again.
        const old = await loadKey(sk);
        const oldBook = (await unseal(old, at("book"))) || EMPTY_BOOK;
        const oldOutcomes = (await unseal(old, at("outcomes"))) || [];
        const legacy = readJson(at("marked"), {}); // an earlier version's clear list
        const fresh = await storeKey(sk, body.key);
        record.current = fresh;
        const marked = { ...(oldBook.marked || {}) };
        for (const [ref, mark] of Object.entries(legacy || {})) if (!marked[ref]) marked[ref] = { precinct, ...mark };
        await seal(fresh, at("roster"), body.token);
        // The feed starts where the roster was cut (an older cursor only repeats what the roster says).
        const cursor = oldBook.cursor || (body.cursor === undefined || body.cursor === null ? "" : String(body.cursor));
        await seal(fresh, at("book"), { ...EMPTY_BOOK, ...oldBook, marked, cursor });
        await seal(fresh, at("outcomes"), oldOutcomes);
        writeJson(at("day"), data.day || "");
        writeJson(at("zone"), data.zone || "");
        window.localStorage.removeItem(at("marked"));
      });
      setRoster(data);
      setBook(await readBook());
      setSessionEnded(false);
      setOnline(navigator.onLine);  // an answer that lands after the link dropped says nothing of now
    } catch (e) {
      setOnline(false);
      setProblem(L.roster_failed);
    }
  }, [fetchPassKey, rosterUrl, sk, precinct]);

  // --- the queue ---
  const addToQueue = async (mark, issuedEntry) => withLock(DESK_LOCK, async () => {
    await freshKey();
    writeJson(at("queue"), mergeById(readJson(at("queue"), []), [mark]));
    if (issuedEntry) {
      const current = await readBook();
      if (!current.marked[mark.ref]) {
        current.marked[mark.ref] = { at: mark.at, member: member || "", precinct, mark: mark.id };
      }
      if (record.current) await seal(record.current, at("book"), current);
    }
  });

  // The server answered: the named marks leave the queue (invalid ones are put aside and shown).
  const settle = async (sending, results) => withLock(DESK_LOCK, async () => {
    await freshKey();
    const sent = Object.fromEntries(sending.map((m) => [m.id, m]));
    const answered = results.filter((r) => r && sent[r.id]);
    const named = new Set(answered.map((r) => r.id));
    writeJson(at("queue"), readJson(at("queue"), []).filter((m) => !m || !named.has(m.id)));
    const bad = answered.filter((r) => r.status === "invalid")
      .map((r) => ({ id: r.id, ref: String(sent[r.id].ref || r.ref || ""), at: sent[r.id].at, kind: r.error || r.kind || "" }));
    if (bad.length) writeJson(at("invalid"), mergeById(readJson(at("invalid"), []), bad));
    const refused = answered.filter((r) => r.status === "refused" && sent[r.id].issued);
    if (refused.length && record.current) {
      const shown = (await unseal(record.current, at("outcomes"))) || [];
      await seal(record.current, at("outcomes"), mergeById(refused, shown).slice(0, 50));
    }
    return answered;
  });

  // Marks put aside without an answer naming them (no usable id, or refused alone as a bad request).
  const putAside = async (marks, kind) => withLock(DESK_LOCK, async () => {
    const gone = new Set(marks.map((m) => JSON.stringify(m)));
    writeJson(at("queue"), readJson(at("queue"), []).filter((m) => !gone.has(JSON.stringify(m))));
    writeJson(at("invalid"), mergeById(readJson(at("invalid"), []), marks.map((m) => ({
      id: m && typeof m.id === "string" && MARK_ID.test(m.id) ? m.id : newId(),
      ref: String((m && m.ref) || ""), at: m && m.at, kind }))));
  });

  const post = (marks) => fetch(syncUrl, {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ marks: marks.map(({ name, ...mark }) => mark) }), // an earlier version kept names
  });

  const flush = useCallback(async () => {
    if (syncing.current || !navigator.onLine) return;
    syncing.current = true;
    try {
      await withLock(`${sk}:sync`, async () => {
        const all = readJson(at("queue"), []);
        const unnamed = all.filter((m) => !m || typeof m.id !== "string" || !MARK_ID.test(m.id));
        if (unnamed.length) await putAside(unnamed, "id");
        const sending = all.filter((m) => m && typeof m.id === "string" && MARK_ID.test(m.id)).slice(0, BATCH);
        if (!sending.length) { setSyncProblem(null); return; }
        let response = await post(sending);
        if (response.status === 400 && sending.length > 1) {
          // The batch as a whole was refused: each mark on its own, so one bad mark blocks no other.
          const results = [];
          for (const mark of sending) {
            const single = await post([mark]);
            if (single.status === 400) await putAside([mark], "rejected");
            else if (single.ok) results.push(...((await single.json()).results || []));
            else { response = single; break; }
          }
          await settle(sending, results);
          if (!response.ok && response.status !== 400) throw response;
          setSyncProblem(null);
          return;
        }
        if (response.status === 400) { await putAside(sending, "rejected"); return; }
        if (!response.ok) throw response;
        const { results } = await response.json();
        const answered = await settle(sending, results || []);
        setSessionEnded(false);
        setSyncProblem(null);
        setOnline(navigator.onLine);
        const last = answered.filter((r) => sending.find((m) => m.id === r.id).issued).pop();
        if (last) {
          setMessage(last.status === "issued"
            ? { kind: "ok", text: fill(L.sent_ok, { reference: last.ref }) }
            : last.status === "invalid"
              ? { kind: "alert", text: fill(L.invalid_item, { reference: last.ref, at: "" }) }
              : { kind: "alert", text: refusal(last) });
        }
      }, true);
    } catch (failure) {
      if (failure instanceof Response) {
        if (failure.status === 401) { setSyncProblem({ kind: "login" }); await endSession(); }
        else if (failure.status === 403) setSyncProblem({ kind: "forbidden" });
        else if (failure.status >= 500) setSyncProblem({ kind: "server", status: failure.status });
        else setSyncProblem({ kind: "rejected", status: failure.status });
      } else {
        setOnline(navigator.onLine);
        setSyncProblem({ kind: "network" });
      }
    } finally {
      syncing.current = false;
      setQueue(readJson(at("queue"), []));
      setInvalid(readJson(at("invalid"), []));
      if (record.current) setOutcomes((await unseal(record.current, at("outcomes"))) || []);
    }
  }, [syncUrl, sk]);

  // --- the precinct's marks feed: other desks' marks and incidents ---
  const poll = useCallback(async () => {
    if (!navigator.onLine || !record.current) return;
    try {
      const cursor = (await readBook()).cursor || "";
      const response = await fetch(`${marksUrl}?since=${encodeURIComponent(cursor)}`,
        { cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) { setSyncProblem({ kind: "login" }); await endSession(); return; }
      if (!response.ok) return;
      const feed = await response.json();
      await withLock(DESK_LOCK, async () => {
        if (!alive.current || !await freshKey()) return;
        const current = await readBook();
        for (const mark of feed.issued || []) {
          if (!mark || !mark.ref) continue;
          // The server's record (receipt time, member) replaces this device's own note.
          current.marked[mark.ref] = { at: mark.at, member: mark.member || "", precinct: mark.precinct || precinct, server: true };
        }
        for (const incident of feed.incidents || []) {
          if (!incident || !incident.ref) continue;
          current.incidents[`${incident.ref}|${incident.kind}|${(incident.times || []).join("|")}`] = incident;
        }
        if (feed.cursor !== undefined && feed.cursor !== null) current.cursor = String(feed.cursor);
        await seal(record.current, at("book"), current);
      });
      setBook(await readBook());
      setOnline(navigator.onLine);
    } catch (e) {
      setOnline(navigator.onLine);
    }
  }, [marksUrl, sk]);

  // --- mount: the day, the live session, the other tabs ---
  useEffect(() => {
    let gone = false;
    const release = holdDeskOpen();
    (async () => {
      if (pastDay()) await withLock(DESK_LOCK, () => wipeDesk(sk));
      // An earlier version's clear roster (a bare JWS), pass key slot and voters' names in the queue.
      const legacyRoster = window.localStorage.getItem(at("roster"));
      if (legacyRoster && !legacyRoster.startsWith("{")) window.localStorage.removeItem(at("roster"));
      window.localStorage.removeItem(at("key"));
      await withLock(DESK_LOCK, () => writeJson(at("queue"), readJson(at("queue"), [])
        .map((m) => (m && typeof m === "object" ? (({ name, ...mark }) => mark)(m) : m))));
      await refresh();
      if (gone) return;
      // Online, the roster comes again: a key of an ended session is replaced (or, with a 401, deleted).
      if (navigator.onLine) await downloadRoster();
      await poll();
      await flush();
    })();
    const changed = (event) => {
      if (event.storageArea === window.localStorage && (event.key === null || event.key.startsWith(`${sk}:`))) {
        refresh(event.key);
      }
    };
    window.addEventListener("storage", changed);
    return () => { gone = true; release(); window.removeEventListener("storage", changed); };
  }, []);

  useEffect(() => {
    const up = () => { setOnline(true); poll().then(flush); };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    const every = setInterval(() => {
      // Past midnight after election day (in the election's zone) the roster goes, online or not.
      if (pastDay()) { withLock(DESK_LOCK, () => wipeDesk(sk)).then(() => refresh()); return; }
      if (!navigator.onLine) return;
      poll().then(flush);
    }, POLL_EVERY_MS);
    return () => { window.removeEventListener("online", up); window.removeEventListener("offline", down); clearInterval(every); };
  }, [flush, poll]);

  // --- finding a voter ---
  // Who already has a ballot by this device's knowledge: the roster, the feed, any tab's marks.
  const issuedTo = (ref, entry) => issuedBy({ book, queue, member, precinct }, ref, entry);
  const refusal = (r) => fill(L[`refused_${r.kind}`] || L.refused_repeat, { reference: r.ref,
    precinct: r.first_precinct || "", at: r.first_at || "", member: r.first_member || "" });
  const issuedText = (ref, here) => (here.member
    ? fill(L.issued_by, { reference: ref, at: hhmm(here.at), member: here.member, precinct: here.precinct || precinct })
    : fill(L.refused_repeat, { reference: ref, precinct: here.precinct || precinct, at: hhmm(here.at) }));

  useEffect(() => {
    const target = focusOn === "card" ? heading.current : focusOn === "query" ? queryField.current : null;
    if (target) { target.focus(); setFocusOn(null); }
  }, [focusOn, found]);
  // A voter on screen: the card takes the focus, so a screen reader reads who it is (and any refusal).
  const show = (next) => { setFound(next); setMessage({ kind: "", text: "" }); setFocusOn("card"); };
  // Done with this voter: the search field, emptied, takes the focus for the next scan or number.
  const nextVoter = () => {
    setFound(null);
    if (queryField.current) queryField.current.value = "";
    setFocusOn("query");
  };
  const queueAttempt = async (ref, version, method, reason, pass) => {
    const mark = { id: newId(), ref, v: version, at: Date.now(), method, offline: !navigator.onLine, issued: false, reason };
    if (pass) mark.pass = pass;
    await addToQueue(mark, false);
    setQueue(readJson(at("queue"), []));
    flush();
  };
  // The rules' answer (checkin_logic.js `decide`) shown, and a refusal the server should know of queued.
  const judge = (scan, pass) => {
    const d = decide({ roster, scan, known: { book, queue, member }, now: Date.now() });
    const { entry, method, version, ref } = d;
    const verified = Boolean(pass);
    if (d.outcome === "bad_pass") return show({ entry: null, problem: L.pass_invalid });
    if (d.outcome === "not_listed") return show({ entry: null, problem: fill(L.not_listed, { reference: ref }) });
    if (d.outcome === "other_precinct") {
      show({ entry: null, problem: fill(L.refused_other_precinct, { reference: ref, precinct: d.precinct }) });
      return queueAttempt(ref, version, method, "other_precinct", pass);
    }
    if (d.outcome !== "issue") queueAttempt(ref, version, method, d.outcome, pass);
    const problem = d.outcome === "repeat" ? issuedText(ref, d.here)
      : d.outcome === "issue" ? "" : fill(L[`refused_${d.outcome}`], { reference: ref });
    return show({ entry, method, version, verified, pass, problem });
  };

  const checkPass = async (token) => {
    if (!roster) { setProblem(L.no_roster); return; }
    const pass = token.trim();
    judge({ pass: await verifyPass(pass, passKey) }, pass);
  };

  const find = async (event) => {
    event.preventDefault();
    setProblem("");
    const raw = new FormData(event.target).get("query") || "";
    const text = String(raw).trim();
    if (!roster) { setProblem(L.no_roster); return; }
    if (text.split(".").length === 3) return checkPass(text);
    judge({ text }, null);
  };

  const issue = async () => {
    const { entry, method, version, pass } = found;
    const mark = { id: newId(), ref: entry.ref, v: version, at: Date.now(), method, offline: !navigator.onLine,
      issued: true };
    if (pass) mark.pass = pass;
    // Checked again under the lock: another tab may have marked this voter a moment ago.
    const refused = await withLock(DESK_LOCK, async () => {
      await freshKey();
      const current = await readBook();
      const queued = readJson(at("queue"), []).find((m) => m && m.issued && m.ref === entry.ref);
      const here = current.marked[entry.ref] || (queued && { at: queued.at, member: member || "", precinct });
      if (here) return here;
      writeJson(at("queue"), mergeById(readJson(at("queue"), []), [mark]));
      current.marked[entry.ref] = { at: mark.at, member: member || "", precinct, mark: mark.id };
      if (record.current) await seal(record.current, at("book"), current);
      return null;
    });
    if (refused) {
      setFound({ ...found, problem: issuedText(entry.ref, refused) });
      setFocusOn("card");
      return;
    }
    setQueue(readJson(at("queue"), []));
    setBook(await readBook());
    nextVoter();
    setMessage({ kind: "ok", text: fill(navigator.onLine ? L.issued_sending : L.issued_offline,
      { reference: entry.ref, name: entry.name }) });
    flush();
  };

  // --- the camera ---
  const camera = useQrCamera((text) => {
    checkPass(text);
    return true;
  }, () => setProblem(L.no_camera));
  const { video, scanning, stop: stopCamera } = camera;
  const startCamera = () => {
    setProblem("");
    return camera.start();
  };

  const waiting = queue.filter((m) => m && m.issued).length;
  const attempts = queue.length - waiting;
  // A voter on screen marked meanwhile by another tab or desk loses the "issue" button at once.
  const shownHere = found && found.entry && !found.problem ? issuedTo(found.entry.ref, null) : null;
  const foundProblem = found ? found.problem || (shownHere ? issuedText(found.entry.ref, shownHere) : "") : "";
  const incidents = Object.values(book.incidents || {});
  const syncText = syncProblem ? fill(L[`sync_${syncProblem.kind}`], { count: queue.length, status: syncProblem.status || "" }) : "";
  return (
    <div className="checkin-desk">
      <div className={`checkin-status ${online ? "is-online" : "is-offline"}`} role="status" id="checkin-status">
        <p id="connection-state"><strong>{online ? L.online : L.offline}</strong></p>
        <p id="checkin-queue">{fill(L.queue, { count: waiting })}{attempts ? ` ${fill(L.queue_attempts, { count: attempts })}` : ""}</p>
        <p id="roster-status">{roster
          ? fill(L.roster_ready, { precinct: roster.precinct, count: roster.entries.length,
            at: stamp(roster.generated_at * 1000, lang, zone) })
          : L.roster_missing}</p>
        {sessionEnded && !syncProblem ? <p className="error-text" id="checkin-session">{fill(L.sync_login, { count: queue.length })}</p> : null}
      </div>
      {syncText ? <p className="notice important" role="alert" id="checkin-sync-problem">{syncText}</p> : null}
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
        <input id="checkin-query" name="query" ref={queryField} className="input" autoComplete="off" autoCapitalize="characters"
          spellCheck={false} aria-describedby="checkin-query-hint" />
        <button type="submit" className="button" id="checkin-find">{L.find}</button>
      </form>
      {/* Always in the page, so what is put in it is announced (a live region added with its text may not be). */}
      <div role="status" id="checkin-result" className={message.text ? (message.kind === "alert" ? "notice important" : "notice") : ""}>
        {message.text}</div>
      {found ? (
        <section className="card checkin-voter" id="checkin-voter" aria-labelledby="checkin-voter-heading">
          <h2 id="checkin-voter-heading" tabIndex={-1} ref={heading}>{found.entry ? found.entry.name : L.not_found_title}</h2>
          {found.entry ? (
            <>
              <p className={found.verified ? "badge ok" : "badge"} id="checkin-verified">{found.verified ? L.pass_verified : L.found_in_roster}</p>
              <dl className="summary">
                <div className="summary-row"><dt>{L.reference}</dt><dd>{found.entry.ref}</dd></div>
                <div className="summary-row"><dt>{L.document}</dt><dd id="checkin-document">{found.entry.doc}</dd></div>
                <div className="summary-row"><dt>{L.birth}</dt><dd>{found.entry.birth}</dd></div>
              </dl>
              <p className="hint">{L.compare}</p>
            </>
          ) : null}
          {foundProblem ? <p className="notice important" role="alert" id="checkin-refused">{foundProblem}</p> : null}
          <div className="button-row">
            {foundProblem ? null : <button type="button" className="button" id="issue-ballot" onClick={issue}>{L.issue}</button>}
            <button type="button" className="button secondary" id="checkin-next" onClick={nextVoter}>
              {foundProblem ? L.next : L.cancel}</button>
          </div>
        </section>
      ) : null}
      {incidents.length ? (
        <section className="card" id="checkin-incidents" aria-labelledby="checkin-incidents-heading">
          <h2 id="checkin-incidents-heading">{L.incidents}</h2>
          <ul>
            {incidents.map((r) => (
              <li key={`${r.ref}|${r.kind}|${(r.times || []).join("|")}`}>{fill(L.incident_item, { reference: r.ref,
                member_a: (r.members || [])[0] || "", at_a: hhmm((r.times || [])[0]),
                member_b: (r.members || [])[1] || "", at_b: hhmm((r.times || [])[1]) })}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {invalid.length ? (
        <section className="card" id="checkin-invalid" aria-labelledby="checkin-invalid-heading">
          <h2 id="checkin-invalid-heading">{L.invalid_title}</h2>
          <p className="hint">{L.invalid_hint}</p>
          <ul>
            {invalid.map((m) => <li key={m.id}>{fill(L.invalid_item, { reference: m.ref || "?", at: hhmm(m.at) })}</li>)}
          </ul>
        </section>
      ) : null}
      {outcomes.length ? (
        <section className="card" id="checkin-conflicts" aria-labelledby="checkin-conflicts-heading">
          <h2 id="checkin-conflicts-heading">{L.conflicts}</h2>
          <ul>
            {outcomes.map((r) => <li key={r.id}>{refusal(r)}</li>)}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
