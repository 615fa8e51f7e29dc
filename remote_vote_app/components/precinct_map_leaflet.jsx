// The Leaflet map behind precinct_map.jsx, loaded by it once the page is usable: react-leaflet
// with our own marker icon (Leaflet's default icon does not load under Vite), the outline of
// Kyrgyzstan so the map means something without tiles, and a popup whose button reports the
// chosen precinct back to Reflex.
import { useDeferredValue, useEffect, useState } from "react";
import { CircleMarker, GeoJSON, MapContainer, Marker, Popup, TileLayer, useMap, useMapEvents } from "react-leaflet";
import MarkerClusterGroup from "react-leaflet-cluster";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import "leaflet.markercluster/dist/MarkerCluster.css";
import "leaflet.markercluster/dist/MarkerCluster.Default.css";

const CENTER = [41.3, 74.7];
const OUTLINE_STYLE = { color: "#4a5360", weight: 1.5, fillColor: "#f3ead7", fillOpacity: 0.7 };

function markerIcon(selected, fill) {
  const level = fill === "full" || fill === "almost_full" ? ` precinct-marker-${fill}` : "";
  return L.divIcon({
    className: (selected ? "precinct-marker precinct-marker-selected" : "precinct-marker") + level,
    // 28 px and more: WCAG 2.2 target size (2.5.8) asks for 24 px at least.
    iconSize: selected ? [34, 34] : [28, 28],
    iconAnchor: selected ? [17, 17] : [14, 14],
    popupAnchor: [0, -12],
    html: "",
  });
}

// Clusters of overlapping markers: 44 px targets, named for a screen reader as «4 участка» in the
// page's language (the plural form from Intl.PluralRules), not a bare number.
function clusterIcon(cluster, labels) {
  const count = cluster.getChildCount();
  const form = new Intl.PluralRules(document.documentElement.lang || "ru").select(count);
  const name = (labels[`cluster_${form}`] || labels.cluster_other || "{n}").replace("{n}", String(count));
  const safe = name.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  return L.divIcon({ html: `<span aria-hidden="true">${count}</span><span class="visually-hidden">${safe}</span>`,
                     className: "precinct-cluster", iconSize: [44, 44] });
}

// Zoom to what matters: the chosen precinct, else all the markers shown (the chosen city's).
// Without animation: a zoom animation still running when the page is left reads the removed
// map's panes (`_leaflet_pos` of undefined).
function FitView({ points, selectedPoint }) {
  const map = useMap();
  const key = points.map((p) => p.join(",")).join(";");
  useEffect(() => {
    const still = { animate: false };
    if (selectedPoint) {
      map.setView(selectedPoint, Math.max(map.getZoom(), 14), still);
    } else if (points.length === 1) {
      map.setView(points[0], 14, still);
    } else if (points.length > 1) {
      map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 14, ...still });
    }
  }, [key, selectedPoint ? selectedPoint.join(",") : ""]);
  return null;
}

// An opened popup takes focus (its button, else its text), so a keyboard user lands in it; Escape
// closes it and focus goes back to its marker.
function FocusPopup() {
  const map = useMapEvents({
    popupopen: (e) => {
      const root = e.popup.getElement();
      if (!root) return;
      const marker = e.popup._source;
      root.onkeydown = (ev) => {
        if (ev.key !== "Escape") return;
        ev.stopPropagation();
        map.closePopup(e.popup);
        const icon = marker && marker.getElement && marker.getElement();
        if (icon) icon.focus({ preventScroll: true });
      };
      setTimeout(() => {
        const target = root.querySelector(".popup-button") || root.querySelector(".popup");
        if (target) { if (!target.matches("button")) target.setAttribute("tabindex", "-1"); target.focus({ preventScroll: true }); }
      }, 0);
    },
  });
  return null;
}

// Staff: a click on the map proposes a new point for the precinct being edited.
function PickOnClick({ onPick }) {
  useMapEvents({ click: (e) => onPick(e.latlng.lat, e.latlng.lng) });
  return null;
}

export function LeafletMap({ precincts, selected, tileUrl, tileAttribution, outlineUrl, labels, onChoose, onPick,
                             picked, height }) {
  // The markers follow the precincts in a render of their own, after the one that shows the list:
  // the list answers first, the map draws in a separate task.
  const shown = useDeferredValue(precincts);
  const [outline, setOutline] = useState(null);
  useEffect(() => {
    let live = true;
    fetch(outlineUrl)
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => live && setOutline(data))
      .catch(() => {});
    return () => { live = false; };
  }, [outlineUrl]);
  const list = shown || [];
  const points = list.map((p) => [parseFloat(p.latitude), parseFloat(p.longitude)]);
  const chosen = list.find((p) => String(p.id) === String(selected));
  const selectedPoint = chosen ? [parseFloat(chosen.latitude), parseFloat(chosen.longitude)] : null;
  const choose = (id) => {
    // The list's radio (uncontrolled, so it keeps focus) follows the map's choice on the client.
    const radio = document.getElementById(`precinct-${id}`);
    if (radio) radio.checked = true;
    onChoose(id);
    // The popup goes with its marker (redrawn as chosen): focus the answer, the list's radio.
    if (radio) setTimeout(() => { radio.scrollIntoView({ block: "center" }); radio.focus({ preventScroll: true }); }, 0);
  };
  const renderMarker = (p, isSelected) => {
    const name = `${p.number} — ${p.place}${p.fill_text ? ` (${p.fill_text})` : ""}`;
    return (
      <Marker key={`${p.id}-${isSelected}-${p.fill || ""}`} position={[parseFloat(p.latitude), parseFloat(p.longitude)]}
              icon={markerIcon(isSelected, p.fill)} title={isSelected ? `${name} (${labels.selected})` : name}
              keyboard={true} zIndexOffset={isSelected ? 1000 : 0}>
        <Popup>
          <div className="popup">
            <strong>{name}</strong>
            <div>{p.city}{p.district ? `, ${p.district}` : ""}</div>
            <div>{p.address}</div>
            <div className="popup-precision">{p.precision_text}</div>
            {p.fill_text ? <div className={`popup-fill popup-fill-${p.fill}`}>{p.fill_text}</div> : null}
            {onChoose && p.fill !== "full" ? (
              <button type="button" className="button popup-button" onClick={() => choose(String(p.id))}>
                {labels.choose}
              </button>
            ) : null}
          </div>
        </Popup>
      </Marker>
    );
  };
  return (
    <div role="region" aria-label={labels.map} id="precinct-map" className="precinct-map">
      {/* On a touch screen one finger scrolls the page; two fingers move and zoom the map. */}
      <MapContainer center={CENTER} zoom={6} minZoom={5} maxZoom={18} scrollWheelZoom={false}
                    dragging={!L.Browser.mobile}
                    style={{ height: height || "420px", width: "100%" }}>
        <FitView points={points} selectedPoint={selectedPoint} />
        <FocusPopup />
        {tileUrl ? <TileLayer key={tileAttribution} url={tileUrl} attribution={tileAttribution} /> : null}
        {outline ? <GeoJSON data={outline} style={OUTLINE_STYLE} interactive={false} /> : null}
        {onPick ? <PickOnClick onPick={onPick} /> : null}
        {picked && picked[0] && picked[1] ? (
          <CircleMarker center={[parseFloat(picked[0]), parseFloat(picked[1])]} radius={9}
                        pathOptions={{ color: "#1b1f24", weight: 3, fillColor: "#ffbf47", fillOpacity: 1 }} />
        ) : null}
        {/* The chosen precinct stays a marker of its own (never hidden in a cluster). */}
        {list.filter((p) => String(p.id) === String(selected)).map((p) => renderMarker(p, true))}
        <MarkerClusterGroup chunkedLoading={false} showCoverageOnHover={false} maxClusterRadius={28}
                            iconCreateFunction={(cluster) => clusterIcon(cluster, labels)} spiderfyOnMaxZoom={true}>
          {list.filter((p) => String(p.id) !== String(selected)).map((p) => renderMarker(p, false))}
        </MarkerClusterGroup>
      </MapContainer>
    </div>
  );
}
