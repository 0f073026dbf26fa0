"""Persona files as people write them: one test per edge case of the frontmatter reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from devagent.frontmatter import field_value, parse, read_tolerant, split
from devagent.personas import Persona, PersonaError, load_persona, parse_persona, slugify


def persona(tmp_path: Path, text: str | bytes, name: str = "agent.md") -> Persona:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return load_persona(path)


def test_description_full_of_colon_space_is_kept_whole(tmp_path: Path) -> None:
    p = persona(
        tmp_path,
        "---\nname: growth\ndescription: Use when asked. Triggers on: 'loop', 'viral: yes'\n"
        "tools: Read, Grep\n---\nBody.\n",
    )
    assert p.description == "Use when asked. Triggers on: 'loop', 'viral: yes'"
    assert p.tools == ["Read", "Grep"]
    assert p.recovered
    assert any("not valid YAML" in w for w in p.warnings)


def test_example_blocks_with_dialogue_lines_at_column_zero_stay_in_description(
    tmp_path: Path,
) -> None:
    text = (
        "---\n"
        "name: investigator\n"
        "description: Use this agent for hard cases. Examples:\n"
        "\n"
        "<example>\n"
        "Context: Unclear disease\n"
        'user: "A toddler with fevers"\n'
        'assistant: "I will use the investigator agent"\n'
        "<commentary>\nNeeds literature.\n</commentary>\n"
        "</example>\n"
        "color: indigo\n"
        "tools: Read, Write, WebSearch\n"
        "---\n"
        "You investigate.\n"
    )
    p = persona(tmp_path, text)
    assert p.description.startswith("Use this agent for hard cases. Examples:\n\n<example>\n")
    assert 'user: "A toddler with fevers"' in p.description
    assert p.description.endswith("</example>")
    assert p.color == "indigo"
    assert p.tools == ["Read", "Write", "WebSearch"]
    assert "user" not in p.extra and "Context" not in p.extra
    assert p.body == "You investigate."


def test_dialogue_lines_outside_tags_do_not_start_fields(tmp_path: Path) -> None:
    text = (
        "---\nname: a\ndescription: Helps. Examples: one\n"
        'user: "do it"\nassistant: "ok"\nmodel: haiku\n---\nB\n'
    )
    p = persona(tmp_path, text)
    assert p.description == 'Helps. Examples: one\nuser: "do it"\nassistant: "ok"'
    assert p.model == "haiku"


def test_bold_markdown_value_is_text(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: b\ndescription: **Expert** in `SQL`\n---\nBody\n")
    assert p.description == "**Expert** in `SQL`"


def test_escapes_in_double_quoted_description_of_an_invalid_file(tmp_path: Path) -> None:
    text = (
        "---\nname: q\n"
        'description: "Use it.\\n\\n<example>user: \\"hi\\"</example>"\n'
        "tools: Read: all\n---\nBody\n"
    )
    p = persona(tmp_path, text)
    assert p.recovered
    assert p.description == 'Use it.\n\n<example>user: "hi"</example>'


def test_escapes_in_quoted_text_that_yaml_rejects(tmp_path: Path) -> None:
    value = field_value('"Line one\\nLine "two" here"', [])
    assert value == 'Line one\nLine "two" here'


def test_crlf_line_endings(tmp_path: Path) -> None:
    p = persona(
        tmp_path, b"---\r\nname: crlf\r\ndescription: Win\r\ntools: Read\r\n---\r\nBody\r\n"
    )
    assert (p.name, p.description, p.tools, p.body) == ("crlf", "Win", ["Read"], "Body")


def test_bare_cr_line_endings(tmp_path: Path) -> None:
    p = persona(tmp_path, b"---\rname: cr\rdescription: Old Mac\r---\rLine 1\rLine 2\r")
    assert (p.name, p.description, p.body) == ("cr", "Old Mac", "Line 1\nLine 2")


def test_crlf_file_ending_in_a_bare_cr(tmp_path: Path) -> None:
    p = persona(tmp_path, b"---\r\nname: mixed\r\ndescription: D\r\n---\r\nBody\r")
    assert (p.name, p.body) == ("mixed", "Body")


def test_byte_order_mark(tmp_path: Path) -> None:
    p = persona(tmp_path, "\ufeff---\nname: bom\ndescription: D\n---\nB\n".encode())
    assert p.name == "bom"


def test_whole_file_indented(tmp_path: Path) -> None:
    text = (
        "\n    ---\n    name: sqs\n    description: Queues.\n    ---\n\n    ## Focus\n    - one\n"
    )
    p = persona(tmp_path, text)
    assert (p.name, p.description) == ("sqs", "Queues.")
    assert p.body == "## Focus\n- one"


def test_long_dash_fences(tmp_path: Path) -> None:
    p = persona(tmp_path, "----------\nname: long\ndescription: D\n-----\nBody\n")
    assert (p.name, p.body) == ("long", "Body")


def test_blank_line_after_opening_fence(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\n\nname: blank\ndescription: D\n---\nBody\n")
    assert p.name == "blank"


def test_body_that_starts_with_a_dash_line(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: rule\ndescription: D\n---\n---\nAfter a rule\n")
    assert p.body == "---\nAfter a rule"


def test_tools_as_comma_string(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\ntools: Read,Grep , Glob\n---\n")
    assert p.tools == ["Read", "Grep", "Glob"]


def test_tools_as_yaml_list(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\ntools:\n  - Read\n  - Bash\n---\n")
    assert p.tools == ["Read", "Bash"]


def test_tools_as_flow_list(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\ntools: [Read, Edit]\n---\n")
    assert p.tools == ["Read", "Edit"]


def test_tools_as_flow_list_in_an_invalid_file(tmp_path: Path) -> None:
    text = "---\nname: t\ndescription: Does: things\ntools: [Read, Edit]\n---\n"
    p = persona(tmp_path, text)
    assert p.recovered
    assert p.tools == ["Read", "Edit"]


def test_empty_tools_list_means_no_tools(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\ntools: []\n---\n")
    assert p.tools == []


def test_absent_tools_means_every_tool(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\n---\n")
    assert p.tools is None


def test_tools_key_without_value_means_every_tool_with_a_warning(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\ntools:\n---\n")
    assert p.tools is None
    assert any("'tools' is empty" in w for w in p.warnings)


def test_allowed_tools_alias(tmp_path: Path) -> None:
    p = persona(
        tmp_path, "---\nname: t\ndescription: D\nallowed-tools: Read, Bash(git diff:*)\n---\n"
    )
    assert p.tools == ["Read", "Bash(git diff:*)"]


def test_mcp_tool_names_are_kept_as_declared(tmp_path: Path) -> None:
    text = "---\nname: t\ndescription: D\ntools: Read, mcp__meigen__generate_image\n---\n"
    assert persona(tmp_path, text).tools == ["Read", "mcp__meigen__generate_image"]


def test_disallowed_tools_are_read(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\ndisallowedTools: Bash, Write\n---\n")
    assert (p.tools, p.disallowed_tools) == (None, ["Bash", "Write"])


def test_unknown_model_is_reported_and_loaded_as_inherit(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: t\ndescription: D\nmodel: fable\n---\n")
    assert (p.model, p.declared_model) == ("inherit", "fable")
    assert p.warnings == ["unknown model 'fable'; the parent's model is used"]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("sonnet", "sonnet"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4-20250514"),
        ("inherit", "inherit"),
        ("Opus", "opus"),
    ],
)
def test_known_models_are_kept(tmp_path: Path, declared: str, expected: str) -> None:
    p = persona(tmp_path, f"---\nname: t\ndescription: D\nmodel: {declared}\n---\n")
    assert (p.model, p.warnings) == (expected, [])


def test_unknown_keys_are_kept(tmp_path: Path) -> None:
    text = "---\nname: t\ndescription: D\npermissionMode: plan\nskills: a, b\n---\n"
    assert persona(tmp_path, text).extra == {"permissionMode": "plan", "skills": "a, b"}


def test_unknown_key_shaped_line_starts_a_field_in_the_tolerant_reader(tmp_path: Path) -> None:
    text = "---\nname: t\ndescription: Does: things\ncategory: quality\n---\n"
    p = persona(tmp_path, text)
    assert (p.description, p.extra) == ("Does: things", {"category": "quality"})


def test_names_with_spaces_and_slashes_are_slugged(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: Frontend Developer/UI\ndescription: D\n---\n")
    assert (p.name, p.slug) == ("Frontend Developer/UI", "frontend-developer-ui")
    assert slugify("  Code  Reviewer ") == "code-reviewer"


def test_name_differing_from_file_name_wins(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: plugin-code-reviewer\ndescription: D\n---\n", "cr.md")
    assert p.name == "plugin-code-reviewer"


def test_description_that_yaml_would_type_stays_text(tmp_path: Path) -> None:
    p = persona(tmp_path, "---\nname: 2024\ndescription: Yes\n---\n")
    assert (p.name, p.description) == ("2024", "Yes")


def test_folded_block_description(tmp_path: Path) -> None:
    text = "---\nname: f\ndescription: >\n  Senior engineer\n  for firmware.\nmodel: inherit\n---\n"
    assert persona(tmp_path, text).description == "Senior engineer for firmware."


def test_folded_block_in_the_tolerant_reader() -> None:
    fields, notes = read_tolerant(["name: f", "description: >", "  One: two", "  three", "x: [y"])
    assert fields["description"] == "One: two three"
    assert notes == []


def test_no_frontmatter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="no frontmatter"):
        persona(tmp_path, "# Just a README\n")


def test_unclosed_frontmatter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="not closed"):
        persona(tmp_path, "---\nname: t\ndescription: D\n")


def test_missing_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="no 'name'"):
        persona(tmp_path, "---\ndescription: D\n---\n")


def test_missing_description_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="no 'description'"):
        persona(tmp_path, "---\nname: t\n---\n")


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="not UTF-8"):
        persona(tmp_path, b"---\nname: t\ndescription: caf\xe9\n---\n")


def test_split_returns_frontmatter_lines_and_body() -> None:
    assert split("---\na: 1\n---\nbody\n") == (["a: 1"], "body")


def test_frontmatter_that_is_not_a_mapping_is_read_tolerantly() -> None:
    front = parse("---\njust words\n---\nbody")
    assert front.recovered
    assert front.fields == {}
    assert any("outside any field" in note for note in front.notes)


def test_parse_persona_from_text_without_a_file() -> None:
    p = parse_persona("---\nname: t\ndescription: D\n---\nPrompt", Path("virtual.md"))
    assert (p.name, p.body, p.scope) == ("t", "Prompt", "path")


def test_date_shaped_name_stays_text(tmp_path: Path) -> None:
    assert persona(tmp_path, "---\nname: 2024-01-01\ndescription: D\n---\n").name == "2024-01-01"


def test_list_as_description_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="'description' must be text, not a list"):
        persona(tmp_path, "---\nname: t\ndescription:\n  - a\n---\n")
