import bolt_missing_dependency_for_tests  # noqa: F401
