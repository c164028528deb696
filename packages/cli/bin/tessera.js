#!/usr/bin/env node
// The CLI is bundled by `npm run build` into dist/; this stub keeps the bin path stable.
await import('../dist/tessera.js');
