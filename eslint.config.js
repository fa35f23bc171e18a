import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Layer rules of DESIGN §1, enforced here so a wrong import fails `npm test`:
 * renderer → protocol only; electron/core → protocol, never Electron; sync-server → protocol;
 * protocol → nothing of ours and no I/O.
 */
const ourParts = (except) =>
  ['protocol', 'sync-server', 'electron', 'renderer']
    .filter((part) => !except.includes(part))
    .flatMap((part) => [`**/${part}/**`, `@gatehouse/${part}`, `@gatehouse/${part}/*`]);

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'os',
  'worker_threads',
];

/** The sync server's domain folders: the storage adapters may not import from them. */
const DOMAIN_DIRS = [
  'auth',
  'users',
  'devices',
  'events',
  'bookings',
  'tickets',
  'checkins',
  'alerts',
  'mail',
  'sync',
  'http',
  'health',
].map((dir) => `**/${dir}/**`);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/out/**',
      '**/release/**',
      '.data/**',
      '.tools/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ourParts(['protocol']),
            ...nodeBuiltins,
            'mongodb',
            'fastify',
            'better-sqlite3',
            'electron',
            'react',
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ourParts(['protocol', 'renderer']),
            ...nodeBuiltins,
            'better-sqlite3',
            'electron',
            'mongodb',
            'ws',
          ],
        },
      ],
    },
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ourParts(['protocol', 'electron']),
            '**/main/**',
            '**/preload/**',
            '**/host/**',
            'electron',
            'electron/*',
          ],
        },
      ],
    },
  },
  {
    files: ['electron/host/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...ourParts(['protocol', 'electron']), '**/main/**', 'electron', 'electron/*'] },
      ],
    },
  },
  {
    files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ourParts(['protocol', 'electron']) }] },
  },
  {
    // Domain code reaches the database only through the storage port (sync-server/src/store/port.ts):
    // no driver outside its adapter.
    files: ['sync-server/src/**/*.ts'],
    ignores: ['sync-server/src/store/sqlite/**', 'sync-server/src/store/mongodb/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...ourParts(['protocol', 'sync-server']), 'better-sqlite3', 'mongodb', 'electron'] },
      ],
    },
  },
  {
    // Each adapter sees rows and the port, never a domain service nor the other adapter's driver.
    files: ['sync-server/src/store/sqlite/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ourParts(['protocol', 'sync-server']),
            ...DOMAIN_DIRS,
            'mongodb',
            'electron',
            '**/store/mongodb/**',
          ],
        },
      ],
    },
  },
  {
    files: ['sync-server/src/store/mongodb/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ourParts(['protocol', 'sync-server']),
            ...DOMAIN_DIRS,
            'better-sqlite3',
            'electron',
            '**/store/sqlite/**',
          ],
        },
      ],
    },
  },
  {
    // Tests talk JSON over HTTP; asserting on `any` bodies keeps them readable.
    files: ['**/test/**', 'tests/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
