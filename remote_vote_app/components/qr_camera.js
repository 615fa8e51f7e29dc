// Reading a QR code with the device's camera (jsQR), shared by the check-in desk (passes) and the
// cabinet's cross-device login scanner. `accept(text)` returns true to stop at that code, false to
// keep looking (another code may be in view).
import { useEffect, useRef, useState } from "react";
import jsQR from "jsqr";

const SCAN_EVERY_MS = 200;

export function useQrCamera(accept, onNoCamera) {
  const video = useRef(null);
  const stream = useRef(null);
  const timer = useRef(null);
  const [scanning, setScanning] = useState(false);

  const stop = () => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    if (stream.current) stream.current.getTracks().forEach((t) => t.stop());
    stream.current = null;
    setScanning(false);
  };
  useEffect(() => stop, []);

  const start = async () => {
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      onNoCamera();
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
      if (code && code.data && accept(code.data)) stop();
    }, SCAN_EVERY_MS);
  };

  return { video, scanning, start, stop };
}
