"""The shipped example programs (package data, so that ``python -m snarc.demo`` runs from
an installed wheel)."""
