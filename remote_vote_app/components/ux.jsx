// Small client-side pieces of the GOV.UK patterns that must work without a round trip to the
// server (or while it is unreachable): skip link, error summary, connection banner, timeout
// warning, copy button. Texts come from Reflex props in the page language.
import { useEffect, useRef, useState } from "react";
import { useLocation } from "react-router";

const ERROR_PREFIXES = /^(Ошибка|Ката|Error): /;

// Focus a field named by an error and scroll so that its label (or legend) is in view, as GOV.UK's
// error summary does: the label above an input must not be scrolled out of sight.
export function focusField(field) {
  const target = document.getElementById(field);
  if (!target) return false;
  let input = target;
  let label = document.querySelector(`label[for="${CSS.escape(field)}"]`);
  if (target.tagName === "FIELDSET") {
    input = target.querySelector("input:checked:not([disabled])") || target.querySelector("input:not([disabled]), select, textarea") || target;
    label = target.querySelector("legend") || label;
  }
  (label || input).scrollIntoView({ block: "start" });
  input.focus({ preventScroll: true });
  return true;
}

export function SkipLink({ text }) {
  return (
    <a href="#main" className="skip-link" onClick={(e) => {
      const main = document.getElementById("main");
      if (!main) return;
      e.preventDefault();
      main.focus();
      main.scrollIntoView({ block: "start" });
    }}>{text}</a>
  );
}

// A menu link that says it is the page you are on (aria-current), from the router's location.
export function NavLink({ href, label, id }) {
  const here = (useLocation().pathname || "/").replace(/\/+$/, "") || "/";
  return <a href={href} id={id} aria-current={here === href ? "page" : undefined}>{label}</a>;
}

// Phones: the menu behind a "Menu" button, as in the GOV.UK header, so the header stays slim above
// the page's h1. The stylesheet shows the menu on wider screens whatever `data-open` says.
export function MenuToggle({ label, controls }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const nav = document.getElementById(controls);
    if (nav) nav.dataset.open = open ? "true" : "false";
  }, [open, controls]);
  return (
    <button type="button" className="menu-toggle" id="menu-toggle" aria-controls={controls}
            aria-expanded={open ? "true" : "false"} onClick={() => setOpen(!open)}>{label}</button>
  );
}

// Lists every error with a link that focuses its field; takes focus when errors appear or change,
// and prefixes document.title with "Ошибка: " while it shows.
export function ErrorSummary({ errors, title, prefix, seq }) {
  const ref = useRef(null);
  const entries = Object.entries(errors || {});
  const signature = JSON.stringify(entries);
  useEffect(() => {
    const base = document.title.replace(ERROR_PREFIXES, "");
    if (entries.length === 0) {
      document.title = base;
      return undefined;
    }
    document.title = `${prefix}${base}`;
    if (ref.current) {
      ref.current.scrollIntoView({ block: "start" });
      ref.current.focus({ preventScroll: true });
    }
    return () => { document.title = document.title.replace(ERROR_PREFIXES, ""); };
  }, [signature, prefix, seq]);
  if (entries.length === 0) return null;
  return (
    <div className="error-summary" id="error-summary" role="alert" tabIndex={-1} ref={ref}
         aria-labelledby="error-summary-title">
      <h2 className="error-summary-title" id="error-summary-title">{title}</h2>
      <ul>
        {entries.map(([field, text]) => (
          <li key={field}>
            {field === "form" ? <span>{text}</span> : (
              <a href={`#${field}`} onClick={(e) => { if (focusField(field)) e.preventDefault(); }}>{text}</a>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

// Buttons whose send is still running (clicked, no reply yet): the banner says they wait.
const sends = { running: 0, listeners: new Set() };
const countSends = (delta) => { sends.running += delta; sends.listeners.forEach((f) => f(sends.running)); };

function useRunningSends() {
  const [running, setRunning] = useState(sends.running);
  useEffect(() => {
    sends.listeners.add(setRunning);
    setRunning(sends.running);
    return () => { sends.listeners.delete(setRunning); };
  }, []);
  return running;
}

// The browser's own view of the network: it knows at once, while a half-open socket can look
// connected until its ping times out.
function useOnline() {
  const [online, setOnline] = useState(true);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    setOnline(navigator.onLine);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => { window.removeEventListener("online", up); window.removeEventListener("offline", down); };
  }, []);
  return online;
}

// A form's send button that says "Sending…" the moment it is pressed, in the browser (no server
// round trip). Pressed while offline, the send waits here and goes when the network is back.
// `settle` is a server value that changes with every answer the send can get (an error shown,
// a new step); a send that moves to another page unmounts the button. While sending it stays
// focusable (aria-disabled) and ignores further presses: no double submit.
export function SendButton({ label, busyLabel, settle, onPress, type, id, className }) {
  const ref = useRef(null);
  const [sending, setSending] = useState(false);
  const held = useRef(null);
  const drop = () => {
    if (held.current) window.removeEventListener("online", held.current);
    held.current = null;
  };
  useEffect(() => { setSending(false); drop(); }, [settle]);
  useEffect(() => drop, []);
  useEffect(() => {
    if (!sending) return undefined;
    countSends(1);
    return () => countSends(-1);
  }, [sending]);
  const send = () => {
    if (type !== "submit") { if (onPress) onPress(); return; }
    const form = ref.current && ref.current.form;
    if (form) form.requestSubmit(ref.current); // requestSubmit fires no click: no loop back here
  };
  const press = (e) => {
    if (sending) { e.preventDefault(); return; }
    setSending(true);
    if (!navigator.onLine) {
      e.preventDefault();
      held.current = () => { drop(); send(); };
      window.addEventListener("online", held.current);
      return;
    }
    if (type !== "submit" && onPress) onPress();
  };
  return (
    <button type={type === "submit" ? "submit" : "button"} id={id} ref={ref} onClick={press}
            className={sending ? `${className || "button"} busy` : className || "button"}
            aria-disabled={sending ? "true" : undefined} aria-busy={sending ? "true" : "false"}>
      {sending ? busyLabel : label}
    </button>
  );
}

// The connection banner, set in the browser: "offline" as soon as the browser knows it, "lost"
// when Reflex's socket reports errors (`lost`), and, while a send waits, that it will go when the
// connection is back; then "connection restored" for a few seconds.
export const FAILED_EVENT = "rv-request-failed";

export function ConnectionStatus({ lost, texts }) {
  const online = useOnline();
  const running = useRunningSends();
  const down = Boolean(lost) || !online;
  const [back, setBack] = useState("");
  const wasDown = useRef(false);
  const waited = useRef(false);
  if (down && running > 0) waited.current = true;
  useEffect(() => {
    if (down) {
      wasDown.current = true;
      setBack("");
      return undefined;
    }
    if (!wasDown.current) return undefined;
    wasDown.current = false;
    setBack(waited.current ? texts.backSending : texts.back);
    waited.current = false;
    const timer = setTimeout(() => setBack(""), 6000);
    return () => clearTimeout(timer);
  }, [down]);
  // A request the server failed to handle (app.on_backend_error sends FAILED_EVENT): said here, in
  // the page's language, where Reflex would have shown a toast (its library was 12 KB of every page).
  const [failed, setFailed] = useState(0);
  useEffect(() => {
    const show = () => setFailed((n) => n + 1);
    window.addEventListener(FAILED_EVENT, show);
    return () => window.removeEventListener(FAILED_EVENT, show);
  }, []);
  useEffect(() => {
    if (!failed) return undefined;
    const timer = setTimeout(() => setFailed(0), 10000);
    return () => clearTimeout(timer);
  }, [failed]);
  const downText = running > 0 ? texts.waiting : online ? texts.lost : texts.offline;
  return (
    <div role="status" aria-live="polite" className="connection-status" id="connection-status">
      {down ? <p className="connection-banner connection-lost" id="connection-lost">{downText}</p> : null}
      {!down && back ? <p className="connection-banner connection-back" id="connection-back">{back}</p> : null}
      {failed ? <p className="connection-banner connection-lost" id="request-failed" key={failed}>{texts.failed}</p> : null}
    </div>
  );
}

// "Send the code again", counting down the wait the server gave (`seconds`, restarted by `seq`)
// instead of refusing an early press with an error (WCAG 3.3.7). The count is visible; a polite
// status says the wait once when it starts and once when the button can be used.
export function ResendButton({ label, waitText, readyText, seconds, seq, onPress, id }) {
  const [left, setLeft] = useState(0);
  const [said, setSaid] = useState(null);
  useEffect(() => {
    const end = Date.now() + (seconds || 0) * 1000;
    const count = () => Math.max(0, Math.ceil((end - Date.now()) / 1000));
    const first = count();
    setLeft(first);
    setSaid(first > 0 ? { wait: first } : null);
    if (first === 0) return undefined;
    const timer = setInterval(() => {
      const n = count();
      setLeft(n);
      if (n === 0) { clearInterval(timer); setSaid({ ready: true }); }
    }, 250);
    return () => clearInterval(timer);
  }, [seq, seconds]);
  const waitId = `${id}-wait`;
  const wait = (n) => (waitText || "").replace("{seconds}", String(n));
  return (
    <>
      <button type="button" id={id} className="button secondary" aria-disabled={left > 0 ? "true" : undefined}
              aria-describedby={left > 0 ? waitId : undefined}
              onClick={() => { if (left === 0 && onPress) onPress(); }}>{label}</button>
      {left > 0 ? <p className="hint resend-wait" id={waitId} aria-hidden="true">{wait(left)}</p> : null}
      <p className="visually-hidden" role="status" id={`${id}-status`}>
        {said ? (said.ready ? readyText : wait(said.wait)) : ""}
      </p>
    </>
  );
}

// GOV.UK "Timeout warning": two minutes before the idle limit a dialog offers to stay; "continue"
// sends an event so the server session lives on. Input (keys, pointer, wheel, touch) counts as use
// and is reported to the server at most once a minute; at the limit the page reloads, so the server
// ends the session and the data leaves the screen of a shared device.
export function IdleWarning({ active, idleSeconds, warnSeconds, labels, onContinue }) {
  const [open, setOpen] = useState(false);
  const [left, setLeft] = useState(0);
  const deadline = useRef(0);
  const lastPing = useRef(Date.now());
  const buttonRef = useRef(null);
  const openRef = useRef(false);
  openRef.current = open;
  useEffect(() => {
    if (!active) return undefined;
    const idleMs = idleSeconds * 1000;
    const arm = () => { deadline.current = Date.now() + idleMs; };
    const activity = () => {
      if (openRef.current) return; // while the warning shows, only "continue" keeps the session
      arm();
      if (Date.now() - lastPing.current > 60000) { lastPing.current = Date.now(); onContinue && onContinue(); }
    };
    arm();
    // Input only: a scroll the page makes itself (a client-side navigation restoring its position) is no use.
    const events = ["keydown", "pointerdown", "wheel", "touchmove"];
    events.forEach((e) => window.addEventListener(e, activity, { passive: true }));
    const tick = setInterval(() => {
      const remaining = Math.ceil((deadline.current - Date.now()) / 1000);
      if (remaining <= 0) { window.location.reload(); return; }
      if (remaining <= warnSeconds && !openRef.current) setOpen(true);
      setLeft(remaining);
    }, 500);
    return () => { clearInterval(tick); events.forEach((e) => window.removeEventListener(e, activity)); };
  }, [active, idleSeconds, warnSeconds]);
  useEffect(() => { if (open && buttonRef.current) buttonRef.current.focus(); }, [open]);
  if (!active || !open) return null;
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  const when = minutes > 0 ? `${minutes} ${labels.minutes} ${seconds} ${labels.seconds}` : `${seconds} ${labels.seconds}`;
  const stay = () => {
    setOpen(false);
    deadline.current = Date.now() + idleSeconds * 1000;
    lastPing.current = Date.now();
    onContinue && onContinue();
  };
  return (
    <div className="timeout-backdrop">
      <div role="alertdialog" aria-modal="true" aria-labelledby="timeout-title" aria-describedby="timeout-text"
           className="timeout-dialog" id="timeout-warning"
           onKeyDown={(e) => { if (e.key === "Escape") stay(); if (e.key === "Tab") { e.preventDefault(); buttonRef.current && buttonRef.current.focus(); } }}>
        <h2 id="timeout-title">{labels.title}</h2>
        <p id="timeout-text">{labels.text} <strong>{when}</strong>.</p>
        <button type="button" className="button" id="timeout-continue" ref={buttonRef} onClick={stay}>
          {labels.continue}
        </button>
      </div>
    </div>
  );
}

export function CopyButton({ text, label, doneLabel }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const node = document.getElementById("reference");
      if (node) { const range = document.createRange(); range.selectNodeContents(node); const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range); }
    }
    setDone(true);
    setTimeout(() => setDone(false), 4000);
  };
  return (
    <span className="copy">
      <button type="button" className="button secondary inverse no-print" id="copy-reference" onClick={copy}>{label}</button>
      <span role="status" className="copy-status">{done ? doneLabel : ""}</span>
    </span>
  );
}

export function PrintButton({ label }) {
  return <button type="button" className="button secondary no-print" id="print-receipt" onClick={() => window.print()}>{label}</button>;
}

// A step that the previous step's handler sent the browser to, with the step's state already in
// the tab (/apply/check, /confirmation): the title and focus are set here, with no server event.
// Opened any other way (a reload, a typed address) or without that state (Back to a step already
// done), the server decides (`onCheck`: the session check, then the page script or where to go).
// `window.__rvSeen`: this document has already shown a page (set by AppState._page_script).
export function StepArrival({ title, ready, onArrive, onCheck }) {
  useEffect(() => {
    if (window.__rvSeen && ready) {
      document.title = title;
      if (onArrive) onArrive();
    } else if (onCheck) {
      onCheck();
    }
  }, []);
  return null;
}
