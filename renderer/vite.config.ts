import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Everything the UI needs is bundled here (ZXing included), so the app never loads code from a CDN
 * and the host's CSP can stay at `script-src 'self'`.
 */
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
