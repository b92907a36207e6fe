# Having a conftest.py here puts this directory on sys.path, so tests can
# `import shop` without installing it.
