"""``python -m casim``: the same as the ``casim`` command."""

from casim.cli import main

if __name__ == "__main__":
    main()
