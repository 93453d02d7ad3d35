"""README.md and deploy/README.md name only what exists: settings, commands, flags, files."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS, OPT_IN
from bot.cli import SUBCOMMANDS, build_parser
from bot.ops.metrics import Metrics

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
GUIDE = ROOT / "deploy" / "README.md"
DOCS = (README, GUIDE, ROOT / "deploy" / "warta.env.example", ROOT / "deploy" / "compose.yaml")
SETTING = re.compile(r"\b(?:WARTA|TELEGRAM)_[A-Z_]*[A-Z]\b")


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def settings_the_bot_reads() -> set[str]:
    """The variables bot/config.py reads: each is a string literal of its own there."""
    return set(re.findall(r"\"((?:WARTA|TELEGRAM)_[A-Z_]*[A-Z])\"", text(ROOT / "bot/config.py")))


def test_every_setting_the_docs_name_is_read_and_every_one_read_is_in_the_table() -> None:
    # Compose's own variables (replicas of each service) are not the bot's.
    compose_only = set(re.findall(r"\$\{(\w+)", text(ROOT / "deploy" / "compose.yaml")))
    read = settings_the_bot_reads()
    assert {"TELEGRAM_BOT_TOKEN", "WARTA_DB", "WARTA_FEEDS"} <= read
    for path in DOCS:
        unknown = set(SETTING.findall(text(path))) - read - compose_only
        assert unknown == set(), f"{path.name} names settings the bot does not read"
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", text(README), re.MULTILINE))
    assert read - table == set(), "settings missing from the README's configuration table"


def commands_shown(document: str) -> list[tuple[str, list[str]]]:
    """Each `warta SUBCOMMAND ...` the document shows: the subcommand and the words after it."""
    shown = []
    # Overlapping, for `docker compose exec warta warta backup` (a service named warta).
    for match in re.finditer(r"(?<![\w@.:-])warta (?=([a-z][a-z-]*)([^\n`#|]*))", document):
        name, rest = match.group(1), match.group(2)
        if name != "warta":
            shown.append((name, rest.replace("\\", " ").split()))
    return shown


def options(parser: argparse.ArgumentParser) -> set[str]:
    """The option strings of a parser and of every subparser below it."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= options(child)
    return found


@pytest.mark.parametrize("path", [README, GUIDE], ids=lambda path: path.parent.name)
def test_every_warta_command_the_docs_show_exists_with_its_flags(path: Path) -> None:
    shown = commands_shown(text(path))
    assert shown
    for name, words in shown:
        assert name in SUBCOMMANDS, f"`warta {name}` is not a subcommand"
        flags = {word.split("=")[0] for word in words if word.startswith("-")}
        assert flags <= options(build_parser(name)), f"`warta {name}` has no {flags}"
        if actions := sub_actions(build_parser(name), name):
            assert words, f"`warta {name}` without its action"
            assert words[0] in actions, f"`warta {name} {words[0]}` is not an action"


def sub_actions(parser: argparse.ArgumentParser, name: str) -> set[str]:
    """The actions of a subcommand that has them (`warta feeds export|import|check`)."""
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    subcommand = commands.choices[name]
    return {
        action_name
        for action in subcommand._actions
        if isinstance(action, argparse._SubParsersAction)
        for action_name in action.choices
    }


def test_every_subcommand_is_in_the_readme() -> None:
    named = {name for name, _ in commands_shown(text(README))}
    assert set(SUBCOMMANDS) <= named


def test_every_benchmark_is_listed_in_the_readme_and_run_by_python_m_bench() -> None:
    modules = {path.stem for path in (ROOT / "bench").glob("bench_*.py")}
    (block,) = re.findall(r"```sh\n(\.venv/bin/python -m bench .*?)```", text(README), re.DOTALL)
    assert modules == set(re.findall(r"\bbench_\w+", block))
    assert modules == set(BENCHMARKS) | set(OPT_IN)


def heading_anchors(document: str) -> set[str]:
    """The anchors GitHub makes of a document's headings, and its explicit ones."""
    anchors = set(re.findall(r'<a id="([^"]+)"', document))
    for heading in re.findall(r"^#+ (.+)$", document, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("path", [README, GUIDE], ids=lambda path: path.parent.name)
def test_every_link_and_path_the_docs_name_exists(path: Path) -> None:
    document = text(path)
    for target in re.findall(r"\]\(([^)\s]+)\)", document):
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.is_file(), target
        if anchor:
            assert anchor in heading_anchors(text(linked)), target
    # Paths of the repository, as the README names them in code spans.
    for named in re.findall(r"`((?:bot|bench|tests|storage|handlers|deploy)/[\w./@-]*)`", document):
        if named != "deploy/.env":  # made by the operator from warta.env.example
            assert (ROOT / named).exists(), named


def test_the_readme_match_example_prints_what_it_says() -> None:
    (line,) = [line for line in text(README).splitlines() if line.startswith("echo ")]
    (stated,) = re.findall(r"The first prints `([^`]+)`", text(README))
    command = line.replace(".venv/bin/warta", f"{sys.executable} -m bot")
    result = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == stated


def test_the_metrics_table_lists_every_metric_the_bot_serves() -> None:
    served = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in Metrics().registry.collect()
    }
    table = set(re.findall(r"^\| `(warta_\w+)", text(GUIDE), re.MULTILINE))
    assert table == served
    for name in re.findall(r"`(warta_\w+)[{`]", text(README)):
        assert name in served, name


def test_the_readme_test_command_is_what_ci_runs() -> None:
    lines = text(README).splitlines()
    (command,) = [line for line in lines if line.startswith("python3 ") and "pytest" in line]
    ci = text(ROOT / ".ci" / "run").splitlines()
    assert ci[-1] == command
    # The one-line browser install the README names comes first (the Mini App's browser tests).
    (install,) = [line for line in lines if line.startswith("apt-get ") and "chromium" in line]
    assert install in ci[:-1]


def test_the_commands_table_lists_every_chat_command_and_alias() -> None:
    registered = set()
    for module in (ROOT / "handlers").glob("*.py"):
        for names in re.findall(r"CommandHandler\(\s*(\[[^]]*\]|\"\w+\")", text(module)):
            registered |= set(re.findall(r"\"(\w+)\"", names))
    first_cells = re.findall(r"^\| (`/[^|]*(?:\\\|[^|]*)*) \|", text(README), re.MULTILINE)
    listed = {name for cell in first_cells for name in re.findall(r"`/(\w+)", cell)}
    assert {"start", "subscribe", "langganan", "broadcast_cancel"} <= registered
    assert listed == registered
