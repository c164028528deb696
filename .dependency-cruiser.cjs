/**
 * Architecture rules, enforced in CI (`npm run lint`), not by review:
 * - no import cycles anywhere;
 * - services never import each other: they meet only through proto/ and packages/;
 * - packages never import services; nothing imports test/.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles make modules impossible to reason about in isolation.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-service-to-service',
      severity: 'error',
      comment: 'A service may import packages, never another service.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'no-package-to-service',
      severity: 'error',
      comment: 'Packages are shared libraries; they never depend on a service.',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
    {
      name: 'nothing-imports-test',
      severity: 'error',
      comment: 'test/ holds cross-service tests and benchmarks; no code depends on it.',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-deep-package-imports',
      severity: 'error',
      comment:
        "Packages are used through their exports map, never by reaching into another package's files.",
      from: { path: '^(packages|services)/([^/]+)/' },
      to: {
        path: '^packages/([^/]+)/',
        pathNot: ['^packages/$2/', '^packages/[^/]+/src/index\\.ts$'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|gen)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      conditionNames: ['tessera-source', 'import', 'require', 'node', 'default'],
      exportsFields: ['exports'],
    },
  },
};
