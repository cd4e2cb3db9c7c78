import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// A static build the Tauri shell embeds: no dev server in production, no remote
// origins, and every asset (fonts included) emitted next to index.html.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  // The translations live in ../assets/i18n (shared with the shell).
  server: { strictPort: true, port: 5173, fs: { allow: ['.', '../assets/i18n', '../assets/forms'] } },
});
