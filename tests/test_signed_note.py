"""C2SP signed notes (registry/signednote.py) and tlog checkpoints (registry/checkpoint.py).

The C2SP example note in `../shared/vectors/signed-note/` (read in place, never copied)
verifies with its verifier key; notes and keys round trip; every way a note, a key string or a
checkpoint can be wrong is refused with its own error (tables below).
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import checkpoint as cp
from registry import signednote as sn

from .support.vectors import vectors_dir

NAME = "clc.example.go.th/log"
SEED = hashlib.sha256(b"test seed").digest()
OTHER_SEED = hashlib.sha256(b"other seed").digest()
PUBLIC = sn.public_key_of(SEED)
KEY = sn.verifier_key(NAME, PUBLIC)
TEXT = "clc.example.go.th/log\n3\n" + base64.b64encode(bytes(32)).decode() + "\n"
SIGNED = sn.sign_note(TEXT, NAME, SEED)
SIG_LINE = SIGNED.split("\n\n")[-1]


@pytest.fixture(scope="module")
def example():
    folder = vectors_dir("signed-note")
    return ((folder / "note.txt").read_bytes(),
            (folder / "verifier-key.txt").read_text(encoding="utf-8").strip())


# --- the C2SP example ---------------------------------------------------------------------------

def test_c2sp_example_verifies(example):
    note, key = example
    opened = sn.open_note(note, [key])
    assert opened.text == "This is an example message.\n"
    assert [(s.name, f"{s.key_id:08x}") for s in opened.signatures] == [
        ("example.com/foo", "530d903a")]
    verifier = sn.parse_verifier_key(key)
    assert sn.verifier_key(verifier.name, verifier.public_key) == key


def test_c2sp_example_tampered_fails(example):
    note, key = example
    with pytest.raises(sn.InvalidNoteSignature):
        sn.open_note(note.replace(b"example message", b"example massage"), [key])


# --- round trips ----------------------------------------------------------------------------------

def test_sign_open_round_trip():
    assert SIGNED == TEXT + "\n" + SIG_LINE
    assert SIG_LINE.startswith("\u2014 " + NAME + " ")
    opened = sn.open_note(SIGNED, [KEY])
    assert opened.text == TEXT
    assert opened.signatures[0].key_id == sn.key_id(NAME, PUBLIC)
    assert sn.open_note(SIGNED.encode(), [sn.parse_verifier_key(KEY)]).text == TEXT


def test_key_id_is_the_spec_hash():
    expected = hashlib.sha256(NAME.encode() + b"\n\x01" + PUBLIC).digest()[:4]
    assert sn.key_id(NAME, PUBLIC) == int.from_bytes(expected, "big")
    assert KEY == f"{NAME}+{expected.hex()}+" + base64.b64encode(b"\x01" + PUBLIC).decode()


def test_signer_key_round_trip():
    text = sn.signer_key(NAME, SEED)
    assert text.startswith("PRIVATE+KEY+" + NAME + "+")
    assert sn.parse_signer_key(text) == (NAME, SEED)


def test_unknown_signatures_are_ignored_and_known_ones_kept():
    witness = sn.sign_note(TEXT, "witness.example/w", OTHER_SEED).split("\n\n")[-1]
    two = TEXT + "\n" + witness + SIG_LINE
    opened = sn.open_note(two, [KEY])
    assert [s.name for s in opened.signatures] == [NAME]
    both = [KEY, sn.verifier_key("witness.example/w", sn.public_key_of(OTHER_SEED))]
    assert [s.name for s in sn.open_note(two, both).signatures] == ["witness.example/w", NAME]


def test_text_may_hold_blank_lines():
    text = "first\n\nsecond\n\n\nthird\n"
    assert sn.open_note(sn.sign_note(text, NAME, SEED), [KEY]).text == text


def test_repeated_signature_is_kept_once():
    assert len(sn.open_note(SIGNED + SIG_LINE, [KEY]).signatures) == 1


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc"))), min_size=1))
def test_any_text_round_trips(lines):
    text = "\n".join(lines) + "\n"
    assert sn.open_note(sn.sign_note(text, NAME, SEED), [KEY]).text == text


# --- refusals ---------------------------------------------------------------------------------

def _flip_signature(note: str) -> str:
    head, line = note.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(line))
    raw[-1] ^= 1
    return head + " " + base64.b64encode(bytes(raw)).decode() + "\n"


def _with_key_id(note: str, ident: bytes) -> str:
    head, line = note.rsplit(" ", 1)
    raw = base64.b64decode(line)
    return head + " " + base64.b64encode(ident + raw[4:]).decode() + "\n"


KNOWN_ID = sn.key_id(NAME, PUBLIC).to_bytes(4, "big")
WRONG_ID = (sn.key_id(NAME, PUBLIC) ^ 1).to_bytes(4, "big")
SAME_ID_OTHER_NAME = SIGNED.replace("\u2014 " + NAME, "\u2014 other.example/log")

REFUSED_NOTES = {
    "tampered text": (SIGNED.replace("\n3\n", "\n4\n"), sn.InvalidNoteSignature),
    "tampered signature": (_flip_signature(SIGNED), sn.InvalidNoteSignature),
    "wrong key under the known name and id": (_with_key_id(sn.sign_note(TEXT, NAME, OTHER_SEED),
                                                           KNOWN_ID), sn.InvalidNoteSignature),
    "another key of the same name": (sn.sign_note(TEXT, NAME, OTHER_SEED), sn.UnverifiedNote),
    "key id mismatch: known name, other id": (_with_key_id(SIGNED, WRONG_ID),
                                              sn.UnverifiedNote),
    "known id, other name": (SAME_ID_OTHER_NAME, sn.UnverifiedNote),
    "missing blank line": (SIGNED.replace("\n\n", "\n"), sn.MalformedNote),
    "no signature lines": (TEXT + "\n", sn.MalformedNote),
    "no final newline": (SIGNED[:-1], sn.MalformedNote),
    "non-UTF-8": (SIGNED.encode().replace(b"clc.", b"\xffclc.", 1), sn.MalformedNote),
    "lone surrogate": ("\ud800" + SIGNED, sn.MalformedNote),
    "control character": (SIGNED.replace("\n3\n", "\n3\t\n"), sn.MalformedNote),
    "NUL": ("\x00" + SIGNED, sn.MalformedNote),
    "CRLF": (SIGNED.replace("\n", "\r\n"), sn.MalformedNote),
    "CRLF in the signature line only": (SIGNED[:-1] + "\r\n", sn.MalformedNote),
    "bad base64": (SIGNED[:-3] + "!!\n", sn.MalformedNote),
    "base64 without padding": (SIGNED.rstrip("=\n") + "\n", sn.MalformedNote),
    "short signature": (TEXT + "\n\u2014 " + NAME + " AAAA\n", sn.MalformedNote),
    "ascii hyphen instead of em dash": (SIGNED.replace("\u2014", "-"), sn.MalformedNote),
    "em dash without space": (SIGNED.replace("\u2014 ", "\u2014"), sn.MalformedNote),
    "en dash": (SIGNED.replace("\u2014", "\u2013"), sn.MalformedNote),
    "no key name": (SIGNED.replace("\u2014 " + NAME + " ", "\u2014 "), sn.MalformedNote),
    "key name with a plus": (SIGNED.replace(NAME, "a+b", 1).replace("\n\u2014 " + NAME,
                                                                      "\n\u2014 a+b"),
                             sn.MalformedNote),
    # The text ends at the LAST blank line, so the first signature line becomes text.
    "blank line among signatures": (SIGNED + "\n" + SIG_LINE, sn.InvalidNoteSignature),
    "oversize note": ("x" * sn.MAX_NOTE_BYTES + SIGNED, sn.NoteTooLarge),
    "too many signatures": (SIGNED + SIG_LINE * sn.MAX_SIGNATURES, sn.TooManySignatures),
    "unsigned by any known key": (sn.sign_note(TEXT, "another.example/log", SEED),
                                  sn.UnverifiedNote),
}


@pytest.mark.parametrize("case", REFUSED_NOTES, ids=list(REFUSED_NOTES))
def test_refused_notes(case):
    note, error = REFUSED_NOTES[case]
    with pytest.raises(error):
        sn.open_note(note, [KEY])


def test_limits_are_the_documented_ones():
    assert sn.MAX_SIGNATURES >= 16                      # the spec's floor
    sixteen = SIGNED + "".join(
        sn.sign_note(TEXT, f"w{i}.example/w", OTHER_SEED).split("\n\n")[-1] for i in range(15))
    assert len(sn.open_note(sixteen, [KEY]).signatures) == 1


OTHER_PUBLIC = sn.public_key_of(OTHER_SEED)
_KEY_BODY = base64.b64encode(b"\x01" + PUBLIC).decode()
_ID = KEY.split("+")[1]
REFUSED_KEYS = {
    "empty": "",
    "two parts": f"{NAME}+{_ID}",
    "four parts": f"{NAME}+{_ID}+{_KEY_BODY}+x",
    "empty name": f"+{_ID}+{_KEY_BODY}",
    "space in name": f"a b+{_ID}+{_KEY_BODY}",
    "uppercase hex id": f"{NAME}+{_ID.upper()}+{_KEY_BODY}" if _ID != _ID.upper() else "x",
    "short id": f"{NAME}+{_ID[:6]}+{_KEY_BODY}",
    "id of another key": f"{NAME}+{sn.key_id(NAME, OTHER_PUBLIC):08x}+{_KEY_BODY}",
    "bad base64": f"{NAME}+{_ID}+{_KEY_BODY[:-2]}!",
    "wrong type byte": f"{NAME}+{_ID}+" + base64.b64encode(b"\x02" + PUBLIC).decode(),
    "short key": f"{NAME}+{_ID}+" + base64.b64encode(b"\x01" + PUBLIC[:31]).decode(),
}


@pytest.mark.parametrize("case", REFUSED_KEYS, ids=list(REFUSED_KEYS))
def test_refused_verifier_keys(case):
    with pytest.raises(sn.KeyFormatError):
        sn.parse_verifier_key(REFUSED_KEYS[case])


def test_two_keys_with_one_name_and_id_are_refused():
    impostor = sn.Verifier(NAME, sn.key_id(NAME, PUBLIC), OTHER_PUBLIC)
    with pytest.raises(sn.KeyFormatError):
        sn.open_note(SIGNED, [KEY, impostor])


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u00a0b", "a\tb", "a\nb"])
def test_refused_key_names(name):
    with pytest.raises(sn.KeyFormatError):
        sn.verifier_key(name, PUBLIC)
    with pytest.raises(sn.KeyFormatError):
        sn.sign_note(TEXT, name, SEED)


@pytest.mark.parametrize("text", ["no newline", "", "crlf\r\n", "tab\there\n", "\ud800\n"])
def test_refused_texts_to_sign(text):
    with pytest.raises(sn.MalformedNote):
        sn.sign_note(text, NAME, SEED)


def test_refused_secret_keys():
    with pytest.raises(sn.KeyFormatError):
        sn.sign_note(TEXT, NAME, SEED[:31])
    with pytest.raises(sn.KeyFormatError):
        sn.parse_signer_key(sn.signer_key(NAME, SEED).replace("PRIVATE+KEY+", ""))


# --- checkpoints ------------------------------------------------------------------------------

ROOT = hashlib.sha256(b"root").digest()
ROOT64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize("size,extensions", [(0, ()), (1, ()), (20852163, ()),
                                             (cp.MAX_TREE_SIZE, ()), (5, ("ext one", "ext2"))])
def test_checkpoint_round_trip(size, extensions):
    text = cp.format_checkpoint(NAME, size, ROOT, extensions)
    assert text == "".join(line + "\n" for line in (NAME, str(size), ROOT64, *extensions))
    assert cp.parse_checkpoint(text) == cp.Checkpoint(NAME, size, ROOT, tuple(extensions))


def test_c2sp_checkpoint_example_parses():
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    parsed = cp.parse_checkpoint(text)
    assert (parsed.origin, parsed.size) == ("example.com/behind-the-sofa", 20852163)
    assert cp.format_checkpoint(*parsed) == text


def test_signed_checkpoint_round_trip():
    text = cp.format_checkpoint(NAME, 7, ROOT)
    opened = sn.open_note(sn.sign_note(text, NAME, SEED), [KEY])
    assert cp.parse_checkpoint(opened.text) == cp.Checkpoint(NAME, 7, ROOT)


REFUSED_CHECKPOINTS = {
    "no final newline": f"{NAME}\n1\n{ROOT64}",
    "two lines": f"{NAME}\n1\n",
    "empty origin": f"\n1\n{ROOT64}\n",
    "leading zero": f"{NAME}\n01\n{ROOT64}\n",
    "plus sign": f"{NAME}\n+1\n{ROOT64}\n",
    "negative": f"{NAME}\n-1\n{ROOT64}\n",
    "underscore": f"{NAME}\n1_000\n{ROOT64}\n",
    "thai digits": f"{NAME}\n\u0e51\n{ROOT64}\n",
    "spaces in size": f"{NAME}\n 1\n{ROOT64}\n",
    "size too large": f"{NAME}\n{2**63}\n{ROOT64}\n",
    "empty size": f"{NAME}\n\n{ROOT64}\n",
    "root of 31 bytes": f"{NAME}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n",
    "root of 33 bytes": f"{NAME}\n1\n{base64.b64encode(ROOT + b'x').decode()}\n",
    "root not base64": f"{NAME}\n1\n{ROOT64[:-2]}!=\n",
    "root unpadded": f"{NAME}\n1\n{ROOT64.rstrip('=')}\n",
    "root hex": f"{NAME}\n1\n{ROOT.hex()}\n",
    "empty extension line": f"{NAME}\n1\n{ROOT64}\n\next\n",
    "trailing blank line": f"{NAME}\n1\n{ROOT64}\n\n",
    "CRLF": f"{NAME}\r\n1\r\n{ROOT64}\r\n",
}


@pytest.mark.parametrize("case", REFUSED_CHECKPOINTS, ids=list(REFUSED_CHECKPOINTS))
def test_refused_checkpoints(case):
    with pytest.raises(cp.CheckpointError):
        cp.parse_checkpoint(REFUSED_CHECKPOINTS[case])


@pytest.mark.parametrize("args", [("", 1, ROOT), (NAME, -1, ROOT), (NAME, True, ROOT),
                                  (NAME, 2**63, ROOT), (NAME, 1, ROOT[:31]), ("a\nb", 1, ROOT),
                                  (NAME, 1, ROOT, ("",)), (NAME, 1, ROOT, ("a\nb",))])
def test_refused_checkpoint_formats(args):
    with pytest.raises(cp.CheckpointError):
        cp.format_checkpoint(*args)


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1),
       st.integers(0, cp.MAX_TREE_SIZE), st.binary(min_size=32, max_size=32))
def test_any_checkpoint_round_trips(origin, size, root):
    assert cp.parse_checkpoint(cp.format_checkpoint(origin, size, root)) == (origin, size,
                                                                             root, ())


@pytest.mark.parametrize("base,origin", [
    ("https://clc.example.go.th", "clc.example.go.th/log"),
    ("https://CLC.Example.go.th/", "clc.example.go.th/log"),
    ("http://127.0.0.1:8000", "127.0.0.1:8000/log"),
    ("https://clc.example.go.th:443", "clc.example.go.th/log"),
    ("http://clc.example.go.th:80/", "clc.example.go.th/log"),
    ("https://clc.example.go.th:8443", "clc.example.go.th:8443/log"),
    ("https://gov.example/clc", "gov.example/clc/log"),
    ("https://gov.example/a/b/", "gov.example/a/b/log"),
    ("https://[::1]:8080", "[::1]:8080/log"),
    ("https://\u0e17\u0e14\u0e2a\u0e2d\u0e1a.\u0e44\u0e17\u0e22", "xn--l3cfk7dp.xn--o3cw4h/log"),
])
def test_log_origin(base, origin):
    assert cp.log_origin(base) == origin
    sn.check_key_name(origin)


@pytest.mark.parametrize("base", ["", "not a url", "https://", "https://gov.example/a+b",
                                  "https://gov.example:99999"])
def test_refused_log_origins(base):
    with pytest.raises(ValueError):
        cp.log_origin(base)
