"""Build the teaching notebooks (handouts) and the student release bundle.

A handout is generated, never hand-edited, from three sources so it cannot drift from what
the grader grades:

* the code: ``exercises/<topic>.py`` (student edition: the stubs) or
  ``solutions/<topic>.py`` (instructor edition: the reference), split with :mod:`ast` into
  one cell per public function/class, a setup cell (the module's imports and constants)
  and helper cells (private helpers, kept next to the function after them);
* the prose: ``templates/handouts/<topic>.<lang>.md.j2`` (one per topic and language) and
  ``templates/handouts/_common.<lang>.md.j2`` (how to use a handout, the self-check). A
  file is Markdown split into sections by lines ``<!-- @name -->``: ``title``, ``goals``,
  ``intro``, ``fn:<function>`` (shown before that function's cell; one per graded
  function), ``exp:<experiment>`` (shown before that experiment) and ``wrapup``;
* the experiments (optional): ``templates/handouts/<topic>.experiments.py.j2``, code sections
  opened by ``# @exp <name> after=<function>``; each runs after the cell of ``<function>``. Their
  comments, printed texts and plot labels are written ``{{ tr("English", "中文") }}``;
* the code's docstrings and comments in a language other than English:
  ``templates/handouts/<topic>.<lang>.docstrings.j2``, one section per documented function,
  class or method (``<!-- @softmax -->``, ``<!-- @MyModel.call -->``) and a ``comments``
  section of ``English => translation`` lines (:func:`localize_code`); the code itself is
  never duplicated, so a translation cannot change what is graded.

Every template is rendered with Jinja2 (variables ``topic``, ``lang``, ``edition``,
``functions``, ``points``, ``tr``). The last cell calls :func:`grader.notebook.self_check`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.core.catalog import api_names, points_by_function
from grader.course.topics import BY_SLUG
from grader.errors import UsageError
from grader.outputs.templating import environment, template_dir

LANGS = ("en", "zh")
EDITIONS = ("student", "instructor")
_SECTION = re.compile(r"^<!--\s*@(?P<name>[\w:.-]+)\s*-->\s*$", re.M)
_EXP = re.compile(r"^# @exp (?P<name>[\w-]+) after=(?P<after>\w+)\s*$", re.M)
_MARKER = re.compile(r"^[ \t]*# (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def handouts_dir() -> Path:
    return template_dir() / "handouts"


def render_text(name: str, **context) -> str:
    """A handout text template (``templates/handouts/<name>``), block whitespace kept."""
    return environment(trim=False).get_template(f"handouts/{name}").render(**context)


def notebook_name(topic: str, lang: str, edition: str) -> str:
    return f"{topic}.{lang}.{edition}.ipynb"


# --------------------------------------------------------------------------- source -> chunks


@dataclass
class Chunk:
    kind: str  # "setup" | "helper" | "function"
    source: str
    names: list[str] = field(default_factory=list)


def split_module(source: str, *, strip_markers: bool = True) -> list[Chunk]:
    """The module as cells: setup (imports, constants), helpers, one chunk per public def/class."""
    if strip_markers:
        source = _MARKER.sub("", source)
    tree = ast.parse(source)
    lines = source.splitlines()
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the module docstring: the handout's prose replaces it
    chunks: list[Chunk] = []
    pending: list[str] = []
    pending_names: list[str] = []
    seen_public = False
    prev_import = False
    for node in body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        while start > 1 and lines[start - 2].lstrip().startswith("#"):
            start -= 1
        text = "\n".join(lines[start - 1 : node.end_lineno])
        public = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith(
            "_"
        )
        if public:
            if pending:
                chunks.append(Chunk("helper" if seen_public or chunks else "setup", "".join(pending), pending_names))
                pending, pending_names = [], []
            chunks.append(Chunk("function", text, [node.name]))
            seen_public = True
        else:
            is_import = isinstance(node, (ast.Import, ast.ImportFrom))
            if pending:
                sep = (
                    "\n"
                    if (is_import and prev_import)
                    else "\n\n\n"
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                    else "\n\n"
                )
                pending[-1] += sep
            pending.append(text)
            prev_import = is_import
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                pending_names.append(node.name)
    if pending:
        chunks.append(Chunk("helper", "".join(pending), pending_names))
    # the first chunk is the setup cell even when it holds only imports
    if chunks and chunks[0].kind == "helper" and not chunks[0].names:
        chunks[0].kind = "setup"
    return chunks


# --------------------------------------------------------------------------- templates


def parse_sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    marks = list(_SECTION.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out[m.group("name")] = text[m.end() : end].strip("\n")
    return out


def parse_experiments(text: str) -> list[tuple[str, str, str]]:
    """``[(name, after, code)]`` from an experiments template."""
    out = []
    marks = list(_EXP.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append((m.group("name"), m.group("after"), text[m.end() : end].strip("\n")))
    return out


def load_texts(topic: str, lang: str, context: dict) -> tuple[dict[str, str], dict[str, str], list]:
    for needed in (f"{topic}.{lang}.md.j2", f"_common.{lang}.md.j2"):
        if not (handouts_dir() / needed).is_file():
            raise UsageError(
                f"the handout template {needed} is missing",
                fix=f"add it under {handouts_dir()} (see grader/authoring/handouts.py)",
            )
    text = parse_sections(render_text(f"{topic}.{lang}.md.j2", **context))
    common = parse_sections(render_text(f"_common.{lang}.md.j2", **context))
    # Experiments are optional: a topic without plots has no experiments file.
    experiments = f"{topic}.experiments.py.j2"
    exps = parse_experiments(render_text(experiments, **context)) if (handouts_dir() / experiments).is_file() else []
    return text, common, exps


# --------------------------------------------------------------------------- code in the handout's language

_COMMENT_ARROW = " => "


def code_texts(topic: str, lang: str, context: dict) -> tuple[dict[str, str], dict[str, str]]:
    """``(docstrings, comments)`` for ``topic`` in ``lang``: what :func:`localize_code` substitutes.

    ``templates/handouts/<topic>.<lang>.docstrings.j2`` holds one section per documented
    function, class or method (``<!-- @softmax -->``, ``<!-- @MyModel.call -->``) with the
    docstring's text, and a ``comments`` section of ``English => translation`` lines;
    ``_common.<lang>.docstrings.j2`` holds comments shared by every topic (the stubs' TODO).
    """
    texts: dict[str, str] = {}
    comments: dict[str, str] = {}
    for name in (f"_common.{lang}.docstrings.j2", f"{topic}.{lang}.docstrings.j2"):
        if not (handouts_dir() / name).is_file():
            raise UsageError(
                f"the handout template {name} is missing",
                fix=f"add it under {handouts_dir()} (see grader/authoring/handouts.py)",
            )
        sections = parse_sections(render_text(name, **context))
        for line in sections.pop("comments", "").splitlines():
            if _COMMENT_ARROW in line:
                english, _, translated = line.partition(_COMMENT_ARROW)
                comments[english.strip()] = translated.strip()
        texts.update(sections)
    return texts, comments


def _documented(tree: ast.Module) -> list[tuple[str, ast.Expr]]:
    """(qualified name, docstring node) of every public function, class and method."""
    out = []

    def visit(body, prefix: str) -> None:
        for node in body:
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and not node.name.startswith("_")
                and ast.get_docstring(node) is not None
            ):
                out.append((prefix + node.name, node.body[0]))
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return out


def _docstring_source(text: str, indent: int) -> list[str]:
    pad = " " * indent
    quote = 'r"""' if "\\" in text else '"""'
    lines = text.strip("\n").splitlines()
    if len(lines) == 1:
        return [f'{pad}{quote}{lines[0]}"""']
    return [f"{pad}{quote}{lines[0]}", *[(pad + line) if line.strip() else "" for line in lines[1:]], f'{pad}"""']


def localize_code(source: str, topic: str, lang: str, context: dict | None = None) -> str:
    """``source`` with its docstrings and comments in ``lang``; the code itself is untouched.

    English is the source's own language. For another language every public function,
    class and method with a docstring must have its translation (see :func:`code_texts`);
    comments are translated where the table has them and kept otherwise.
    """
    if lang == "en":
        return source
    import io
    import tokenize

    docs, comments = code_texts(topic, lang, context or {"topic": topic, "lang": lang})
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            english = tok.string[1:].strip()
            if english in comments:
                row, col = tok.start[0] - 1, tok.start[1]
                lines[row] = lines[row][:col] + "# " + comments[english] + lines[row][tok.end[1] :]
    documented = _documented(ast.parse(source))
    missing = [name for name, _ in documented if name not in docs]
    if missing:
        raise UsageError(
            f"templates/handouts/{topic}.{lang}.docstrings.j2 lacks the docstring(s) of {', '.join(missing)}",
            fix="add a section <!-- @name --> with the translation for each",
        )
    for name, node in sorted(documented, key=lambda item: -item[1].lineno):
        lines[node.lineno - 1 : node.end_lineno] = _docstring_source(docs[name], node.col_offset)
    return "\n".join(lines) + ("\n" if source.endswith("\n") else "")


# --------------------------------------------------------------------------- notebook


def build_notebook(
    topic: str,
    lang: str,
    edition: str,
    source: str,
    *,
    functions: list[str] | None = None,
    points: dict[str, float] | None = None,
):
    """The handout for ``topic`` as an nbformat v4 notebook built from module ``source``."""
    import nbformat
    from nbformat import v4

    if topic not in BY_SLUG:
        raise UsageError(f"unknown topic {topic!r}")
    if lang not in LANGS:
        raise UsageError(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if edition not in EDITIONS:
        raise UsageError(f"--edition must be one of {', '.join(EDITIONS)}, not {edition!r}")
    source = localize_code(source, topic, lang, {"topic": topic, "lang": lang, "edition": edition})
    chunks = split_module(source)
    public = [n for c in chunks if c.kind == "function" for n in c.names]
    functions = list(functions or public)
    context = {
        "topic": topic,
        "lang": lang,
        "edition": edition,
        "functions": functions,
        "points": points or {},
        "title": BY_SLUG[topic].title,
        "numpy_only": BY_SLUG[topic].numpy_only,
        # tr("label", "标签"): an experiment's comment, printed text or plot label in the handout's language
        "tr": lambda en, zh: zh if lang == "zh" else en,
    }
    text, common, exps = load_texts(topic, lang, context)
    missing = [f"fn:{n}" for n in public if f"fn:{n}" not in text]
    missing += [f"exp:{name}" for name, _, _ in exps if f"exp:{name}" not in text]
    missing += [s for s in ("title", "goals", "intro", "wrapup") if s not in text]
    if missing:
        raise UsageError(f"templates/handouts/{topic}.{lang}.md.j2 lacks the section(s) {', '.join(missing)}")
    unknown_after = [a for _, a, _ in exps if a not in public]
    if unknown_after:
        raise UsageError(f"{topic}.experiments.py.j2: after= names unknown function(s) {', '.join(unknown_after)}")

    cells = []

    def md(s: str):
        cells.append(v4.new_markdown_cell(re.sub(r"\n{3,}", "\n\n", s.strip("\n"))))

    def code(s: str):
        cells.append(v4.new_code_cell(s.strip("\n")))

    md(text["title"] + "\n\n" + text["goals"])
    md(common["howto"])
    md(common["setup"])
    setup = [
        "%matplotlib inline",
        "import matplotlib.pyplot as plt",
        "import numpy as np",
        "from grader.notebook import self_check, skip_if_todo",
    ]
    if lang == "zh":  # the plots' labels are Chinese: matplotlib needs a font that has the glyphs
        setup[-1] += ", use_cjk_font"
        setup.append("use_cjk_font()  # 图中的中文标签需要中文字体")
    first = chunks[0] if chunks and chunks[0].kind == "setup" else None
    rest = first.source.replace("import numpy as np\n", "", 1) if first else ""
    code("\n".join(setup) + ("\n\n" + rest.strip("\n") if rest.strip() else ""))
    md(text["intro"])
    for chunk in chunks:
        if chunk is first:
            continue
        if chunk.kind == "helper":
            md(common["helpers"])
            code(chunk.source)
            continue
        (name,) = chunk.names
        md(text[f"fn:{name}"])
        code(chunk.source)
        for ename, after, ecode in exps:
            if after == name:
                md(text[f"exp:{ename}"])
                code(ecode)
    md(text["wrapup"])
    md(common["selfcheck"])
    code(f'self_check("{topic}", globals(), lang="{lang}")')

    for i, cell in enumerate(cells):
        cell["id"] = f"{topic}-{i:02d}"
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["grader"] = {
        "topic": topic,
        "lang": lang,
        "edition": edition,
        "functions": functions,
        "grader_version": grader.__version__,
    }
    nbformat.validate(nb)
    return nb


def write_handouts(
    topics: list[str], langs: list[str], editions: list[str], out: Path, *, exercises: Path, solutions: Path
) -> list[Path]:
    import nbformat

    written = []
    for edition in editions:
        folder = exercises if edition == "student" else solutions
        for topic in topics:
            src_path = folder / BY_SLUG[topic].module_file
            if not src_path.is_file():
                raise UsageError(
                    f"{src_path} does not exist: the {edition} edition of {topic} is built from it",
                    fix=(
                        "run from the course repository (or pass --exercises/--solutions); "
                        "instructor editions need solutions/"
                    ),
                )
            source = src_path.read_text(encoding="utf-8")
            funcs, pts = list(api_names(topic)), points_by_function(topic)
            for lang in langs:
                nb = build_notebook(topic, lang, edition, source, functions=funcs, points=pts)
                out.mkdir(parents=True, exist_ok=True)
                path = out / notebook_name(topic, lang, edition)
                nbformat.write(nb, str(path))
                written.append(path)
    return written
