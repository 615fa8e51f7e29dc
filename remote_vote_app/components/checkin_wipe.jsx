// Rendered on the staff login page, where every logout and every ended session lands: deletes the
// check-in desks' keys and ciphertext from this browser whether or not a desk page was open
// (checkin_store.js). Not while a desk tab is still open in this browser (a member opening a second
// tab lands here first): that desk deletes its own data when the server answers 401.
// Queued marks stay until the server has answered them.
import { useEffect } from "react";
import { deskIsOpen, wipeAllDesks } from "./checkin_store.js";

export function CheckinWipe() {
  useEffect(() => {
    (async () => {
      if (!(await deskIsOpen())) await wipeAllDesks();
    })();
  }, []);
  return null;
}
