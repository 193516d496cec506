"""A Django project served by ``manage.py runbolt`` (tests/test_django_debug.py): ``DEBUG``
from ``BOLT_TEST_DEBUG``, one API with a failing route."""
