// Regenerates assets/kyrgyzstan.geo.json (Natural Earth 1:10m, public domain, via the npm package
// world-atlas). Usage: npm install --prefix /tmp/geo world-atlas@2 topojson-client@3 &&
// NODE_PATH=/tmp/geo/node_modules node scripts/kyrgyzstan_outline.js > assets/kyrgyzstan.geo.json
const topojson = require("topojson-client");
const world = require("world-atlas/countries-10m.json");
const kyrgyzstan = topojson.feature(world, world.objects.countries).features.find((f) => f.id === "417");
// Three decimals (~100 m) is finer than the map ever needs and keeps the file small.
const round = (c) => (Array.isArray(c[0]) ? c.map(round) : c.map((v) => Math.round(v * 1000) / 1000));
kyrgyzstan.geometry.coordinates = round(kyrgyzstan.geometry.coordinates);
process.stdout.write(JSON.stringify({
  type: "FeatureCollection",
  features: [{ type: "Feature", properties: { name: "Kyrgyzstan", source: "Natural Earth via world-atlas@2 countries-10m" },
               geometry: kyrgyzstan.geometry }],
}));
