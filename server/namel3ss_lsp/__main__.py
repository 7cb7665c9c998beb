from namel3ss_lsp.cli import main

raise SystemExit(main())
