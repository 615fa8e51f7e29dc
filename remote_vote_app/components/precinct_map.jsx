// The precinct map: react-leaflet with our own marker icon (Leaflet's default icon does not load
// under Vite), the outline of Kyrgyzstan so the map means something without tiles, and a popup
// whose button reports the chosen precinct back to Reflex.
import { useEffect, useState } from "react";
import { CircleMarker, GeoJSON, MapContainer, Marker, Popup, TileLayer, useMapEvents } from "react-leaflet";
import L from "leaflet";
import "leaflet/dist/leaflet.css";

const CENTER = [41.3, 74.7];
const OUTLINE_STYLE = { color: "#4a5360", weight: 1.5, fillColor: "#f3ead7", fillOpacity: 0.7 };

function markerIcon(selected, fill) {
  const level = fill === "full" || fill === "almost_full" ? ` precinct-marker-${fill}` : "";
  return L.divIcon({
    className: (selected ? "precinct-marker precinct-marker-selected" : "precinct-marker") + level,
    iconSize: selected ? [30, 30] : [22, 22],
    iconAnchor: selected ? [15, 15] : [11, 11],
    popupAnchor: [0, -12],
    html: "",
  });
}

// Staff: a click on the map proposes a new point for the precinct being edited.
function PickOnClick({ onPick }) {
  useMapEvents({ click: (e) => onPick(e.latlng.lat, e.latlng.lng) });
  return null;
}

export function PrecinctMap({ precincts, selected, tileUrl, tileAttribution, outlineUrl, labels, onChoose, onPick,
                              picked, height }) {
  const [outline, setOutline] = useState(null);
  useEffect(() => {
    let live = true;
    fetch(outlineUrl)
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => live && setOutline(data))
      .catch(() => {});
    return () => { live = false; };
  }, [outlineUrl]);
  return (
    <div role="region" aria-label={labels.map} id="precinct-map" className="precinct-map">
      <MapContainer center={CENTER} zoom={6} minZoom={5} maxZoom={18} scrollWheelZoom={false}
                    style={{ height: height || "420px", width: "100%" }}>
        {tileUrl ? <TileLayer key={tileAttribution} url={tileUrl} attribution={tileAttribution} /> : null}
        {outline ? <GeoJSON data={outline} style={OUTLINE_STYLE} interactive={false} /> : null}
        {onPick ? <PickOnClick onPick={onPick} /> : null}
        {picked && picked[0] && picked[1] ? (
          <CircleMarker center={[parseFloat(picked[0]), parseFloat(picked[1])]} radius={9}
                        pathOptions={{ color: "#1b1f24", weight: 3, fillColor: "#ffbf47", fillOpacity: 1 }} />
        ) : null}
        {(precincts || []).map((p) => {
          const isSelected = String(p.id) === String(selected);
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
                    <button type="button" className="button popup-button" onClick={() => onChoose(String(p.id))}>
                      {labels.choose}
                    </button>
                  ) : null}
                </div>
              </Popup>
            </Marker>
          );
        })}
      </MapContainer>
    </div>
  );
}
