"""Tests for graphrl.training.cli."""

import subprocess
import sys
import textwrap

import pytest

from graphrl.training import cli

_PROGRAM = textwrap.dedent('''\
    """A tiny binary for the tests."""
    from absl import flags
    from graphrl.training import cli

    flags.DEFINE_integer('steps', 1, 'Number of steps.')
    flags.DEFINE_enum('mode', 'ok', ['ok', 'user_error', 'bug'], 'What to do.')


    def main(argv):
      cli.require_no_arguments(argv)
      mode = flags.FLAGS.mode
      cli.require(mode != 'user_error', 'cannot train\\nwith these flags')
      if mode == 'bug':
        raise RuntimeError('a bug')
      print('steps', flags.FLAGS.steps)


    cli.run(main)
    ''')


@pytest.fixture
def program(tmp_path):
  """Runs the tiny binary with some arguments; returns the CompletedProcess."""
  path = tmp_path / 'program.py'
  path.write_text(_PROGRAM)

  def run(*args):
    return subprocess.run([sys.executable, str(path)] + list(args),
                          capture_output=True, text=True, timeout=60,
                          check=False)

  return run


def test_good_flags_run_main(program, tmp_path):
  flagfile = tmp_path / 'x.flags'
  flagfile.write_text('--steps=5\n')
  result = program('--flagfile=%s' % flagfile)
  assert (result.returncode, result.stdout, result.stderr) == (0, 'steps 5\n',
                                                               '')


@pytest.mark.parametrize('args,mentions', [
    (['--nope=1'], 'nope'),
    (['--steps=abc'], 'abc'),
    (['--mode=fast'], 'fast'),
    (['--flagfile=/no/such/x.flags'], '/no/such/x.flags'),
])
def test_flag_errors_are_one_line(program, args, mentions):
  result = program(*args)
  assert result.returncode == 2
  assert result.stdout == ''
  assert len(result.stderr.splitlines()) == 1
  assert result.stderr.startswith('error: ') and mentions in result.stderr
  assert 'ERROR' not in result.stderr and 'FATAL' not in result.stderr


def test_binary_flagfile_is_one_line_error(program, tmp_path):
  flagfile = tmp_path / 'x.flags'
  flagfile.write_bytes(b'\x89PNG\r\n\x1a\n\xff\xfe')
  result = program('--flagfile=%s' % flagfile)
  assert (result.returncode, result.stdout) == (2, '')
  assert len(result.stderr.splitlines()) == 1
  assert result.stderr.startswith(
      'error: --flagfile=%s: not a text file of flags (' % flagfile)
  assert "can't decode byte 0x89 in position 0" in result.stderr


def test_arguments_are_refused_with_a_hint_for_a_flagfile(program, tmp_path):
  flagfile = tmp_path / 'x.flags'
  flagfile.write_text('--steps=5\n')
  result = program(str(flagfile))
  assert (result.returncode, result.stderr) == (
      2, 'error: unexpected argument %s; did you mean --flagfile=%s?\n' % (
          flagfile, flagfile))
  result = program('x.flags', 'more')  # Not a file: no hint.
  assert result.stderr == 'error: unexpected arguments: x.flags more\n'


def test_user_error_is_one_line(program):
  result = program('--mode=user_error')
  assert result.returncode == 2
  assert result.stderr == 'error: cannot train with these flags\n'


def test_bug_shows_traceback(program):
  result = program('--mode=bug')
  assert result.returncode == 1
  assert 'Traceback' in result.stderr
  assert result.stderr.rstrip().endswith('RuntimeError: a bug')


@pytest.mark.parametrize('flag', ['--help', '--helpfull'])
def test_help_lists_flags(program, flag):
  result = program(flag)
  assert 'A tiny binary for the tests.' in result.stdout
  assert '--steps' in result.stdout
  assert 'error:' not in result.stderr


def test_require():
  cli.require(True, 'unused')
  with pytest.raises(cli.UserError, match='^need more$'):
    cli.require(False, 'need more')


def test_one_line():
  assert cli.one_line('a\n  b\n\nc  \n') == 'a b c'


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
