"""Repository rule: a Python toolchain that runs the project's virtualenv.

graphrl's py_binary/py_test targets import tensorflow, gymnasium and pytest
from pip, not from Bazel, so they must run with the interpreter of the
virtualenv those are installed in: `$PYTHON` when set (an absolute path),
else `<workspace>/.venv/bin/python` (where the README installs it). The path
is used as is, not resolved: a virtualenv is recognised by its `bin/python`.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "python3",
    interpreter_path = "{python}",
    python_version = "PY3",
    stub_shebang = "#!{python}",
)

py_runtime_pair(
    name = "runtime_pair",
    py3_runtime = ":python3",
)

toolchain(
    name = "toolchain",
    toolchain = ":runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _python_venv_impl(rctx):
    python = rctx.os.environ.get("PYTHON", "")
    if not python:
        workspace = rctx.path(Label("//:WORKSPACE")).dirname
        python = "%s/.venv/bin/python" % workspace
    if not python.startswith("/"):
        fail("PYTHON must be an absolute path, got '%s'." % python)
    if not rctx.path(python).exists:
        fail(("No Python interpreter at %s: create the virtualenv as the " +
              "README says, or set PYTHON=/path/to/python.") % python)
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name)
    rctx.file("BUILD", _BUILD.format(python = python))

python_venv = repository_rule(
    implementation = _python_venv_impl,
    environ = ["PYTHON"],
    doc = "Declares `:toolchain`, a py3 toolchain for the virtualenv.",
)
