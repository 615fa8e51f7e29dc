// The cabinet's QR scanner for cross-device login: the phone's camera reads the code on the other
// device's screen (jsQR, as the check-in desk). There is no way to type or paste a code: the read
// itself is the proof that this phone sees that screen. Only this site's login codes are handed on.
import { useEffect, useRef, useState } from "react";
import jsQR from "jsqr";

const SCAN_EVERY_MS = 250;

export function QrScanner({ labels, onScan }) {
  const video = useRef(null);
  const stream = useRef(null);
  const timer = useRef(null);
  const [scanning, setScanning] = useState(false);
  const [problem, setProblem] = useState("");

  const stop = () => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    if (stream.current) stream.current.getTracks().forEach((t) => t.stop());
    stream.current = null;
    setScanning(false);
  };
  useEffect(() => stop, []);

  const start = async () => {
    setProblem("");
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      setProblem(labels.no_camera);
      return;
    }
    setScanning(true);
    const v = video.current;
    v.srcObject = stream.current;
    await v.play().catch(() => {});
    const canvas = document.createElement("canvas");
    const ours = window.location.origin + "/qr#";
    timer.current = setInterval(() => {
      if (!v.videoWidth) return;
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(v, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (!code || !code.data) return;
      if (!code.data.startsWith(ours)) {
        setProblem(labels.not_ours); // keep looking: another code may be in view
        return;
      }
      stop();
      onScan(code.data);
    }, SCAN_EVERY_MS);
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
