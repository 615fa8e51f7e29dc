"""The voter pass's verifiers, Python (services/passes.verify, the server's judge of a `qr` mark) and
JavaScript (components/pass_verify.js, the desk's), run over the same vectors: tests/vectors/passes.json."""

import json
import shutil
import subprocess

import pytest
from joserfc.jwk import OKPKey

from remote_vote_app.services.applications import passes
from remote_vote_app.services.applications.passes import PassError
from tests.vectors import make_passes

VECTORS = json.loads(make_passes.PATH.read_text(encoding="utf-8"))
RUNNER = make_passes.PATH.with_name("run_js.mjs")


def test_the_vector_file_is_what_the_generator_makes():
    # An expectation edited by hand (or a stale file) fails here before it can weaken either verifier.
    assert make_passes.PATH.read_text(encoding="utf-8") == make_passes.render()
    names = {v["name"] for v in VECTORS["vectors"]}
    assert {"valid", "forged_signature_of_other_claims", "tampered_claims", "other_key", "other_key_claiming_our_kid",
            "alg_none", "alg_hs256_with_public_key", "wrong_typ_roster"} <= names
    assert sum(v["valid"] for v in VECTORS["vectors"]) == 3  # both outcomes are exercised


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_python_verifier_over_the_vectors(vector):
    key = OKPKey.import_key(VECTORS["key"])
    if vector["valid"]:
        assert passes.verify(vector["token"], key) == vector["claims"]
    else:
        with pytest.raises(PassError):
            passes.verify(vector["token"], key)


def test_javascript_verifier_over_the_vectors():
    node = shutil.which("node")
    assert node, "node (20+) is needed to run the desk's pass verifier"
    run = subprocess.run([node, str(RUNNER), str(make_passes.PATH)], capture_output=True, text=True, timeout=60,
                         check=True)
    results = {r["name"]: r for r in json.loads(run.stdout)}
    assert list(results) == [v["name"] for v in VECTORS["vectors"]]
    for vector in VECTORS["vectors"]:
        got = results[vector["name"]]
        assert got["valid"] is vector["valid"], vector["name"]
        assert got["claims"] == vector.get("claims"), vector["name"]
