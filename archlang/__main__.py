"""`python -m archlang` is the `archlang` command."""
from .cli import main

raise SystemExit(main())
