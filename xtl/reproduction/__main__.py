"""`python -m xtl.reproduction`: what `make reproduce` runs."""

from xtl.reproduction.run import main

raise SystemExit(main())
