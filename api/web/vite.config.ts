/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The veche server the dev server forwards to (`veche serve` on its default port).
const backend = 'http://127.0.0.1:18090';
const proxied = ['/api', '/auth', '/links', '/outbox'];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    // The budget that matters is the first load, under 250 kB gzipped (React, the router
    // and the calendar make one chunk of about 230 kB); Vite's default warns at 500 kB raw.
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: Object.fromEntries(
      proxied.map((path) => [path, { target: backend, changeOrigin: false, ws: path === '/api' }]),
    ),
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/testing/setup.ts'],
    css: false,
    restoreMocks: true,
    // Dates in tests read the same on every machine.
    env: { TZ: 'UTC' },
    // The machine may be busy with other builds; typing into forms takes a while then.
    testTimeout: 20_000,
  },
});
