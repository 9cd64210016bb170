"""How graphrl binaries start and fail: `run(main)` and `UserError`.

Every binary calls `run(main)` instead of `absl.app.run(main)`. Mistakes the
user can fix (an unknown flag, a bad flag value, a missing or binary
flagfile, or a `UserError` raised by `main`, e.g. by `require_no_arguments`)
end the process with exactly one stderr line, `error: <message>`, and exit
status 2. Any other exception is a bug and propagates with its traceback.
"""

import os
import re
import sys

from absl import app
from absl import flags

USAGE_EXIT_CODE = 2


class UserError(Exception):
  """Bad input that the user can fix; shown without a traceback."""


def require(condition, message):
  """Raises `UserError(message)` unless `condition` holds."""
  if not condition:
    raise UserError(message)


def one_line(message):
  """`message` with its lines joined by spaces, for single-line reports."""
  return ' '.join(line.strip() for line in str(message).splitlines()
                  if line.strip())


def _fail(message):
  sys.stderr.write('error: %s\n' % one_line(message))
  sys.stderr.flush()
  sys.exit(USAGE_EXIT_CODE)


def _parse_flags(argv):
  """Parses `argv` into `flags.FLAGS`; a parse error is a user error."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as error:
    # absl words a missing flagfile 'ERROR:: Unable to open flagfile: ...'.
    _fail(re.sub(r'^ERROR:+\s*', '', str(error)))
  except UnicodeDecodeError as error:  # absl reads flagfiles as text.
    named = [arg for arg in argv if re.match(r'--?flagfile=', arg)]
    _fail('%s: not a text file of flags (%s)' % (
        ', '.join(named) or 'a flagfile', error))


def require_no_arguments(argv):
  """Refuses the non-flag arguments of `argv` (the program name first);
  for an existing `*.flags` file it suggests `--flagfile=`."""
  for arg in argv[1:]:
    require(not (arg.endswith('.flags') and os.path.isfile(arg)),
            'unexpected argument %s; did you mean --flagfile=%s?' % (arg, arg))
  require(len(argv) == 1, 'unexpected arguments: %s' % ' '.join(argv[1:]))


def run(main, argv=None):
  """Runs `main(argv)` like `absl.app.run`, reporting user errors in one line.

  `--help` lists the flags of the module defining `main` (absl lists those
  of `__main__`), also when `__main__` is a console script such as
  `graphrl-train`, which defines none; `--helpfull` lists every flag,
  TensorFlow's and absl's included.

  Args:
    main: the binary's main function; it receives the non-flag arguments.
    argv: command line, program name first; `sys.argv` by default.
  """
  for flag in flags.FLAGS.get_flags_for_module(main.__module__):
    flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)

  def guarded_main(args):
    try:
      return main(args)
    except UserError as error:
      _fail(error)

  app.run(guarded_main, argv=argv, flags_parser=_parse_flags)
