// Takes one photo with the device camera (getUserMedia), or from a file when there is no camera
// or the user prefers; hands the JPEG to Reflex as a data URL. Nothing is stored in the browser.
import { useEffect, useRef, useState } from "react";

export function CameraCapture({ labels, onCapture }) {
  const video = useRef(null);
  const [stream, setStream] = useState(null);
  const [problem, setProblem] = useState("");

  useEffect(() => () => stream && stream.getTracks().forEach((t) => t.stop()), [stream]);

  const start = async () => {
    setProblem("");
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
      setStream(s);
      if (video.current) video.current.srcObject = s;
    } catch (e) {
      setProblem(labels.no_camera);
    }
  };

  const snap = () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const scale = Math.min(1, 640 / v.videoWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(v.videoWidth * scale);
    canvas.height = Math.round(v.videoHeight * scale);
    canvas.getContext("2d").drawImage(v, 0, 0, canvas.width, canvas.height);
    onCapture(canvas.toDataURL("image/jpeg", 0.9));
    stream && stream.getTracks().forEach((t) => t.stop());
    setStream(null);
  };

  // A file is scaled down in the browser too, so a 12-megapixel phone photo travels as ~100 KB.
  const fromFile = (event) => {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => {
      const scale = Math.min(1, 800 / Math.max(image.naturalWidth, image.naturalHeight));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(image.naturalWidth * scale);
      canvas.height = Math.round(image.naturalHeight * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      onCapture(canvas.toDataURL("image/jpeg", 0.92));
    };
    image.onerror = () => { URL.revokeObjectURL(url); setProblem(labels.bad_file); };
    image.src = url;
  };

  return (
    <div className="camera">
      <video ref={video} autoPlay playsInline muted aria-label={labels.preview}
             style={{ display: stream ? "block" : "none", width: "100%", maxWidth: "360px" }} />
      <div className="button-row">
        {stream ? (
          <button type="button" className="button" onClick={snap}>{labels.take}</button>
        ) : (
          <button type="button" className="button secondary" onClick={start}>{labels.camera}</button>
        )}
      </div>
      {problem ? <p role="alert" className="field-error">{problem}</p> : null}
      <label htmlFor="face-file" className="label">{labels.file}</label>
      <input id="face-file" type="file" accept="image/jpeg,image/png" capture="user" onChange={fromFile} className="input" />
    </div>
  );
}
