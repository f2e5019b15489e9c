import { defineConfig } from 'vite';

// The Maven build (pom.xml) runs `npm ci` and `npm run build`; the output lands in the module's
// target/classes/META-INF/resources, so the jar carries it and the control plane serves it at /.
// `npm run dev` serves the sources and forwards /api to a control plane on 127.0.0.1:8080.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'target/classes/META-INF/resources',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
