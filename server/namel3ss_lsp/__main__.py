from namel3ss_lsp.cli import main

# Guarded: worker processes (the workspace index's "spawn" pool) import this module again.
if __name__ == "__main__":
    raise SystemExit(main())
