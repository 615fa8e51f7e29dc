// The precinct map's place on the page, and the map itself once the page is usable: Leaflet (190 KB
// of script, a long task to start) loads when the browser is first idle, not with the page, so the
// list beside it and the form around it answer first. The place keeps the map's height meanwhile:
// nothing moves when it arrives.
import { useEffect, useState } from "react";

export function PrecinctMap(props) {
  const [Loaded, setLoaded] = useState(null);
  useEffect(() => {
    let live = true;
    const start = () => import("./precinct_map_leaflet.jsx").then((m) => live && setLoaded(() => m.LeafletMap));
    const idle = window.requestIdleCallback ? window.requestIdleCallback(start, { timeout: 1500 }) : window.setTimeout(start, 1);
    return () => {
      live = false;
      if (window.cancelIdleCallback) window.cancelIdleCallback(idle); else window.clearTimeout(idle);
    };
  }, []);
  if (Loaded) return <Loaded {...props} />;
  // The same boxes as the map's (its border, then the map's height).
  return <div className="precinct-map"><div style={{ height: props.height || "420px" }} /></div>;
}
