import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const appDir = fileURLToPath(new URL('.', import.meta.url));

// One page per ZAF location (assets/<location>.html), relative URLs (Zendesk serves assets from a
// per-app path), stable file names (the manifest and zcli refer to them).
export default defineConfig({
  root: appDir,
  base: './',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../assets',
    emptyOutDir: true,
    assetsDir: '.',
    sourcemap: false,
    // Every browser Zendesk supports has modulepreload.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      input: {
        top_bar: `${appDir}top_bar.html`,
        ticket_sidebar: `${appDir}ticket_sidebar.html`,
        nav_bar: `${appDir}nav_bar.html`,
      },
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunk-[name].js',
        assetFileNames: '[name][extname]',
        codeSplitting: {
          // Libraries the locations share, in one cacheable file. Streams stays a lazy chunk of its own; the
          // tabs only the nav_bar uses stay out of it, so the top bar and sidebar do not load them.
          groups: [
            {
              name: 'vendor',
              test: /node_modules[\\/](?!amazon-connect-streams[\\/]|@zendeskgarden[\\/](?:react-tabs|container-tabs|container-selection)[\\/])/,
            },
            { name: 'common', test: /[\\/]app[\\/]/, minShareCount: 2 },
          ],
        },
      },
    },
  },
});
