// Small client-side pieces of the GOV.UK patterns that must work without a round trip to the
// server (or while it is unreachable): skip link, error summary, connection banner, timeout
// warning, copy button. Texts come from Reflex props in the page language.
import { useEffect, useRef, useState } from "react";

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

// "Connection lost" while the websocket to the server is down, then "connection restored" for a
// few seconds. `lost` is Reflex's own connection state (connectErrors).
export function ConnectionStatus({ lost, lostText, backText }) {
  const [wasLost, setWasLost] = useState(false);
  const [back, setBack] = useState(false);
  useEffect(() => {
    if (lost) {
      setWasLost(true);
      setBack(false);
      return undefined;
    }
    if (!wasLost) return undefined;
    setBack(true);
    const timer = setTimeout(() => setBack(false), 6000);
    return () => clearTimeout(timer);
  }, [lost]);
  return (
    <div role="status" aria-live="polite" className="connection-status" id="connection-status">
      {lost ? <p className="connection-banner connection-lost" id="connection-lost">{lostText}</p> : null}
      {!lost && back ? <p className="connection-banner connection-back" id="connection-back">{backText}</p> : null}
    </div>
  );
}

// GOV.UK "Timeout warning": two minutes before the idle limit a dialog offers to stay; "continue"
// sends an event so the server session lives on. Activity (keys, pointer, scroll) counts as use
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
    const events = ["keydown", "pointerdown", "scroll"];
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
