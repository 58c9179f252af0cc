from infra.local.runner import main

raise SystemExit(main())
