"""hullbox build: Dockerfile text -> located AST -> instructions -> plan -> image.

The front end (``parser``, ``shell_lex``) is pure and follows BuildKit's grammar
byte for byte. Nothing here is imported by ``hullbox run``; keep this package
free of imports so that importing one module pays only for that module.
"""
