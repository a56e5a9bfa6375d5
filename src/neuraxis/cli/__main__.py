"""``python -m neuraxis.cli ...``: the same CLI as the ``neuraxis`` command."""

from neuraxis.cli import app

if __name__ == "__main__":
    app(prog_name="neuraxis")
