// Small helpers both election-day desks share (checkin_desk.jsx, identification_desk.jsx).

// An ID card or passport number: two letters and seven digits, typed with or without spaces.
export const DOCUMENT = /^[A-Z]{2}\d{7}$/;
export const normDoc = (raw) => String(raw || "").toUpperCase().replace(/[\s-]/g, "");

// A translated text with its {name} placeholders filled.
export const fill = (text, params) => Object.entries(params || {}).reduce((s, [k, v]) => s.split(`{${k}}`).join(String(v)), text || "");

export const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

// The zone of what belongs to no election, and of data an earlier version stored without its
// election's zone (services/clock.py SERVICE_ZONE).
export const SERVICE_ZONE = "Asia/Bishkek";

// The date (YYYY-MM-DD) and the time (HH:MM) the clocks of `zone` (an IANA name) show at `now` (epoch ms).
export const dayIn = (zone, now) => new Intl.DateTimeFormat("en-CA", { timeZone: zone || SERVICE_ZONE })
  .format(new Date(now));
export const timeIn = (zone, now) => new Intl.DateTimeFormat("en-GB",
  { timeZone: zone || SERVICE_ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(now));

// Past midnight after `day` (ISO date) in the election's zone: the desk's data goes.
export const dayIsPast = (day, zone, now) => Boolean(day) && day < dayIn(zone, now);

// HH:MM in the election's zone of a moment given as epoch (s or ms), ISO text or "dd.mm.yyyy HH:MM"
// (the server's text, already in that zone).
export const hhmm = (at, zone) => {
  if (at === undefined || at === null || at === "") return "";
  if (typeof at === "string") {
    const local = at.match(/^\d{2}\.\d{2}\.\d{4} (\d{2}:\d{2})/);
    if (local) return local[1];
  }
  const moment = typeof at === "number" ? new Date(at > 1e12 ? at : at * 1000) : new Date(at);
  if (Number.isNaN(moment.getTime())) return String(at);
  return moment.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", timeZone: zone || SERVICE_ZONE });
};

// When a list was downloaded, in the member's language: the date as the catalogues write it elsewhere
// ("07.12.2026" in Kyrgyz and Russian, "7 December 2026" in English), then HH:MM, in the election's zone.
export const stamp = (at, lang, zone) => {
  const moment = new Date(at);
  if (Number.isNaN(moment.getTime())) return "";
  const tz = { timeZone: zone || SERVICE_ZONE };
  const day = lang === "en"
    ? moment.toLocaleDateString("en-GB", { ...tz, day: "numeric", month: "long", year: "numeric" })
    : moment.toLocaleDateString("ru-RU", { ...tz, day: "2-digit", month: "2-digit", year: "numeric" });
  return `${day} ${moment.toLocaleTimeString("ru-RU", { ...tz, hour: "2-digit", minute: "2-digit" })}`;
};

// A queue is keyed by mark id: a merge never drops a mark another tab added.
export const mergeById = (...lists) => {
  const byId = new Map();
  for (const list of lists) for (const item of list || []) if (item && !byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()];
};
