// QR codes drawn in the browser (qrcode-generator): the server sends only the text, so a voter
// pass, a QR login link or a TOTP enrolment costs the server nothing to draw (segno took ~38 ms
// of server CPU per pass, a third of a whole voter journey).
import { useMemo } from "react";
import qrcode from "qrcode-generator";

// An SVG data URI of `value` (error correction M, the smallest version that holds it), or "".
function qrDataUri(value) {
  if (!value) return "";
  const code = qrcode(0, "M");
  code.addData(value);
  code.make();
  return "data:image/svg+xml;utf8," + encodeURIComponent(code.createSvgTag({ cellSize: 5, margin: 10 }));
}

export function QrImage({ value, alt, size, id, className }) {
  const src = useMemo(() => qrDataUri(value), [value]);
  if (!src) return null;
  return <img src={src} alt={alt} width={size} height={size} id={id} className={className} />;
}

// A link that saves the same code as an .svg file.
export function QrSaveLink({ value, fileName, text, className }) {
  const href = useMemo(() => qrDataUri(value), [value]);
  if (!href) return null;
  return <a href={href} download={fileName} className={className}>{text}</a>;
}
