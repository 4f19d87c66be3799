"""docs/errors.md is a specification: every snippet there raises exactly the message shown."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
import nn

ENTRY = re.compile(r"## (?P<title>.+?)\n\n```python\n(?P<code>.*?)\n```\n\n```text\n"
                   r"(?P<kind>\w+): (?P<message>.*?)\n```", re.S)
DOC = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text()
ENTRIES = [m.groupdict() for m in ENTRY.finditer(DOC)]


def test_the_errors_page_lists_entries():
    assert len(ENTRIES) >= 20


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["title"] for e in ENTRIES])
def test_documented_snippet_raises_the_documented_message(entry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as error:
            exec(entry["code"], {"ag": ag, "np": np, "nn": nn})
    assert type(error.value).__name__ == entry["kind"]
    assert str(error.value).splitlines()[0] == entry["message"]
