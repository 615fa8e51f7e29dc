// Election-day desk of a precinct commission in an election run under the 2025 law (identification
// mode): the member types (or the camera / a card reader gives) the voter's PIN and document number,
// the server answers with the voter, the home precinct and district and one decision, and "issue
// ballot" is the server's atomic decision (web/identification.py). Talks plain HTTP, not the Reflex
// socket, so it keeps working through a dropped link:
// - the precinct's own list comes with an AES-GCM key tied to the staff session and is kept only as
//   ciphertext (checkin_store.js, the same storage, cross-tab lock and logout wipe as the
//   application-mode desk); with no link a voter of this precinct is checked against it;
// - a voter of another precinct, with no link, follows the election's offline policy: "wait" for the
//   link, or "provisional": a mark queued on the device, checked by the server when the link returns;
// - every ballot given with no link is a mark in the device's queue (each write merged under the
//   lock, so two tabs never drop each other's marks), sent to the server whenever the link is there;
//   a mark leaves the queue only when an answer names it. Conflicts come back and are shown.
// All texts come in as props (translated on the server).
import { useCallback, useEffect, useRef, useState } from "react";
import { useQrCamera } from "./qr_camera.js";
import { DOCUMENT, SERVICE_ZONE, dayIsPast, fill, hhmm as hhmmIn, mergeById, newId, normDoc, stamp } from "./desk_common.js";
import { DESK_LOCK, holdDeskOpen, loadKey, readJson, seal, slot, storeKey, unseal, wipeDesk, withLock, writeJson }
  from "./checkin_store.js";
import { PIN, decideOffline, normPin, readCard, sealMark, voterKey } from "./identification_logic.js";

const SYNC_EVERY_MS = 5000;
const BATCH = 200;
const EMPTY_BOOK = { marked: {} };

class Offline extends Error {}

// A text the server gives in every language ({ru, ky, en}), in the member's.
const inLang = (texts, lang) => (texts ? texts[lang] || texts.ru || "" : "");

export function IdentificationDesk({ labels, checkUrl, issueUrl, syncUrl, listUrl, storageKey, sealKey, precinct,
  member, policy, lang, electionDay, zone: electionZone, districts, ownDistrict }) {
  // Days and hours in the election's zone (services/clock.py `zone(election)`).
  const zone = electionZone || SERVICE_ZONE;
  const hhmm = (moment) => hhmmIn(moment, zone);
  const pastDay = () => dayIsPast(readJson(slot(storageKey, "day"), ""), zone, Date.now());
  const L = labels || {};
  const homeNumber = ownDistrict || ""; // this precinct's district: the ballot of a voter at the home precinct
  const sk = storageKey;
  const at = (name) => slot(sk, name);
  const alive = useRef(true);
  const record = useRef(null); // {key: CryptoKey, kid}
  const syncing = useRef(false);
  const pinField = useRef(null);
  const heading = useRef(null);
  const [online, setOnline] = useState(typeof navigator === "undefined" ? true : navigator.onLine);
  const [list, setList] = useState(null);
  const [book, setBook] = useState(EMPTY_BOOK);
  const [queue, setQueue] = useState(() => readJson(at("queue"), []));
  const [outcomes, setOutcomes] = useState([]);
  const [pin, setPin] = useState("");
  const [documentNumber, setDocumentNumber] = useState("");
  const [errors, setErrors] = useState({});
  const [card, setCard] = useState(null); // {answer, offline, pin, document, key}
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState({ kind: "", text: "" });
  const [problem, setProblem] = useState("");
  const [syncProblem, setSyncProblem] = useState(null);
  const [district, setDistrict] = useState("");
  useEffect(() => () => { alive.current = false; }, []);

  // --- the server ---
  const call = async (url, body) => {
    let response;
    try {
      response = await fetch(url, body === undefined ? { cache: "no-store", credentials: "same-origin" } : {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (e) {
      throw new Offline();
    }
    if (response.status === 401) { await endSession(); throw response; }
    if (!response.ok) throw response;
    setOnline(navigator.onLine);  // an answer that lands after the link dropped says nothing of now
    return response.json();
  };

  // --- what this and the other tabs stored ---
  const readBook = async () => ({ ...EMPTY_BOOK, ...((await unseal(record.current, at("book"))) || {}) });
  const freshKey = async () => { record.current = await loadKey(sk); return record.current; };
  const refresh = useCallback(async () => {
    setQueue(readJson(at("queue"), []));
    record.current = await loadKey(sk);
    const stored = await unseal(record.current, at("roster"));
    setList(stored && stored.precinct === precinct ? stored : null);
    setBook(await readBook());
    setOutcomes((await unseal(record.current, at("outcomes"))) || []);
  }, [sk, precinct]);

  // The session is gone: its key and ciphertext go with it; the queue stays for the next login.
  const endSession = useCallback(async () => {
    setSyncProblem({ kind: "login" });
    await withLock(DESK_LOCK, () => wipeDesk(sk));
    record.current = null;
    setList(null);
    setBook(EMPTY_BOOK);
    setOutcomes([]);
  }, [sk]);

  const downloadList = useCallback(async () => {
    setProblem("");
    try {
      const body = await call(listUrl);
      if (!body || !body.storage_key || !body.key || !Array.isArray(body.voters)) {
        setProblem(L.list_failed);
        return;
      }
      const { storage_key: key, ...payload } = body;
      payload.precinct = precinct;
      await withLock(DESK_LOCK, async () => {
        if (!alive.current) return; // the page has left: its data may be wiped already
        const old = await loadKey(sk);
        const oldBook = (await unseal(old, at("book"))) || EMPTY_BOOK;
        const oldOutcomes = (await unseal(old, at("outcomes"))) || [];
        const fresh = await storeKey(sk, key);
        record.current = fresh;
        await seal(fresh, at("roster"), { ...payload, downloaded_at: Date.now() });
        await seal(fresh, at("book"), oldBook);
        await seal(fresh, at("outcomes"), oldOutcomes);
        writeJson(at("day"), electionDay || "");
      });
      await refresh();
    } catch (failure) {
      if (!(failure instanceof Response && failure.status === 401)) setProblem(L.list_failed);
      if (failure instanceof Offline) setOnline(false);
    }
  }, [listUrl, sk, precinct]);

  // --- the queue of marks made with no link ---
  const settle = async (sending, results) => withLock(DESK_LOCK, async () => {
    await freshKey();
    const sent = Object.fromEntries(sending.map((m) => [m.id, m]));
    const answered = results.filter((r) => r && sent[r.mark_id]);
    const named = new Set(answered.map((r) => r.mark_id));
    writeJson(at("queue"), readJson(at("queue"), []).filter((m) => !m || !named.has(m.id)));
    // The voter's name is in the device's book (ciphertext), found by the mark's id: the queue holds none.
    const byMark = Object.fromEntries(Object.values((await readBook()).marked).map((e) => [e.mark, e]));
    // A ballot of another district than the register's is an incident too (the server counts the register's).
    const conflicts = answered.filter((r) => r.outcome === "conflict" || r.outcome === "wrong_district").map((r) => ({
      id: r.mark_id, reason: r.outcome === "wrong_district" ? "wrong_district" : r.reason || "",
      claimed: r.claimed_district == null ? "?" : r.claimed_district, district: r.district || "",
      name: (byMark[r.mark_id] || {}).name || "", at: sent[r.mark_id].at }));
    if (conflicts.length && record.current) {
      const shown = (await unseal(record.current, at("outcomes"))) || [];
      await seal(record.current, at("outcomes"), mergeById(conflicts, shown).slice(0, 50));
    }
    return answered;
  });

  const flush = useCallback(async () => {
    if (syncing.current || !navigator.onLine) return;
    syncing.current = true;
    try {
      await withLock(`${sk}:sync`, async () => {
        const sending = readJson(at("queue"), []).filter((m) => m && typeof m.id === "string").slice(0, BATCH);
        if (!sending.length) { setSyncProblem(null); return; }
        const { results } = await call(syncUrl, { marks: sending.map((m) => ({ mark_id: m.id, sealed: m.sealed,
          kind: m.kind, at: new Date(m.at).toISOString(), district: m.district })) });
        const answered = await settle(sending, results || []);
        setSyncProblem(null);
        if (answered.length) setResult({ kind: "ok", text: fill(L.sync_ok, { count: answered.length }) });
      }, true);
    } catch (failure) {
      if (failure instanceof Offline) { setOnline(navigator.onLine); setSyncProblem({ kind: "network" }); }
      else if (failure instanceof Response && failure.status !== 401) {
        setSyncProblem({ kind: failure.status === 403 ? "forbidden" : failure.status >= 500 ? "server" : "rejected",
          status: failure.status });
      }
    } finally {
      syncing.current = false;
      setQueue(readJson(at("queue"), []));
      if (record.current) setOutcomes((await unseal(record.current, at("outcomes"))) || []);
    }
  }, [syncUrl, sk]);

  // --- mount: the day, the list, the other tabs ---
  useEffect(() => {
    let gone = false;
    const release = holdDeskOpen();
    (async () => {
      if (pastDay()) await withLock(DESK_LOCK, () => wipeDesk(sk));
      await refresh();
      if (gone) return;
      if (navigator.onLine) await downloadList();
      await flush();
    })();
    const changed = (event) => {
      if (event.storageArea === window.localStorage && (event.key === null || event.key.startsWith(`${sk}:`))) refresh();
    };
    window.addEventListener("storage", changed);
    return () => { gone = true; release(); window.removeEventListener("storage", changed); };
  }, []);

  useEffect(() => {
    const up = () => { setOnline(true); flush(); };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    const every = setInterval(() => {
      if (pastDay()) { withLock(DESK_LOCK, () => wipeDesk(sk)).then(refresh); return; }
      if (navigator.onLine && readJson(at("queue"), []).length) flush();
    }, SYNC_EVERY_MS);
    return () => { window.removeEventListener("online", up); window.removeEventListener("offline", down); clearInterval(every); };
  }, [flush]);

  // --- the answer on screen ---
  // Where the focus goes once the next screen is drawn: the answer's heading (a screen reader reads
  // the voter and the answer), or the emptied PIN field for the next voter.
  const [focusOn, setFocusOn] = useState(null);
  useEffect(() => {
    const target = focusOn === "answer" ? heading.current : focusOn === "pin" ? pinField.current : null;
    if (target) { target.focus(); setFocusOn(null); }
  }, [focusOn, card]);
  const announce = (next) => {
    setCard(next);
    setResult({ kind: "", text: "" });
    setDistrict("");
    setFocusOn("answer");
  };
  const nextVoter = () => {
    setCard(null);
    setPin("");
    setDocumentNumber("");
    setFocusOn("pin");
  };

  const decideHere = async (pinValue, docValue) => {
    const key = list ? await voterKey(list.key, pinValue, docValue) : "";
    const entry = list ? list.voters.find((e) => e.id === key) || null : null;
    const current = record.current ? await readBook() : book;
    const marked = current.marked[key || `p:${pinValue}:${docValue}`] || null;
    const answer = decideOffline({ entry, marked, policy, listReady: Boolean(list), pin: pinValue, electionDay });
    return { answer: { ...answer, entry }, offline: true, pin: pinValue, document: docValue, key };
  };

  const find = async (event) => {
    event.preventDefault();
    const pinValue = normPin(pin);
    const docValue = normDoc(documentNumber);
    const wrong = {};
    if (!PIN.test(pinValue)) wrong.pin = L.bad_pin;
    if (!DOCUMENT.test(docValue)) wrong.document = L.bad_document;
    setErrors(wrong);
    if (wrong.pin || wrong.document) {
      document.getElementById(wrong.pin ? "ident-pin" : "ident-document").focus();
      return;
    }
    await lookUp(pinValue, docValue);
  };

  const lookUp = async (pinValue, docValue) => {
    setBusy(true);
    try {
      if (!navigator.onLine) throw new Offline();
      const { answer } = await call(checkUrl, { pin: pinValue, document: docValue });
      announce({ answer, offline: false, pin: pinValue, document: docValue });
    } catch (failure) {
      if (failure instanceof Offline) { setOnline(false); announce(await decideHere(pinValue, docValue)); }
      else if (!(failure instanceof Response && failure.status === 401)) setProblem(L.server_problem);
    } finally {
      setBusy(false);
    }
  };

  // A ballot given with no link: a mark in the queue and in the device's book, under the lock (another
  // tab may have given this voter a ballot a moment ago). The queue survives a logout, so it holds the
  // voter's PIN and document only sealed to the server's key; the book (the name) is ciphertext.
  const issueHere = async (shown) => {
    const { answer, key } = shown;
    const provisional = answer.outcome === "provisional";
    const bookKey = key || `p:${shown.pin}:${shown.document}`;
    const id = newId();
    const mark = { id, kind: provisional ? "provisional" : "home", at: Date.now(),
      sealed: await sealMark(sealKey, id, shown.pin, shown.document) };
    // The district whose ballot is handed out: a claim the server checks against the register.
    mark.district = Number(provisional ? district : homeNumber) || null;
    const name = answer.entry ? answer.entry.name : "";
    const taken = await withLock(DESK_LOCK, async () => {
      await freshKey();
      const current = await readBook();
      if (current.marked[bookKey]) return current.marked[bookKey];
      writeJson(at("queue"), mergeById(readJson(at("queue"), []), [mark]));
      current.marked[bookKey] = { at: mark.at, member: member || "", name, mark: mark.id };
      if (record.current) await seal(record.current, at("book"), current);
      return null;
    });
    if (taken) { announce({ ...shown, answer: { outcome: "voted_here", at: taken.at } }); return; }
    setQueue(readJson(at("queue"), []));
    setBook(await readBook());
    const ballot = provisional ? district : homeNumber;
    finish(fill(provisional ? L.issued_provisional : L.issued_offline, { district: ballot, name }));
  };

  const finish = (text) => {
    setResult({ kind: "ok", text });
    nextVoter();
  };

  const issue = async () => {
    if (!card) return;
    if (card.offline) { await issueHere(card); return; }
    setBusy(true);
    try {
      const { answer } = await call(issueUrl, { pin: card.pin, document: card.document,
        shown: card.answer.message_key || "" });
      if (answer.outcome === "issue") {
        finish(fill(L.issued, { district: (answer.ballot_district || {}).number || "", name: voterName(answer) }));
      } else {
        announce({ ...card, answer });
      }
    } catch (failure) {
      if (failure instanceof Offline) { setOnline(false); announce(await decideHere(card.pin, card.document)); }
      else if (!(failure instanceof Response && failure.status === 401)) setProblem(L.server_problem);
    } finally {
      setBusy(false);
    }
  };

  // --- the camera: the «Түндүк» QR (or any card text naming a PIN and a document number) ---
  const camera = useQrCamera((text) => {
    const found = readCard(text);
    if (!found) { setProblem(L.qr_unreadable); return false; }
    setProblem("");
    setPin(found.pin);
    setDocumentNumber(found.document);
    setErrors({});
    lookUp(found.pin, found.document);
    return true;
  }, () => setProblem(L.no_camera));
  const { video, scanning, stop: stopCamera } = camera;

  // A card reader types the MRZ into the PIN field: both fields are filled from it.
  const typedPin = (value) => {
    const found = value.length > 20 ? readCard(value) : null;
    if (found) { setPin(found.pin); setDocumentNumber(found.document); return; }
    setPin(value);
  };

  // --- rendering ---
  const voterName = (a) => (a.voter_name || []).filter(Boolean).join(" ");
  // Offline, the device's own answer; online, the server's, in the member's language.
  const answerText = (shown) => (shown.offline
    ? fill(L[`offline_${shown.answer.outcome}`], { at: hhmm(shown.answer.at), district: homeNumber })
    : inLang(shown.answer.messages, lang));
  const canIssue = card && (card.offline
    ? ["issue_home", "provisional"].includes(card.answer.outcome)
    : card.answer.outcome === "issue");
  const waiting = queue.length;
  const listDistricts = districts || [];
  const syncText = syncProblem ? fill(L[`sync_${syncProblem.kind}`], { count: waiting, status: syncProblem.status || "" }) : "";
  const a = card ? card.answer : null;
  const name = a ? (card.offline ? (a.entry ? a.entry.name : "") : voterName(a)) : "";
  const home = a && !card.offline && a.home_precinct ? a.home_precinct : null;
  const homeDistrict = (a && a.home_district) || {};
  return (
    <div className="checkin-desk ident-desk">
      <div className={`checkin-status ${online ? "is-online" : "is-offline"}`} role="status" id="ident-status">
        <p id="ident-connection"><strong>{online ? L.status_online : L[`status_offline_${policy}`]}</strong></p>
        <p id="ident-policy">{L[`policy.${policy}`]}</p>
        <p id="ident-queue">{fill(L.queue, { count: waiting })}</p>
        <p id="ident-list">{list
          ? fill(L.list_ready, { precinct: list.precinct, count: list.voters.length,
            at: stamp(list.downloaded_at, lang, zone) })
          : L.list_missing}</p>
      </div>
      <p className="hint" id="ident-abroad">{L.abroad_rule}</p>
      {syncText ? <p className="notice important" role="alert" id="ident-sync-problem">{syncText}</p> : null}
      <div className="button-row">
        <button type="button" className="button secondary" id="ident-download" onClick={downloadList}>{L.download_list}</button>
        {scanning
          ? <button type="button" className="button secondary" id="ident-stop-camera" onClick={stopCamera}>{L.stop_camera}</button>
          : <button type="button" className="button secondary" id="ident-start-camera"
              onClick={() => { setProblem(""); camera.start(); }}>{L.scan}</button>}
      </div>
      {problem ? <p className="error-text" role="alert" id="ident-problem">{problem}</p> : null}
      <video ref={video} muted playsInline className="checkin-video" hidden={!scanning} aria-label={L.camera} />
      <div role="status" id="ident-result" className={result.text ? "notice" : ""}>{result.text}</div>
      <form onSubmit={find} className="checkin-find" noValidate>
        <div className="field">
          <label htmlFor="ident-pin" className="label">{L.pin}</label>
          <p className="hint" id="ident-pin-hint">{L.pin_hint}</p>
          {errors.pin ? <p className="error-text" id="ident-pin-error">{errors.pin}</p> : null}
          <input id="ident-pin" name="pin" ref={pinField} className="input" inputMode="numeric" autoComplete="off"
            value={pin} onChange={(e) => typedPin(e.target.value)} aria-invalid={errors.pin ? "true" : undefined}
            aria-describedby={errors.pin ? "ident-pin-error ident-pin-hint" : "ident-pin-hint"} />
        </div>
        <div className="field">
          <label htmlFor="ident-document" className="label">{L.document}</label>
          <p className="hint" id="ident-document-hint">{L.document_hint}</p>
          {errors.document ? <p className="error-text" id="ident-document-error">{errors.document}</p> : null}
          <input id="ident-document" name="document" className="input" autoComplete="off" autoCapitalize="characters"
            value={documentNumber} onChange={(e) => setDocumentNumber(e.target.value)}
            aria-invalid={errors.document ? "true" : undefined}
            aria-describedby={errors.document ? "ident-document-error ident-document-hint" : "ident-document-hint"} />
        </div>
        <button type="submit" className="button" id="ident-find" disabled={busy}>{L.find}</button>
      </form>
      {card ? (
        <section className="card checkin-voter" id="ident-card" aria-labelledby="ident-card-heading">
          <h2 id="ident-card-heading" tabIndex={-1} ref={heading}>{name || L.unknown_voter}</h2>
          <div className="ident-voter">
            <svg className="ident-photo" role="img" aria-label={L.photo} viewBox="0 0 60 75" width="90" height="112">
              <rect width="60" height="75" fill="#e8eaed" />
              <circle cx="30" cy="28" r="13" fill="#9aa0a6" />
              <path d="M8 75c0-14 10-22 22-22s22 8 22 22z" fill="#9aa0a6" />
            </svg>
            {home ? (
              <dl className="summary">
                <div className="summary-row"><dt>{L.home_precinct}</dt>
                  <dd id="ident-home-precinct">{[home.number, inLang(home.address, lang)].filter(Boolean).join(", ")}</dd></div>
                <div className="summary-row"><dt>{L.home_district}</dt>
                  <dd id="ident-home-district">{homeDistrict.number ? `№${homeDistrict.number} ${inLang(homeDistrict.name, lang)}` : ""}</dd></div>
              </dl>
            ) : <p className="hint">{card.offline ? L.offline_checked : ""}</p>}
          </div>
          <p className={canIssue ? "notice" : "notice important"} id="ident-answer">{answerText(card)}</p>
          {canIssue && card.answer.outcome === "provisional" ? (
            <div className="field">
              <label htmlFor="ident-district" className="label">{L.provisional_district}</label>
              {listDistricts.length ? (
                <select id="ident-district" className="input" value={district} onChange={(e) => setDistrict(e.target.value)}>
                  <option value="">{L.choose_district}</option>
                  {listDistricts.map((d) => <option key={d.number} value={d.number}>{`№${d.number} ${d[`name_${lang}`] || d.name_ru || ""}`}</option>)}
                </select>
              ) : (
                <input id="ident-district" className="input" inputMode="numeric" value={district}
                  onChange={(e) => setDistrict(e.target.value.replace(/\D/g, ""))} />
              )}
            </div>
          ) : null}
          <div className="button-row">
            {canIssue
              ? <button type="button" className="button" id="ident-issue" onClick={issue}
                  disabled={busy || (card.answer.outcome === "provisional" && !district)}>
                  {card.answer.outcome === "provisional" ? L.issue_provisional : L.issue}</button>
              : null}
            <button type="button" className="button secondary" id="ident-next" onClick={nextVoter}>
              {canIssue ? L.cancel : L.next}</button>
          </div>
        </section>
      ) : null}
      {outcomes.length ? (
        <section className="card" id="ident-conflicts" aria-labelledby="ident-conflicts-heading">
          <h2 id="ident-conflicts-heading">{L.conflicts}</h2>
          <ul>
            {outcomes.map((r) => <li key={r.id}>{r.reason === "wrong_district"
              ? fill(L.wrong_district_item, { name: r.name || "", at: hhmm(r.at), claimed: r.claimed, district: r.district })
              : fill(L.conflict_item, { name: r.name || "", at: hhmm(r.at), reason: L[`reason_${r.reason}`] || r.reason })}</li>)}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
