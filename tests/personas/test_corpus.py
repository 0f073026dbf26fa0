"""Every real persona file in the corpus loads with the name, description and tools it declares.

Expectations are derived independently of the loader: by simple regular expressions over each
file's own ``name:``, ``description:`` and ``tools:`` lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from devagent.personas import Persona, lint, load_persona, persona_files

CORPUS = Path(__file__).resolve().parent / "corpus"
FOLDERS = sorted(p for p in CORPUS.iterdir() if p.is_dir())
FILES = sorted(p for folder in FOLDERS for p in folder.glob("*.md"))


def lines_of(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def frontmatter_lines(path: Path) -> tuple[list[str], list[str]]:
    """(frontmatter lines, body lines), fences found by the plainest possible rule."""
    lines = lines_of(path)
    fences = [i for i, line in enumerate(lines) if re.fullmatch(r"\s*-{3,}\s*", line)]
    return lines[fences[0] + 1 : fences[1]], lines[fences[1] + 1 :]


def first_value(front: list[str], key: str) -> str | None:
    for index, line in enumerate(front):
        match = re.match(rf"^\s*{key}:\s*(.*)$", line)
        if match:
            value = match.group(1).strip()
            if value in ("", ">", "|", ">-", "|-"):
                return next((n.strip() for n in front[index + 1 :] if n.strip()), "")
            return value
    return None


def expected_tools(front: list[str]) -> list[str] | None:
    value = first_value(front, "tools")
    if value is None:
        return None
    value = value.strip("[]")
    return [item.strip() for item in value.split(",") if item.strip()]


def load(path: Path) -> Persona:
    return load_persona(path)


def test_corpus_is_present_with_licences() -> None:
    assert len(FOLDERS) == 6
    assert len(FILES) == 237
    for folder in FOLDERS:
        assert (folder / "LICENSE.txt").is_file()


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name[:12]}/{p.name[-40:]}")
def test_file_loads_with_declared_name_description_and_tools(path: Path) -> None:
    front, body = frontmatter_lines(path)
    persona = load(path)
    name = first_value(front, "name")
    assert name is not None
    assert persona.name == name.strip("'\"")
    description = first_value(front, "description")
    assert description is not None
    prefix = description.lstrip("'\"").split("\\")[0][:40].rstrip()
    assert persona.description.startswith(prefix)
    assert persona.tools == expected_tools(front)
    first_body_line = next(line.strip() for line in body if line.strip())
    assert persona.body.lstrip().startswith(first_body_line)


EXAMPLE_FILES = [p for p in FILES if "<example>" in "\n".join(frontmatter_lines(p)[0])]


def test_corpus_has_files_with_examples_in_their_frontmatter() -> None:
    assert len(EXAMPLE_FILES) == 33


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name[-40:])
def test_examples_inside_descriptions_are_kept_whole(path: Path) -> None:
    text = "\n".join(frontmatter_lines(path)[0])
    persona = load(path)
    assert persona.description.count("<example>") == text.count("<example>")
    assert persona.description.count("</example>") == text.count("</example>")


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name[:12]}/{p.name[-40:]}")
def test_invalid_yaml_is_recovered_and_said_so(path: Path) -> None:
    front, _ = frontmatter_lines(path)
    indent = min((len(x) - len(x.lstrip()) for x in front if x.strip()), default=0)
    try:
        yaml.safe_load("\n".join(line[indent:] for line in front))
        valid = True
    except yaml.YAMLError:
        valid = False
    persona = load(path)
    assert persona.recovered is (not valid)
    assert any("not valid YAML" in w for w in persona.warnings) is (not valid)


def test_pediatric_descriptions_keep_dialogue_and_fields_after_them() -> None:
    folder = CORPUS / "GianlucaMondillo__Pediatric-MD-Claude-Code-SubAgents"
    path = folder / "care-coordination__diagnostic_investigator.md"
    persona = load(path)
    assert persona.name == "diagnostic-investigator"
    assert "Context: Unclear multisystem disease in toddler" in persona.description
    assert persona.description.endswith("</example>")
    assert persona.color == "indigo"
    assert persona.tools == ["Read", "Write", "WebSearch", "MultiEdit"]
    assert persona.extra == {}


def test_special_files_of_the_corpus() -> None:
    indented = load(CORPUS / "0xfurai__claude-code-subagents" / "agents__sqs-expert.md")
    assert (indented.name, indented.model) == ("sqs-expert", "claude-sonnet-4-20250514")
    assert indented.body.startswith("## Focus Areas\n- Understanding SQS")
    empty = load(
        CORPUS / "wshobson__agents" / "plugins__arm-cortex-microcontrollers__agents__"
        "arm-cortex-expert.md"
    )
    assert (empty.tools, empty.model) == ([], "inherit")
    assert empty.description.startswith("Senior embedded software engineer specializing in")
    assert "\n" not in empty.description


def test_unknown_models_fall_back_to_inherit_with_a_warning() -> None:
    personas = [load(p) for p in FILES]
    fable = [p for p in personas if p.declared_model == "fable"]
    assert len(fable) == 2
    assert all(p.model == "inherit" and p.warnings for p in fable)
    declared = {p.declared_model for p in personas} - {None, "fable"}
    assert declared == {"sonnet", "opus", "haiku", "inherit", "claude-sonnet-4-20250514"}
    assert all(p.model == p.declared_model for p in personas if p.declared_model in declared)


def test_lint_over_each_repository_folder_finds_no_errors() -> None:
    for folder in FOLDERS:
        errors = [p for p in lint([folder]) if p.severity == "error"]
        assert errors == [], folder.name


def test_lint_over_the_whole_corpus_reports_only_the_readme() -> None:
    problems = [p for p in lint([CORPUS]) if p.severity == "error"]
    assert [(p.path.name, p.message.split(":")[0]) for p in problems] == [
        ("README.md", "no frontmatter")
    ]
    assert len(persona_files(CORPUS)) == 238
