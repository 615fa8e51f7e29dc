// The cabinet's QR scanner for cross-device login: the phone's camera reads the code on the other
// device's screen (jsQR, as the check-in desk). There is no way to type or paste a code: the read
// itself is the proof that this phone sees that screen. Only this site's login codes are handed on.
import { useState } from "react";
import { useQrCamera } from "./qr_camera.js";

export function QrScanner({ labels, onScan }) {
  const [problem, setProblem] = useState("");
  const ours = window.location.origin + "/qr#";
  const accept = (text) => {
    if (!text.startsWith(ours)) {
      setProblem(labels.not_ours);
      return false;
    }
    onScan(text);
    return true;
  };
  const { video, scanning, start: startCamera, stop } = useQrCamera(accept, () => setProblem(labels.no_camera));
  const start = () => {
    setProblem("");
    return startCamera();
  };

  return (
    <div className="qr-scanner">
      <video ref={video} muted playsInline aria-label={labels.camera}
             style={{ display: scanning ? "block" : "none", width: "100%", maxWidth: "360px", background: "#000" }} />
      <p role="status" id="qr-scan-status">{scanning ? labels.scanning : ""}</p>
      <div className="button-row">
        {scanning
          ? <button type="button" className="button secondary" id="qr-scan-stop" onClick={stop}>{labels.stop}</button>
          : <button type="button" className="button" id="qr-scan-start" onClick={start}>{labels.start}</button>}
      </div>
      {problem ? <p role="alert" className="field-error" id="qr-scan-problem">{problem}</p> : null}
    </div>
  );
}
