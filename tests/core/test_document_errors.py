"""core.document: Document.parse names the file in its errors."""
from __future__ import annotations

import pytest
from codequery_gitcfg.core.document import Document
from codequery_gitcfg.core.errors import ReadError

# -- Document.parse and disagreement positions ----------------------------------------


def test_document_parse_names_the_file_in_its_errors_and_keeps_their_type() -> None:
    with pytest.raises(ReadError) as info:
        Document.parse(b"[1]", "c.json")
    assert info.value.filename == "c.json"
    assert str(info.value) == "c.json:1:1: the configuration must be a JSON object, not list"
