"""``python -m derivations.document PATH``: check a document's derivations."""

import sys

from derivations.document.cli import main

sys.exit(main())
