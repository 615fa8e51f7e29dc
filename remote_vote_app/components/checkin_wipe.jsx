// Rendered on the staff login page, where every logout and every ended session lands: deletes the
// check-in desks' keys and ciphertext from this browser whether or not a desk page was open
// (checkin_store.js), once no desk page is open any more (a member opening a second tab lands here
// first: the open desk keeps its data, and deletes it itself when the server answers 401).
// Queued marks stay until the server has answered them.
import { useEffect } from "react";
import { noDeskOpen, wipeAllDesks } from "./checkin_store.js";

export function CheckinWipe() {
  useEffect(() => {
    let here = true; // the member may log in and open a desk before the wait ends: then nothing is wiped
    const wipe = () => noDeskOpen().then(() => (here ? wipeAllDesks() : null));
    wipe();
    // The desk's document being left can still finish a write after that (the logout loads this page
    // while it ends): wipe again whenever a desk slot is written while this page is open.
    const again = (event) => {
      if (event.storageArea === window.localStorage && (event.key === null || event.key.startsWith("rv-checkin:"))) wipe();
    };
    window.addEventListener("storage", again);
    return () => { here = false; window.removeEventListener("storage", again); };
  }, []);
  return null;
}
