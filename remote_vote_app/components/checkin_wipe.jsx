// Rendered on the staff login page, where every logout and every ended session lands: deletes the
// check-in desks' keys and ciphertext from this browser whether or not a desk page is open
// (checkin_store.js). Queued marks stay until the server has answered them.
import { useEffect } from "react";
import { wipeAllDesks } from "./checkin_store.js";

export function CheckinWipe() {
  useEffect(() => {
    wipeAllDesks();
  }, []);
  return null;
}
