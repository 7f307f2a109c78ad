"""core.document: one size limit, one BOM, one strict parse for every source (ARCHITECTURE.md)."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from codequery_gitcfg.core import fmt
from codequery_gitcfg.core.document import BOM, CONFIG_PATH, MAX_BYTES, Document, check_size, has_bom
from codequery_gitcfg.core.errors import ConflictError, ReadError
from codequery_gitcfg.store import files

SIZE_MESSAGE = f"config file is larger than {MAX_BYTES} bytes (1 MiB)"


def test_the_size_limit_is_one_mib_and_says_so_with_the_label() -> None:
    assert MAX_BYTES == 1024 * 1024
    check_size(b" " * MAX_BYTES)  # at the limit: fine
    with pytest.raises(ReadError) as info:
        check_size(b" " * (MAX_BYTES + 1), "c.json")
    assert str(info.value) == f"c.json: {SIZE_MESSAGE}"
    with pytest.raises(ReadError) as info:
        Document.parse(b"{}" + b" " * MAX_BYTES, "blob")
    assert info.value.filename == "blob"
    assert [p.message for p in info.value.problems] == [SIZE_MESSAGE]


def test_a_bom_is_detected_and_kept_in_the_style() -> None:
    assert BOM == "\ufeff".encode()
    assert has_bom(BOM + b"{}") and not has_bom(b"{}")
    doc = Document.parse(BOM + b'{\r\n    "a": 1\r\n}\r\n', "c.json")
    assert doc.bom and doc.data == {"a": 1} and not doc.text.startswith("\ufeff")
    assert (doc.style.bom, doc.style.indent, doc.style.newline) == (True, 4, "\r\n")
    assert fmt.dump({"a": 2}, doc.style).startswith(BOM)
    plain = Document.parse(b'{"a": 1}', "c.json")
    assert not plain.bom and not plain.style.bom


@pytest.mark.parametrize(("raw", "kind", "message"), [
    (b"[1]", ReadError, "the configuration must be a JSON object, not list"),
    (b"\xff\xfe{\x00}\x00", ReadError, "config file is UTF-16 encoded; save it as UTF-8"),
    (b'{"a": "\xff"}', ReadError, "config file is not valid UTF-8 (byte 7)"),
    (b'{\n<<<<<<< ours\n"a": 1\n=======\n"a": 2\n>>>>>>> theirs\n}', ConflictError, "unresolved merge conflict"),
])
def test_every_refusal_carries_the_label_and_keeps_its_type(raw: bytes, kind: type, message: str) -> None:
    with pytest.raises(ReadError) as info:
        Document.parse(raw, "the label")
    assert type(info.value) is kind
    assert info.value.filename == "the label"
    assert message in str(info.value) and str(info.value).startswith("the label:")


class _Endless(io.RawIOBase):
    """A stream that never ends, counting what was taken from it."""

    def __init__(self) -> None:
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = len(buffer)
        buffer[:n] = b" " * n
        self.taken += n
        return n


def test_from_stream_never_reads_past_the_limit() -> None:
    endless = _Endless()
    with pytest.raises(ReadError) as info:
        Document.from_stream(io.BufferedReader(endless, buffer_size=4096), "<stdin>")
    assert info.value.filename == "<stdin>" and info.value.problems[0].message == SIZE_MESSAGE
    assert endless.taken <= MAX_BYTES + 4096  # one buffer past the limit at most, never the whole stream
    stream = io.BytesIO(b'{"a": 1}' + b" " * MAX_BYTES)
    with pytest.raises(ReadError):
        Document.from_stream(stream, "<stdin>")
    assert stream.tell() == MAX_BYTES + 1
    doc = Document.from_stream(io.BytesIO(b'{"a": 1}'), "<stdin>")
    assert (doc.label, doc.data, doc.path, doc.stat) == ("<stdin>", {"a": 1}, None, None)


def test_a_file_read_is_a_document_with_its_path_and_stat(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"a": 1}\n')
    doc = files.read(os.fspath(path), "cfg")
    assert isinstance(doc, Document)
    assert (doc.label, doc.path, doc.data) == ("cfg", os.fspath(path), {"a": 1})
    assert doc.stat is not None and doc.stat.st_size == len(doc.raw) == 9
    assert files.read(os.fspath(path)).label == os.fspath(path)  # no label: the path
    path.write_bytes(b" " * (MAX_BYTES + 1))
    with pytest.raises(ReadError) as info:
        files.read(os.fspath(path), "cfg")
    assert str(info.value) == f"cfg: {SIZE_MESSAGE}"


def test_the_config_path_is_gits_name_for_it() -> None:
    assert CONFIG_PATH == ".code-query/config.json"
