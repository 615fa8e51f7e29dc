// Verification of the signed voter pass and of the signed roster (compact JWS, EdDSA over Ed25519,
// RFC 7515 / RFC 8037), the browser's twin of services/applications/passes.py. Pure functions over WebCrypto
// (`crypto.subtle`), so the check-in desk and node (tests/vectors/run_js.mjs) run the same code
// over the same test vectors (tests/vectors/passes.json).

export const PASS_TYPE = "rv-pass";
export const ROSTER_TYPE = "rv-roster";
const CLAIMS = ["ref", "election", "precinct", "v", "iat"];
const B64URL = /^[A-Za-z0-9_-]*$/;

const b64u = (s) => {
  if (!B64URL.test(s)) throw new Error("not base64url");
  const t = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(t + "===".slice((t.length + 3) % 4)), (c) => c.charCodeAt(0));
};
const utf8 = (bytes) => new TextDecoder("utf-8", { fatal: true }).decode(bytes);
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

async function importKey(jwk) {
  return crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
}

// The payload (an object) of a compact JWS of type `typ` signed by `jwk`, or null.
export async function verifyJws(token, typ, jwk) {
  try {
    const parts = String(token || "").trim().split(".");
    if (parts.length !== 3 || !jwk || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return null;
    const header = JSON.parse(utf8(b64u(parts[0])));
    if (!isObject(header) || header.alg !== "EdDSA" || header.typ !== typ || header.kid !== jwk.kid) return null;
    const key = await importKey(jwk);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, b64u(parts[2]),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
    if (!ok) return null;
    const payload = JSON.parse(utf8(b64u(parts[1])));
    return isObject(payload) ? payload : null;
  } catch (e) {
    return null;
  }
}

// The claims of a genuine voter pass (every claim present, `v` and `election` integers), or null.
export async function verifyPass(token, jwk) {
  const claims = await verifyJws(token, PASS_TYPE, jwk);
  if (!claims || CLAIMS.some((name) => !(name in claims))) return null;
  if (!Number.isInteger(claims.v) || !Number.isInteger(claims.election)) return null;
  return claims;
}
