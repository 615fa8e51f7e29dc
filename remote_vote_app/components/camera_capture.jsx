// Live FaceID capture: the camera only (no file), a burst of frames while the person follows the
// server's challenge (one instruction after another), handed to Reflex in one event as
// {nonce, frames: [JPEG data URLs]}. Frames are downsized (max 480 px side, JPEG 0.8) so the burst
// stays far below the socket's 1 MB limit. Nothing is stored in the browser.
import { useEffect, useRef, useState } from "react";

const MAX_SIDE = 480;
const FRAMES_PER_MOVE = 5;
const INTERVAL_MS = 300;
const SETTLE_MS = 400;

export function CameraCapture({ labels, nonce, instructions, onCapture }) {
  const video = useRef(null);
  const stream = useRef(null);
  const [phase, setPhase] = useState("idle"); // idle | capturing | sending
  const [current, setCurrent] = useState("");
  const [problem, setProblem] = useState("");

  const stop = () => {
    if (stream.current) stream.current.getTracks().forEach((t) => t.stop());
    stream.current = null;
  };
  useEffect(() => stop, []);
  useEffect(() => { setPhase("idle"); setCurrent(""); }, [nonce]);

  const frame = () => {
    const v = video.current;
    const scale = Math.min(1, MAX_SIDE / Math.max(v.videoWidth, v.videoHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(v.videoWidth * scale);
    canvas.height = Math.round(v.videoHeight * scale);
    canvas.getContext("2d").drawImage(v, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.8);
  };

  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const start = async () => {
    setProblem("");
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    } catch (e) {
      setProblem(labels.no_camera);
      return;
    }
    const v = video.current;
    v.srcObject = stream.current;
    await v.play().catch(() => {});
    while (!v.videoWidth) await wait(50);
    setPhase("capturing");
    await wait(SETTLE_MS);
    const frames = [];
    for (const instruction of instructions) {
      setCurrent(instruction);
      for (let i = 0; i < FRAMES_PER_MOVE; i++) {
        frames.push(frame());
        await wait(INTERVAL_MS);
      }
    }
    stop();
    setCurrent("");
    setPhase("sending");
    onCapture({ nonce, frames });
  };

  return (
    <div className="camera">
      <video ref={video} autoPlay playsInline muted aria-label={labels.preview}
             style={{ display: phase === "capturing" ? "block" : "none", width: "100%", maxWidth: "360px",
                      transform: "scaleX(-1)" }} />
      <p role="status" aria-live="assertive" className="camera-instruction" id="face-instruction">
        {phase === "capturing" ? current : phase === "sending" ? labels.checking : ""}
      </p>
      {phase === "idle" ? (
        <div className="button-row">
          <button type="button" className="button" onClick={start} id="face-start">{labels.start}</button>
        </div>
      ) : null}
      {problem ? <p role="alert" className="field-error">{problem}</p> : null}
    </div>
  );
}
