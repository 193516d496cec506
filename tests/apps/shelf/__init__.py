"""A Django app with a foreign key and a many-to-many field, for the serializer tests
(tests/test_serializers.py); served by tests/apps/shelf_app.py."""
