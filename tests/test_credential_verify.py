"""Checking a licence credential (SPEC §11, issue 14 item 4): registry/credentialcheck.py
against the register's store and against a bundle made by `licence-registry
credential-bundle`, `licence-registry verify-credential`, and `POST /verify` with a credential
(JSON and page). The clock is always injected."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.demo import demo_rows
from registry import dataintegrity
from registry.credentialbundle import BundleError, BundleSource, write_bundle
from registry.credentialcheck import IssuerSource, check_credential, parse_credential
from registry.credentialissue import CredentialIssuer
from registry.credentialwords import PROBLEM_WORDS, STATUS_WORDS
from registry.jsonldcontexts import bundled_loader
from registry.settings import load_settings
from registry.signingkeys import SigningKeys
from registry.store.opening import open_repository
from web.app import create_app
from web.messages import words

from .support.builders import with_value
from .support.sharedstores import copy_of_store
from .support.stores import BASE

NOW = dt.datetime(2026, 12, 3, 4, 5, 6, tzinfo=dt.UTC)
OTHER_BASE = "http://other.example"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
THAI = dt.timezone(dt.timedelta(hours=7))


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _year(thai_day: str) -> int:
    """The Common Era year of a demo row's day: yyyy-mm-dd, or dd/mm/yyyy Buddhist Era."""
    if "-" in thai_day:
        return int(thai_day[:4])
    return int(thai_day.rsplit("/", 1)[-1]) - 543


def _rows(catalogue, count: int, seed: int = 5) -> list[dict]:
    """Active licences whose validity spans NOW (valid from before it, until well after)."""
    chosen = []
    for row in demo_rows(catalogue, 400, seed=seed, agency="diw"):
        if row["status"] == "active" and _year(row["issued"]) <= 2025 \
                and (not row["valid_until"] or _year(row["valid_until"]) >= 2028):
            chosen.append(row)
        if len(chosen) == count:
            return chosen
    raise AssertionError("too few demo rows fit")


def _as_status(row: dict, status: str) -> dict:
    return dict(row, status=status, status_reason="ตรวจพบการฝ่าฝืน" if status != "active" else "")


class Register:
    """A store (closed between uses by the CLI), its key file and its signer."""

    def __init__(self, folder: Path, template: Path, publish, rows: list[dict]):
        self.folder = folder
        self.store = folder / "store"
        self.repo = copy_of_store(template, self.store)
        self.keys = SigningKeys(folder / "keys" / "signing-keys.json")   # the default path
        self.keys.ensure(NOW - dt.timedelta(days=400))
        self.keys_made = True
        self.rows = rows
        self.published = publish(self.repo, rows)
        self.issuer = CredentialIssuer(self.repo, BASE, self.keys)

    def credential(self, index: int = 0) -> dict:
        issued = self.issuer.licence_credential(self.published.keys[index])
        assert issued is not None
        return json.loads(issued.body)

    def check(self, document, now=NOW, source=None):
        return check_credential(document, source or IssuerSource(self.issuer), now)


@pytest.fixture
def register(tmp_path, initialised_template, publish, catalogue):
    made = Register(tmp_path, initialised_template, publish, _rows(catalogue, 3))
    yield made
    made.repo.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory, initialised_template, publish, catalogue):
    """A register only read by the tests that take it."""
    made = Register(tmp_path_factory.mktemp("shared"), initialised_template, publish,
                    _rows(catalogue, 3, seed=6))
    yield made
    made.repo.close()


# --- the words --------------------------------------------------------------------------------

@pytest.mark.parametrize("table", [PROBLEM_WORDS, STATUS_WORDS])
def test_every_wording_has_thai_and_english(table):
    for code, (th, en) in table.items():
        assert any("\u0e00" <= c <= "\u0e7f" for c in th), code       # real Thai text
        assert en.isascii() and en.strip() and th != en, code


# --- a served credential verifies, online and from a bundle ---------------------------------

def test_a_served_credential_verifies_online(shared):
    result = shared.check(shared.credential())
    assert (result.verified, result.effective_status, result.problems) == (True, "active", ())
    assert result.complete
    assert result.licence.iri.startswith(BASE + "/id/licence/diw/")
    assert result.licence.number and result.licence.holder
    assert result.verification_method.startswith("did:web:127.0.0.1%3A8000#")
    body = result.as_json()
    assert body["checked"] == "2026-12-03T04:05:06Z"
    assert body["status_words"]["th"] == STATUS_WORDS["active"][0]


def test_a_served_credential_verifies_from_a_bundle(shared, tmp_path):
    manifest = write_bundle(tmp_path / "bundle", shared.issuer, NOW)
    assert manifest["lists"] == {"revocation": [0], "suspension": [0]}
    assert manifest["base"] == BASE and manifest["made"] == "2026-12-03T04:05:06Z"
    for name in ("manifest.json", "did.json", "status/revocation/0.json",
                 "status/suspension/0.json", "contexts/credentials-v1.jsonld"):
        assert (tmp_path / "bundle" / name).is_file(), name
    result = shared.check(shared.credential(1), source=BundleSource(tmp_path / "bundle"))
    assert (result.verified, result.effective_status, result.problems) == (True, "active", ())
    # Written again over itself: replaced whole, no temporary folders left beside it.
    write_bundle(tmp_path / "bundle", shared.issuer, NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


# --- tampering fails, each with its code --------------------------------------------------------

def _set(path: tuple, value):
    return lambda document: with_value(document, path, value)


def _drop(name: str):
    def change(document: dict) -> dict:
        return {k: v for k, v in document.items() if k != name}
    return change


TAMPERED = [
    ("subject number", _set(("credentialSubject", "number"), "999/2569"), "signature-mismatch"),
    ("validUntil", _set(("validUntil",), "2099-01-01T00:00:00Z"), "signature-mismatch"),
    ("status index", _set(("credentialStatus", 0, "statusListIndex"), "7"),
     "signature-mismatch"),
    ("issuer", _set(("issuer",), "did:web:other.example"), "other-issuer"),
    ("proof value", _set(("proof", "proofValue"), "z" + "1" * 80), "bad-proof-value"),
    ("proof purpose", _set(("proof", "proofPurpose"), "authentication"), "wrong-purpose"),
    ("foreign key", _set(("proof", "verificationMethod"), "did:web:other.example#k"),
     "other-issuer"),
    ("unknown key", _set(("proof", "verificationMethod"), "did:web:127.0.0.1%3A8000#nokey"),
     "unknown-key"),
    ("no proof", _drop("proof"), "no-proof"),
    ("remote context", _set(("@context", 1), "https://evil.example/context.jsonld"),
     "invalid-document"),
    ("cryptosuite", _set(("proof", "cryptosuite"), "ecdsa-rdfc-2019"), "unsupported-proof"),
]


@pytest.mark.parametrize("name, change, code", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_tampering_fails_with_its_code(shared, name, change, code):
    result = shared.check(change(shared.credential()))
    assert not result.verified and result.effective_status == "unknown"
    assert [p.code for p in result.problems] == [code]
    assert result.problems[0].th and result.problems[0].en


def test_a_proof_set_is_not_verified(shared):
    document = shared.credential()
    document["proof"] = [document["proof"], document["proof"]]
    assert [p.code for p in shared.check(document).problems] == ["proof-set"]


# --- statuses follow real uploads ---------------------------------------------------------------

@pytest.mark.parametrize("status, expected", [
    ("suspended", "suspended"), ("revoked", "revoked"), ("surrendered", "revoked")])
def test_status_bits_follow_uploads(register, publish, status, expected):
    held = register.credential(0)                     # the credential the holder keeps
    publish(register.repo, [_as_status(register.rows[0], status)])
    result = register.check(held)
    assert (result.verified, result.effective_status) == (True, expected)
    assert register.check(register.credential(1)).effective_status == "active"
    if status == "suspended":                         # reinstated: the bit clears
        publish(register.repo, [register.rows[0]])
        assert register.check(held).effective_status == "active"


def test_expired_and_not_yet_valid_by_the_clock(shared, catalogue):
    document = shared.credential()
    valid_from = _moment(document["validFrom"])
    assert shared.check(document, now=valid_from - dt.timedelta(seconds=1)
                        ).effective_status == "not-yet-valid"
    until = document.get("validUntil")
    if until:
        assert shared.check(document, now=_moment(until) + dt.timedelta(seconds=1)
                            ).effective_status == "expired"
        assert shared.check(document, now=_moment(until)).effective_status == "active"


# --- status lists from elsewhere -----------------------------------------------------------------

def test_a_status_list_from_another_key_fails(shared, tmp_path):
    """A bundle whose list is signed by a key the DID document does not list."""
    write_bundle(tmp_path / "b", shared.issuer, NOW)
    stranger = SigningKeys(tmp_path / "stranger.json")
    stranger.ensure(NOW)
    forged_issuer = CredentialIssuer(shared.repo, BASE, stranger)
    forged = forged_issuer.status_list_credential("revocation", 0)
    (tmp_path / "b" / "status" / "revocation" / "0.json").write_bytes(forged.body)
    result = shared.check(shared.credential(), source=BundleSource(tmp_path / "b"))
    assert result.verified and result.effective_status == "unknown"
    assert [p.code for p in result.problems] == ["status-list-unverified"]


OTHER_DID = "did:web:other.example"


def _signed_by_other_did(document: dict, keys: SigningKeys) -> dict:
    """`document` issued and signed by another DID (with a key of ours, named as its)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["issuer"] = OTHER_DID
    key = keys.current_key()
    return dataintegrity.sign(unsigned, secret_key=key.secret_key,
                              verification_method=f"{OTHER_DID}#{key.id}",
                              created="2026-12-01T00:00:00Z", loader=bundled_loader(BASE))


def test_a_status_list_from_another_did_fails(shared, tmp_path):
    write_bundle(tmp_path / "b", shared.issuer, NOW)
    path = tmp_path / "b" / "status" / "suspension" / "0.json"
    path.write_text(json.dumps(_signed_by_other_did(json.loads(path.read_text()), shared.keys)))
    result = shared.check(shared.credential(), source=BundleSource(tmp_path / "b"))
    assert result.verified and result.effective_status == "unknown"
    assert [p.code for p in result.problems] == ["status-list-other-issuer"]


def test_a_credential_of_another_issuer_is_not_verified(shared):
    result = shared.check(_signed_by_other_did(shared.credential(), shared.keys))
    assert not result.verified and [p.code for p in result.problems] == ["other-issuer"]
    assert OTHER_DID in result.problems[0].detail


def test_a_bundle_missing_a_list_fails_clearly(shared, tmp_path):
    write_bundle(tmp_path / "b", shared.issuer, NOW)
    (tmp_path / "b" / "status" / "suspension" / "0.json").unlink()
    result = shared.check(shared.credential(), source=BundleSource(tmp_path / "b"))
    assert result.verified and result.effective_status == "unknown"
    assert [p.code for p in result.problems] == ["status-list-unavailable"]
    assert "/status/suspension/0" in result.problems[0].detail


def test_a_folder_that_is_no_bundle_is_refused(tmp_path):
    with pytest.raises(BundleError, match="manifest"):
        BundleSource(tmp_path)


# --- hostile input ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, code", [
    ("not json", "not-json"),
    ("[1, 2]", "not-a-credential"),
    ("[" * 100_000 + "]" * 100_000, "not-a-credential"),
    ('{"n": ' + "9" * 5000 + "}", "not-json"),
    ("x" * (dataintegrity.MAX_DOCUMENT_CHARS * 4 + 1), "too-large"),
    ('{"n": NaN}', "not-json"),
])
def test_input_that_is_no_credential_is_named(text, code):
    document, problem = parse_credential(text)
    assert document is None and problem is not None and problem.code == code


def test_a_json_object_that_is_no_credential(shared):
    result = shared.check({"hello": "world"})
    assert [p.code for p in result.problems] == ["not-a-credential"]


# --- the command line -------------------------------------------------------------------------

def _cli(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def closed(register):
    """The register with its store closed, for the CLI to open."""
    register.repo.close()
    return register


def test_the_cli_verifies_online_and_offline(closed, tmp_path):
    store = ["--store", str(closed.store), "--base-iri", BASE]
    credential = tmp_path / "credential.json"
    repo = open_repository(load_settings({"STORE": str(closed.store), "BASE_IRI": BASE}))
    try:
        issued = CredentialIssuer(repo, BASE, closed.keys).licence_credential(
            closed.published.keys[0])
        credential.write_bytes(issued.body)
    finally:
        repo.close()
    online = _cli(*store, "verify-credential", str(credential))
    assert online.exit_code == 0, online.output
    assert "Effective status / สถานะ: active" in online.output
    assert STATUS_WORDS["active"][0] in online.output and STATUS_WORDS["active"][1] in online.output

    bundle = _cli(*store, "credential-bundle", str(tmp_path / "bundle"))
    assert bundle.exit_code == 0, bundle.output
    assert "2 status list(s)" in bundle.output
    # Offline: no store at all (a store path that does not exist stays so).
    offline = _cli("--store", str(tmp_path / "none"), "verify-credential", "-",
                   "--offline", str(tmp_path / "bundle"), input=credential.read_text())
    assert offline.exit_code == 0, offline.output
    assert "active" in offline.output and not (tmp_path / "none").exists()

    tampered = json.loads(credential.read_text())
    tampered["credentialSubject"]["number"] = "1/2500"
    bad = _cli("verify-credential", "-", "--offline", str(tmp_path / "bundle"),
               input=json.dumps(tampered))
    assert bad.exit_code == 1
    assert "[signature-mismatch]" in bad.output
    assert PROBLEM_WORDS["signature-mismatch"][0] in bad.output


@pytest.mark.parametrize("content, says", [
    ("not json at all", "not-json"), ("[]", "not-a-credential"), ("", "not-json")])
def test_the_cli_names_bad_input_without_a_traceback(tmp_path, content, says, closed):
    (tmp_path / "x.json").write_text(content)
    result = _cli("--store", str(closed.store), "verify-credential", str(tmp_path / "x.json"))
    assert result.exit_code == 1 and says in result.output
    assert "Traceback" not in result.output


def test_the_cli_refuses_a_missing_file_and_a_bad_bundle(tmp_path, closed):
    missing = _cli("--store", str(closed.store), "verify-credential", str(tmp_path / "no.json"))
    assert missing.exit_code == 1 and "Cannot read" in missing.output
    (tmp_path / "c.json").write_text("{}")
    no_bundle = _cli("verify-credential", str(tmp_path / "c.json"), "--offline", str(tmp_path))
    assert no_bundle.exit_code == 1 and "manifest" in no_bundle.output


def test_verify_credential_refuses_a_store_minted_under_another_base(closed, tmp_path):
    (tmp_path / "c.json").write_text("{}")
    result = _cli("--store", str(closed.store), "--base-iri", OTHER_BASE, "verify-credential",
                  str(tmp_path / "c.json"))
    assert result.exit_code == 1 and BASE in result.output and OTHER_BASE in result.output


def test_the_bundle_refuses_a_folder_holding_something_else(closed, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    result = _cli("--store", str(closed.store), "credential-bundle", str(tmp_path / "busy"))
    assert result.exit_code == 1 and "something other" in result.output
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


# --- POST /verify -------------------------------------------------------------------------------

@pytest.fixture
def web(register):
    """An app over the register's store, whose clock says 3 December 2026."""
    app = create_app({"STORE": str(register.store), "BASE_IRI": BASE},
                     repository=register.repo, clock=lambda: dt.date(2026, 12, 3))
    return app.test_client()


@pytest.mark.parametrize("media_type", ["application/json", "application/vc",
                                        "application/ld+json", "application/vc+ld+json"])
def test_post_verify_answers_json_for_a_credential(register, web, media_type):
    body = json.dumps(register.credential())
    response = web.post("/verify", data=body, content_type=media_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["verified"], answer["effective_status"]) == (True, "active")
    assert answer["problems"] == [] and answer["checked"] == "2026-12-03T05:00:00Z"
    assert answer["licence"]["iri"].startswith(BASE + "/id/licence/")
    assert response.headers["Cache-Control"] == "no-store"


def test_post_verify_reports_a_tampered_credential_with_200(register, web):
    tampered = register.credential()
    tampered["credentialSubject"]["number"] = "1/2500"
    answer = web.post("/verify", json=tampered).get_json()
    assert answer["verified"] is False and answer["effective_status"] == "unknown"
    assert [(p["code"], bool(p["th"]), bool(p["en"])) for p in answer["problems"]] == [
        ("signature-mismatch", True, True)]


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400), (b"[1]", 400), (b'{"type": "Thing"}', 400),
    (b"[" * 50_000 + b"]" * 50_000, 400),
    (b'{"x": "' + b"a" * (dataintegrity.MAX_DOCUMENT_CHARS * 4) + b'"}', 413)])
def test_post_verify_refuses_what_is_no_credential(web, body, status):
    response = web.post("/verify", data=body, content_type="application/json")
    assert response.status_code == status
    error = response.get_json()["error"]
    if status == 400:
        assert error["problem"]["th"] and error["problem"]["en"]
    else:
        assert error["code"] == "credential-too-large"


def test_a_document_body_is_still_hashed(web):
    """Any other body is a document whose SHA-256 is looked up, as before."""
    response = web.post("/verify", data=b"%PDF-1.4 nothing", content_type="application/pdf")
    assert response.status_code == 404 and response.get_json()["matches"] == []


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("how", ["urlencoded", "multipart"])
def test_the_page_checks_a_pasted_credential(register, web, publish, lang, how):
    held = register.credential()
    held_text = json.dumps(held, ensure_ascii=False)
    publish(register.repo, [_as_status(register.rows[0], "suspended")])
    data = {"credential": held_text}
    response = web.post(f"/verify?lang={lang}", data=data,
                        content_type="multipart/form-data" if how == "multipart" else None,
                        headers={"Accept": BROWSER, "Accept-Language": lang})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    t = words(lang, "verifycredential")
    assert t["vc_verified"] in page
    assert STATUS_WORDS["suspended"][0 if lang == "th" else 1] in page
    assert 'data-status="suspended"' in page
    assert response.headers["Cache-Control"] == "no-store"


def test_the_page_refuses_a_paste_that_is_no_credential(web):
    response = web.post("/verify?lang=th", data={"credential": "hello"},
                        headers={"Accept": BROWSER, "Accept-Language": "th"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert PROBLEM_WORDS["not-json"][0] in page and "hello" in page


def test_bidi_text_in_the_subject_is_isolated_on_the_page(register, web):
    document = register.credential()
    document["credentialSubject"]["number"] = "\u202eevil"      # changes the proof: fine
    response = web.post("/verify", data={"credential": json.dumps(document)},
                        headers={"Accept": BROWSER})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-status="unknown"' in page
    assert "<bdi>\u202eevil</bdi>" in page and 'class="hidden-chars"' in page


def test_without_a_key_file_the_register_cannot_check(register, web):
    credential = register.credential()
    register.keys.path.unlink()
    response = web.post("/verify", json=credential)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "credential-check-unavailable"
