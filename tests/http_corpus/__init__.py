"""Raw HTTP/1.1 requests and the answers both engines must give them (``tests/test_corpus.py``).

* ``bolt.py`` — Bolt's own corpus: malformed, ambiguous and borderline requests, each with the
  statuses expected in order and whether the server must close the connection afterwards.
* ``gunicorn/`` — the valid and invalid raw requests of gunicorn's test suite (MIT, see
  ``gunicorn/LICENSE``), copied unchanged from the gunicorn 27.0.1 sdist on PyPI; the
  ``.http`` files use gunicorn's escapes (``\\r\\n``, ``\\0``, ``\\t``, ``\\xHH``; real newlines
  are ignored). ``gunicorn_verdicts.py`` lists the cases whose gunicorn verdict Bolt
  deliberately does not share, with the reason and Bolt's own answer.
"""
