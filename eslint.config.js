// Lint rules. Beyond typescript-eslint's recommended set, this enforces
// DESIGN principle 2: only src/time (and the CLI/bench/test entry points) may
// read the wall clock or arm Node timers; the stack asks its Clock.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const wallClock = {
  'no-restricted-properties': ['error',
    { object: 'Date', property: 'now', message: 'Ask the Clock (src/time) for now().' },
    { object: 'performance', property: 'now', message: 'Ask the Clock (src/time) for now().' },
    { object: 'process', property: 'hrtime', message: 'Ask the Clock (src/time) for now().' },
  ],
  'no-restricted-globals': ['error',
    { name: 'setTimeout', message: 'Arm a Clock timer (src/time) instead.' },
    { name: 'setInterval', message: 'Arm a Clock timer (src/time) instead.' },
    { name: 'setImmediate', message: 'Use clock.defer() (src/time) instead.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'build/**', 'native/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', WebAssembly: 'readonly', queueMicrotask: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/time/**', 'src/cli/**', 'src/lab/real/**'], rules: wallClock },
);
