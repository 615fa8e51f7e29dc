// Runs the desk's pass verifier (components/pass_verify.js) over tests/vectors/passes.json and prints
// one {name, valid, claims} per vector as JSON; tests/unit/test_pass_vectors.py compares them with the
// vectors' expectations. Usage: node tests/vectors/run_js.mjs [vectors.json] [pass_verify.js]
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vectorsPath = process.argv[2] || resolve(here, "passes.json");
const modulePath = process.argv[3] || resolve(here, "../../remote_vote_app/components/pass_verify.js");
const { verifyPass } = await import(pathToFileURL(modulePath).href);
const { key, vectors } = JSON.parse(readFileSync(vectorsPath, "utf8"));
const results = [];
for (const vector of vectors) {
  const claims = await verifyPass(vector.token, key);
  results.push({ name: vector.name, valid: claims !== null, claims });
}
process.stdout.write(JSON.stringify(results));
