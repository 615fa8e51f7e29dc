// Live FaceID capture: the camera only (no file). The server reveals the moves one at a time: after
// the frames of a step the component asks for the next move (onStep) and waits for it (a new entry
// in `instructions`, with its token in `tokens`). Each frame goes with its step, that step's token
// and its capture time; all are handed to Reflex in one event as {nonce, frames}. Without onStep
// (a supervised capture at a commission) every move is given at once and the nonce is the token.
// Frames are downsized (max 480 px side, JPEG 0.8) to stay far below the socket's 1 MB limit.
// Nothing is stored in the browser.
import { useEffect, useRef, useState } from "react";

const MAX_SIDE = 480;
const FRAMES_PER_STEP = 3;
const INTERVAL_MS = 300;
const SETTLE_MS = 900;
const REVEAL_TIMEOUT_MS = 10000;

export function CameraCapture({ labels, nonce, instructions, tokens, steps, onStep, onCapture }) {
  const video = useRef(null);
  const stream = useRef(null);
  const revealed = useRef({ nonce, instructions: instructions || [], tokens: tokens || [] });
  const [phase, setPhase] = useState("idle"); // idle | capturing | sending
  const [current, setCurrent] = useState("");
  const [problem, setProblem] = useState("");

  revealed.current = { nonce, instructions: instructions || [], tokens: tokens || [] };
  const stop = () => {
    if (stream.current) stream.current.getTracks().forEach((t) => t.stop());
    stream.current = null;
  };
  useEffect(() => stop, []);
  useEffect(() => { stop(); setPhase("idle"); setCurrent(""); }, [nonce]);

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

  // The next move, once the server has revealed it; null if the challenge changed or never came.
  const revealedStep = async (step, started) => {
    const deadline = Date.now() + REVEAL_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const now = revealed.current;
      if (now.nonce !== started) return null;
      if (now.instructions.length > step) return now;
      await wait(50);
    }
    return null;
  };

  const start = async () => {
    setProblem("");
    const started = nonce;
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
    const total = onStep ? steps : revealed.current.instructions.length;
    const frames = [];
    for (let step = 0; step < total; step++) {
      if (step > 0 && onStep) onStep({ step });
      const now = await revealedStep(step, started);
      if (!now) { stop(); setPhase("idle"); setCurrent(""); return; }
      setCurrent(now.instructions[step]);
      await wait(SETTLE_MS);
      const token = onStep ? now.tokens[step] : started;
      for (let i = 0; i < FRAMES_PER_STEP; i++) {
        frames.push({ step, token, t: Date.now(), image: frame() });
        await wait(INTERVAL_MS);
      }
    }
    stop();
    setCurrent("");
    setPhase("sending");
    onCapture({ nonce: started, frames });
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
