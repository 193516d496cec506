"""The server wing: serving an API from a script or the ``bolt`` command, and the supervising
parent that runs several serving processes.

The rest of bolt-api decides what a request means and knows no sockets; this subpackage is
where processes, ports and signals are handled. No other module of bolt_api imports it but
the package's ``__init__`` (for :func:`serve`) and ``__main__`` (the ``bolt`` command);
``bolt_django``'s ``runbolt`` builds on it.

The lifecycle under a supervisor (``--processes N``, a recycling option or ``--dev``), the
same on both engines:

* The parent claims the port and opens one ``SO_REUSEPORT`` socket per serving process; it
  keeps them, so connections queued on a process that is replaced are not lost.
* Each child, a fresh interpreter running the same command, tells the parent when it is
  ready; the parent prints the start-up banner once every child is. The API's lifespan is
  entered in each child before it is ready and exited after its graceful stop (the engine
  runs it: ENGINE_CONTRACT.md §5); a start-up that raises is a failure before ready.
* SIGTERM or SIGINT: a graceful stop of every child, up to ``--graceful-timeout``; then the
  parent exits 0. A second SIGINT (or a SIGQUIT) kills them at once.
* SIGHUP: a rolling restart, one child at a time — start the replacement, wait until it is
  ready, then stop the old one — so no request fails; new code is deployed this way. A
  replacement that fails to load the app aborts the restart; the running children stay.
* A child that dies is started again, with a back-off when it keeps dying. A child that fails
  before it is ready stops the server with a non-zero exit status; its error is on stderr.
* ``--max-requests``, ``--max-lifetime``, ``--max-rss`` replace a child the way SIGHUP does.
* ``--dev``: the parent watches the ``.py`` files (with ``watchfiles`` when installed, else
  by polling) and restarts the children on a change; when the app then fails to load, it
  says so and waits for the next change.
* A parent killed without stopping them (``kill -9``): the children notice and stop.

One concern per module, drawn in layers: each imports only modules on the lines below it,
so there is no import cycle (``packages/bolt-api/tests/test_imports.py`` checks the graph of
the whole of bolt_api)::

    _cli          the bolt command      -> _supervisor _serve _options _limits _link
    _supervisor   the parent's loop     -> _serve _recycling _children _options _signals
                                           _slots _reload _link
    _serve        serve(), the banner   -> _link
    _recycling    replacing children    -> _children _options
    _children     starting, tracking    -> _link
    _options      the process flags     -> _reload
    _limits       the request limits' flags
    _link         the parent-child pipe
    _reload       --dev file watching
    _slots        the port's sockets
    _signals      signals for the loop

Outside the wing it imports only ``bolt_api._app``, ``engine``, ``engines``, ``exceptions``
and ``proxies``, none of which imports it back.
"""

from ._children import child_argv
from ._cli import TRUSTED_PROXIES_ENV, WORKERS_ENV, check_server_flags, import_api, main
from ._limits import LIMITS, Limit, add_limit_arguments, limits_from
from ._link import SUPERVISOR_ENV, ParentLink, parent_link
from ._options import DEFAULT_GRACEFUL_TIMEOUT, ProcessOptions, add_arguments, options_from
from ._reload import RELOADER_ENV
from ._serve import banner, serve
from ._supervisor import Supervisor

__all__ = [
    "DEFAULT_GRACEFUL_TIMEOUT",
    "LIMITS",
    "Limit",
    "ParentLink",
    "ProcessOptions",
    "RELOADER_ENV",
    "SUPERVISOR_ENV",
    "Supervisor",
    "TRUSTED_PROXIES_ENV",
    "WORKERS_ENV",
    "add_arguments",
    "add_limit_arguments",
    "banner",
    "check_server_flags",
    "child_argv",
    "import_api",
    "limits_from",
    "main",
    "options_from",
    "parent_link",
    "serve",
]
