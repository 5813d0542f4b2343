"""The README's code examples run as written."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(section: str) -> list:
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end if end > 0 else None], flags=re.S)


@pytest.mark.parametrize("section", ["A first solve", "Gradients through the exact circuit (PyTorch autograd)"])
def test_readme_examples_run(section):
    blocks = python_blocks(section)
    assert blocks, f"no python example under '## {section}'"
    for block in blocks:
        exec(compile(block, f"README.md: {section}", "exec"), {})
