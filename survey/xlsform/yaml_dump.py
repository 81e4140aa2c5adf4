"""The questionnaire as YAML text, laid out like the hand-written questionnaires (the form
`survey questionnaire convert` writes a converted XLSForm in)."""

from __future__ import annotations

from typing import Any

import yaml


def yaml_text(data: dict[str, Any], source: str | None = None) -> str:
    """The questionnaire as YAML in the format's usual key order, with a header comment."""
    origin = f"from the XLSForm {source}" if source else "from an XLSForm"
    header = (
        f"# Converted {origin} by `survey questionnaire convert`.\n"
        "# The format is described in questionnaires/FORMAT.md.\n"
    )
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)
    return header + body


class _Dumper(yaml.SafeDumper):
    """The layout of the hand-written questionnaires: lists indented under their key, short
    mappings on one line (`{en: Yes, fr: Oui}`), texts with line breaks as `|` blocks,
    conditions holding 'codes' in double quotes, no anchors for lists that repeat."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_FLOW_WIDTH = 80


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = None
    if "\n" in text:
        style = "|"
    elif "'" in text and '"' not in text and "\\" not in text:
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_mapping(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.MappingNode:
    node = dumper.represent_dict(data.items())
    node.flow_style = _one_line(data)
    return node


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    node = dumper.represent_list(data)
    node.flow_style = (
        all(isinstance(item, str | int | float) for item in data) and len(str(data)) <= _FLOW_WIDTH
    )
    return node


def _one_line(data: dict[Any, Any]) -> bool:
    """A mapping of short plain values (or of such mappings) that fits on one line."""

    def plain(value: Any) -> bool:
        return value is None or (isinstance(value, str | int | float) and "\n" not in str(value))

    values = [
        v
        for value in data.values()
        for v in (value.values() if isinstance(value, dict) else [value])
    ]
    return all(plain(value) for value in values) and len(str(data)) <= _FLOW_WIDTH


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(dict, _represent_mapping)
_Dumper.add_representer(list, _represent_list)
