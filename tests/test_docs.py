"""The README and docs/ stay true: links resolve, documented `heron` commands parse, the README's example runs.

- every relative link (``[text](path)``, ``![alt](path)``, ``path#anchor``) in README.md, docs/**/*.md and the
  model card names an existing file (the anchor is not checked);
- every ``heron ...`` line in a fenced code block of those pages parses against the real parser
  (``heron.cli.main.build_parser``): a stale option or subcommand fails here;
- the README's first ```python block runs in a fresh folder and prints its outcome;
- the README stays a front page (at most 250 lines).
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MODEL_CARD = ROOT / "src" / "heron" / "policies" / "default" / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
LINKED_PAGES = [README, *DOCS, MODEL_CARD]
COMMAND_PAGES = [README, *DOCS, MODEL_CARD]

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>]*>")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def split_fences(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str, list[tuple[int, str]]]]]:
    """(prose lines, code blocks): prose as (line number, text); blocks as (first line number, info, lines)."""
    prose, blocks, block = [], [], None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if FENCE.match(line):
            if block is None:
                block = (number, line.strip()[3:].strip(), [])
            else:
                blocks.append(block)
                block = None
            continue
        (prose if block is None else block[2]).append((number, line))
    assert block is None, f"{rel(path)}: a code block opened at line {block[0]} is never closed"
    return prose, blocks


# ---------------------------------------------------------------------------------------------------- links


def relative_links(path: Path) -> list[tuple[int, str]]:
    prose, _ = split_fences(path)
    found = []
    for number, line in prose:
        for target in LINK.findall(INLINE_CODE.sub("``", line)):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # http:, https:, mailto:, ...
                continue
            found.append((number, target))
    return found


LINKS = [(page, number, target) for page in LINKED_PAGES if page.is_file() for number, target in relative_links(page)]


def test_the_pages_exist_and_have_links():
    assert MODEL_CARD.is_file() and len(DOCS) >= 5, [rel(p) for p in DOCS]
    assert len(LINKS) >= 50, f"only {len(LINKS)} relative links found: is the link pattern broken?"


@pytest.mark.parametrize("page,number,target", LINKS, ids=[f"{rel(p)}:{n}:{t}" for p, n, t in LINKS])
def test_relative_link_resolves(page, number, target):
    file_part = unquote(target.split("#", 1)[0])
    resolved = page if not file_part else (page.parent / file_part)
    assert resolved.is_file(), f"{rel(page)}:{number}: link ({target}) names {resolved}, which is not a file"


def test_the_link_check_sees_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "[a](exists.md) and [b](missing.md#part), `[c](not-a-link.md)`, [d](https://example.com)\n```\n[e](in-code.md)\n```\n"
    )
    (tmp_path / "exists.md").write_text("x")
    links = relative_links(page)
    assert [t for _, t in links] == ["exists.md", "missing.md#part"]
    assert not (tmp_path / "missing.md").is_file()


# ------------------------------------------------------------------------------------------------- commands


def shell_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Backslash-continued lines joined, each with the number of its first line."""
    out, pending, start = [], "", 0
    for number, line in lines:
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def heron_args(line: str) -> list[str] | None:
    """The arguments after ``heron`` of a documented command line, or None when it is no checkable command."""
    text = line.strip()
    if text.startswith("$ "):
        text = text[2:].lstrip()
    if not text.startswith("heron ") or "--help" in text or PLACEHOLDER.search(text):
        return None
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True  # comments (#) are dropped by the lexer
    words = []
    for word in lexer:
        if word and set(word) <= set(lexer.punctuation_chars):  # a pipe, redirection, ; or &: the command ends
            if word.startswith(">") and words and words[-1].isdigit():
                words.pop()  # the 2 of 2>&1
            break
        words.append(word)
    return words[1:]


COMMANDS = []
for _page in COMMAND_PAGES:
    if _page.is_file():
        for _first, _info, _block in split_fences(_page)[1]:
            for _number, _line in shell_lines(_block):
                _args = heron_args(_line)
                if _args is not None:
                    COMMANDS.append((_page, _number, _args))


def test_the_command_check_finds_the_documented_commands():
    assert len(COMMANDS) >= 40, f"only {len(COMMANDS)} heron commands found in code blocks"
    assert heron_args("$ heron view data/x | head  # comment") == ["view", "data/x"]
    assert heron_args("heron eval --policy <dir>") is None
    assert heron_args("heron run -i 'a | b' > out.txt 2>&1") == ["run", "-i", "a | b"]
    assert shell_lines([(1, "heron train \\"), (2, "  --config c.yaml x=1"), (3, "heron plan 'x'")]) == [
        (1, "heron train    --config c.yaml x=1"),
        (3, "heron plan 'x'"),
    ]


def parse(args: list[str]) -> str | None:
    """None if the real parser accepts ``args``, else its error message."""
    from heron.cli.main import build_parser

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(args)
        except SystemExit as exc:
            return err.getvalue().strip() or f"exit {exc.code}"
    return None


def test_the_command_check_rejects_a_stale_command():
    assert parse(["bench", "latency", "--threads", "1"]) is None
    assert parse(["bench", "latency", "--soak", "60"]) is not None  # an option of another target
    assert parse(["collect", "--episodes", "3", "--no-such-option"]) is not None


@pytest.mark.parametrize("page,number,args", COMMANDS, ids=[f"{rel(p)}:{n}" for p, n, _ in COMMANDS])
def test_documented_command_parses(page, number, args):
    error = parse(args)
    assert error is None, f"{rel(page)}:{number}: heron {shlex.join(args)}\n{error}"


# ------------------------------------------------------------------------------------------------- README


def test_readme_is_a_front_page():
    lines = README.read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail into docs/"


def readme_python_example() -> str:
    for _, info, lines in split_fences(README)[1]:
        if info.split()[:1] == ["python"]:
            return "\n".join(line for _, line in lines) + "\n"
    raise AssertionError("README.md has no ```python block")


def test_readme_python_example_runs(tmp_path):
    code = readme_python_example()
    assert "heron.load_policy" in code and "heron.make_env" in code
    proc = subprocess.run([sys.executable, "-c", code], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"-> (success|failure)", proc.stdout), proc.stdout[-2000:]
