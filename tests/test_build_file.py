"""Checks that BUILD declares a Bazel target for every module, test and binary.

Needs no Bazel: BUILD is evaluated as Python with stub `py_library`,
`py_binary`, `py_test`, `filegroup` and `glob` functions that record each
rule. Each check
returns a sorted list of problems; the tests run every check on the
repository, and on small made-up trees to show that each check can fail.
"""

import ast
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).parents[1]
_KINDS = ('filegroup', 'py_library', 'py_binary', 'py_test')


def parse_build(root):
  """Evaluates `root`/BUILD; returns {name: dict(kind=..., **attributes)}."""
  rules = {}

  def rule(kind):
    def record(name, **attributes):
      if name in rules:
        raise ValueError('BUILD declares %r twice' % name)
      rules[name] = dict(attributes, kind=kind)
    return record

  def glob(include):
    return sorted({path.relative_to(root).as_posix()
                   for pattern in include for path in root.glob(pattern)
                   if path.is_file()})

  namespace = {kind: rule(kind) for kind in _KINDS}
  namespace['glob'] = glob
  code = compile((root / 'BUILD').read_text(), 'BUILD', 'exec')
  exec(code, namespace)  # pylint: disable=exec-used
  return rules


def _is_label(entry):
  return entry.startswith((':', '//', '@'))


def _target(label):
  """'//:name' or ':name' -> 'name'."""
  return label.split(':', 1)[1]


def _files(rule):
  return [f for f in rule.get('srcs', []) + rule.get('data', [])
          if not _is_label(f)]


def _srcs_of(rules, kind):
  return {f for rule in rules.values() if rule['kind'] == kind
          for f in rule.get('srcs', [])}


def _closure(rules, name):
  """Files of target `name` and of the targets its deps and data name."""
  files, seen, todo = set(), set(), [name]
  while todo:
    current = todo.pop()
    if current not in seen and current in rules:
      seen.add(current)
      rule = rules[current]
      files.update(_files(rule))
      todo.extend(_target(label) for label in
                  rule.get('deps', []) + rule.get('data', [])
                  if _is_label(label))
  return files


def unlisted_modules(rules, root):
  """graphrl/**/*.py files that are in no py_library's srcs."""
  modules = {p.relative_to(root).as_posix()
             for p in root.glob('graphrl/**/*.py')}
  return sorted(modules - _srcs_of(rules, 'py_library'))


def untested_files(rules, root):
  """tests/test_*.py files that are in no py_test's srcs."""
  tests = {p.relative_to(root).as_posix() for p in root.glob('tests/test_*.py')}
  return sorted(tests - _srcs_of(rules, 'py_test'))


def _has_main_guard(path):
  """Whether the module has a top-level `if __name__ == '__main__':`."""
  for node in ast.parse(path.read_text()).body:
    test = getattr(node, 'test', None)
    if (isinstance(node, ast.If) and isinstance(test, ast.Compare) and
        isinstance(test.left, ast.Name) and test.left.id == '__name__' and
        isinstance(test.comparators[0], ast.Constant) and
        test.comparators[0].value == '__main__'):
      return True
  return False


def binaries_without_target(rules, root):
  """graphrl/{train,evaluate}.py and runnable scripts/*.py with no py_binary."""
  binaries = {f for f in ('graphrl/train.py', 'graphrl/evaluate.py')
              if (root / f).is_file()}
  binaries |= {p.relative_to(root).as_posix()
               for p in root.glob('scripts/*.py') if _has_main_guard(p)}
  return sorted(binaries - _srcs_of(rules, 'py_binary'))


def missing_files(rules, root):
  """'target: file' for each srcs/data/main file that does not exist."""
  return sorted('%s: %s' % (name, f) for name, rule in rules.items()
                for f in _files(rule) + [rule.get('main', '')]
                if f and not (root / f).is_file())


def undeclared_deps(rules, root):
  """'target: label' for each dep that names no target of BUILD."""
  del root  # Unused; every check takes (rules, root).
  return sorted('%s: %s' % (name, dep) for name, rule in rules.items()
                for dep in rule.get('deps', [])
                if not dep.startswith((':', '//:')) or
                _target(dep) not in rules)


def _module_file(root, dotted):
  """The file of graphrl module `dotted` ('a.b' -> a/b.py), or None."""
  for path in (dotted.replace('.', '/') + '.py',
               dotted.replace('.', '/') + '/__init__.py'):
    if (root / path).is_file():
      return path
  return None


def _imported_files(root, src, inside):
  """Files of the graphrl modules that `src` imports, with their packages.

  `from a.b import c` imports module a/b/c.py if it exists, else a/b. Python
  runs the __init__.py of every enclosing package first, except of packages
  `inside` (the importer's own), which are already being imported.
  """
  names = set()
  for node in ast.walk(ast.parse((root / src).read_text())):
    if isinstance(node, ast.Import):
      names.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module:
      for alias in node.names:
        full = '%s.%s' % (node.module, alias.name)
        names.add(full if _module_file(root, full) else node.module)
  files = set()
  for name in names:
    parts = name.split('.')
    if parts[0] != 'graphrl':
      continue
    files.add(_module_file(root, name))
    files.update(_module_file(root, '.'.join(parts[:i]))
                 for i in range(1, len(parts))
                 if '/'.join(parts[:i]) not in inside)
  return files - {None}


def unmet_imports(rules, root):
  """'target: file' for each imported graphrl file not in the target's deps.

  A py_library's module is imported from its package; binaries and tests run
  as scripts, outside every package.
  """
  problems = []
  for name, rule in rules.items():
    if rule['kind'] == 'filegroup':
      continue
    available = _closure(rules, name)
    for src in rule.get('srcs', []):
      parents = pathlib.PurePosixPath(src).parents
      inside = ({p.as_posix() for p in parents}
                if rule['kind'] == 'py_library' else set())
      problems.extend('%s: %s' % (name, f)
                      for f in _imported_files(root, src, inside)
                      if f not in available)
  return sorted(problems)


def missing_conftest(rules, root):
  """py_tests that do not have tests/conftest.py in their runfiles."""
  del root  # Unused; every check takes (rules, root).
  return sorted(name for name, rule in rules.items()
                if rule['kind'] == 'py_test' and
                'tests/conftest.py' not in _closure(rules, name))


def _uses_slow_marker(path):
  """Whether the module's code (not its strings) uses `pytest.mark.slow`."""
  return any(isinstance(node, ast.Attribute) and node.attr == 'slow' and
             isinstance(node.value, ast.Attribute) and
             node.value.attr == 'mark'
             for node in ast.walk(ast.parse(path.read_text())))


def untagged_slow_tests(rules, root):
  """py_tests of files with `@pytest.mark.slow` tests but no "slow" tag."""
  return sorted(name for name, rule in rules.items()
                if rule['kind'] == 'py_test' and
                'slow' not in rule.get('tags', []) and
                any(_uses_slow_marker(root / src)
                    for src in rule.get('srcs', [])))


CHECKS = (unlisted_modules, untested_files, binaries_without_target,
          missing_files, undeclared_deps, unmet_imports,
          missing_conftest, untagged_slow_tests)


@pytest.fixture(name='repository_rules', scope='module')
def _repository_rules():
  return parse_build(ROOT)


@pytest.mark.parametrize('check', CHECKS, ids=lambda check: check.__name__)
def test_build_covers_repository(repository_rules, check):
  assert check(repository_rules, ROOT) == []


def _tree(tmp_path, files):
  """Writes {relative path: text} under tmp_path; returns tmp_path."""
  for path, text in files.items():
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(text)
  return tmp_path


def test_unlisted_modules(tmp_path):
  # Only graphrl/sub/b.py is in no py_library (tests/ does not count).
  root = _tree(tmp_path, {
      'graphrl/__init__.py': '', 'graphrl/a.py': '', 'graphrl/sub/b.py': '',
      'tests/test_a.py': '',
      'BUILD': 'py_library(name = "a", srcs = ["graphrl/__init__.py",'
               ' "graphrl/a.py"])\n'
               'py_binary(name = "b", srcs = ["graphrl/sub/b.py"])\n'})
  assert unlisted_modules(parse_build(root), root) == ['graphrl/sub/b.py']


def test_untested_files(tmp_path):
  # test_b.py has no py_test; conftest.py is not a test file.
  root = _tree(tmp_path, {
      'tests/conftest.py': '', 'tests/test_a.py': '', 'tests/test_b.py': '',
      'BUILD': 'py_test(name = "test_a", srcs = ["tests/test_a.py"])\n'
               'py_library(name = "b", srcs = ["tests/test_b.py"])\n'})
  assert untested_files(parse_build(root), root) == ['tests/test_b.py']


def test_binaries_without_target(tmp_path):
  # train.py is a binary by name, plot.py by its main guard; util.py is not
  # runnable and run.py has its py_binary.
  main = 'if __name__ == "__main__":\n  pass\n'
  root = _tree(tmp_path, {
      'graphrl/train.py': '', 'scripts/plot.py': main,
      'scripts/util.py': 'X = "__main__"\n', 'scripts/run.py': main,
      'BUILD': 'py_library(name = "train", srcs = ["graphrl/train.py"])\n'
               'py_binary(name = "run", srcs = ["scripts/run.py"])\n'})
  assert binaries_without_target(parse_build(root), root) == [
      'graphrl/train.py', 'scripts/plot.py']


def test_missing_files(tmp_path):
  # b.py and d.txt do not exist; ':a' is a label, not a file.
  root = _tree(tmp_path, {
      'a.py': '',
      'BUILD': 'py_library(name = "a", srcs = ["a.py", "b.py"])\n'
               'py_test(name = "c", srcs = ["a.py"], data = [":a", "d.txt"],'
               ' main = "a.py")\n'})
  assert missing_files(parse_build(root), root) == ['a: b.py', 'c: d.txt']


def test_undeclared_deps(tmp_path):
  # ':a' and '//:a' name target a; ':nope' and '@x//:a' name nothing in BUILD.
  root = _tree(tmp_path, {
      'BUILD': 'py_library(name = "a")\n'
               'py_library(name = "b", deps = [":a", "//:a", ":nope",'
               ' "@x//:a"])\n'})
  assert undeclared_deps(parse_build(root), root) == [
      'b: :nope', 'b: @x//:a']


def test_unmet_imports(tmp_path):
  # a imports graphrl/b.py without a dep on it; the test imports graphrl.p.c,
  # so it needs graphrl/__init__.py and graphrl/p/__init__.py, and has only
  # the latter. Library c (inside graphrl.p) needs no __init__.py, and of
  # `from graphrl.compat import tf` only graphrl/compat.py (tf is no module).
  root = _tree(tmp_path, {
      'graphrl/__init__.py': '', 'graphrl/a.py': 'from graphrl import b\n',
      'graphrl/b.py': '', 'graphrl/compat.py': '',
      'graphrl/p/__init__.py': 'from graphrl.p.c import X\n',
      'graphrl/p/c.py': 'from graphrl.compat import tf\nX = 1\n',
      'tests/test_c.py': 'import graphrl.p.c\n',
      'BUILD': 'py_library(name = "graphrl", srcs = ["graphrl/__init__.py"])\n'
               'py_library(name = "a", srcs = ["graphrl/a.py"])\n'
               'py_library(name = "b", srcs = ["graphrl/b.py"])\n'
               'py_library(name = "compat", srcs = ["graphrl/compat.py"])\n'
               'py_library(name = "p", srcs = ["graphrl/p/__init__.py"],'
               ' deps = [":c"])\n'
               'py_library(name = "c", srcs = ["graphrl/p/c.py"],'
               ' deps = [":compat"])\n'
               'py_test(name = "test_c", srcs = ["tests/test_c.py"],'
               ' deps = [":p"])\n'
               'filegroup(name = "all", srcs = ["graphrl/a.py"])\n'})
  assert unmet_imports(parse_build(root), root) == [
      'a: graphrl/b.py', 'test_c: graphrl/__init__.py']


def test_missing_conftest(tmp_path):
  # test_a gets conftest.py through a dep, test_b as data, test_d in a
  # filegroup, test_c not at all.
  root = _tree(tmp_path, {
      'BUILD': 'py_library(name = "conftest", srcs = ["tests/conftest.py"])\n'
               'filegroup(name = "files", srcs = ["tests/conftest.py"])\n'
               'py_test(name = "test_a", deps = [":conftest"])\n'
               'py_test(name = "test_b", data = ["tests/conftest.py"])\n'
               'py_test(name = "test_c")\n'
               'py_test(name = "test_d", data = [":files"])\n'})
  assert missing_conftest(parse_build(root), root) == ['test_c']


def test_untagged_slow_tests(tmp_path):
  # test_a has a slow test but no tag; test_b is tagged; test_c only names
  # the marker in a string.
  slow = 'import pytest\n@pytest.mark.slow\ndef test_x():\n  pass\n'
  root = _tree(tmp_path, {
      'tests/test_a.py': slow, 'tests/test_b.py': slow,
      'tests/test_c.py': 'X = "@pytest.mark.slow"\n',
      'BUILD': 'py_test(name = "test_a", srcs = ["tests/test_a.py"],'
               ' tags = ["large"])\n'
               'py_test(name = "test_b", srcs = ["tests/test_b.py"],'
               ' tags = ["slow"])\n'
               'py_test(name = "test_c", srcs = ["tests/test_c.py"])\n'})
  assert untagged_slow_tests(parse_build(root), root) == ['test_a']


def test_parse_build_rejects_duplicate_names(tmp_path):
  root = _tree(tmp_path, {
      'BUILD': 'py_library(name = "a")\npy_test(name = "a")\n'})
  with pytest.raises(ValueError, match="BUILD declares 'a' twice"):
    parse_build(root)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
