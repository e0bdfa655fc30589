// Bundles the syncer into one ES module, dist/cmd/vsyncer.js (with its source map), which is what
// `make up`, the tests, the bench and the image run. `npm run build` type-checks first.
//   node hack/bundle.ts
//
// Why a bundle: Node keeps every loaded module's record and source alive, and the syncer reaches
// about 1,300 modules through its dependencies. One file starts faster and idles about 50 MB lighter.
//
// Why the client-node redirects: the syncer speaks REST itself (src/kube/rest-client.ts) and takes
// only KubeConfig, RequestContext and HttpMethod from @kubernetes/client-node. The package's index,
// and its config.js, import the generated API clients and the ~900 model classes (about 60 MB of
// heap and code at run time) that nothing here calls: config.js needs just createConfiguration and
// ServerConfiguration from them, for makeApiClient. The redirects load those three names and those
// two from the light modules that define them, so no generated API client or model is bundled. A
// client-node upgrade that moves them fails this build with "No matching export", never at run time.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const root = join(import.meta.dirname, '..');
const clientNodeDist = dirname(createRequire(join(root, 'package.json')).resolve('@kubernetes/client-node'));

const slimModules: Record<string, string> = {
  // What src/ imports as values from '@kubernetes/client-node' (types are erased).
  'client-node': [
    "export { KubeConfig } from './config.js';",
    "export { HttpMethod, RequestContext } from './gen/http/http.js';",
  ].join('\n'),
  // What client-node's config.js imports from './gen/index.js'.
  'client-node-gen': [
    "export { createConfiguration } from './gen/configuration.js';",
    "export { ServerConfiguration } from './gen/servers.js';",
  ].join('\n'),
};

const slimClientNode: esbuild.Plugin = {
  name: 'slim-client-node',
  setup(build) {
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({
      path: 'client-node',
      namespace: 'slim',
    }));
    build.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      args.importer === join(clientNodeDist, 'config.js')
        ? { path: 'client-node-gen', namespace: 'slim' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'slim' }, (args) => ({
      contents: slimModules[args.path],
      resolveDir: clientNodeDist,
      loader: 'js',
    }));
  },
};

// What tsc emitted into dist/ before the build bundled: stale, and never run.
rmSync(join(root, 'dist/src'), { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['cmd/vsyncer.ts'],
  outfile: 'dist/cmd/vsyncer.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  // Code (strings, templates, regular expressions, names) comes out ASCII, escaped where needed;
  // asciiOnly() below does the same for the comments esbuild keeps verbatim.
  charset: 'ascii',
  metafile: true,
  write: false,
  logLevel: 'warning',
  plugins: [slimClientNode],
  // Some bundled dependencies are CommonJS and call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
  },
});
// Each file replaced in one step: a syncer (re)starting meanwhile reads the old bundle or the new one.
for (const file of result.outputFiles) {
  const isScript = file.path.endsWith('.js');
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(`${file.path}.tmp`, isScript ? asciiOnly(file.text) : file.contents, {
    mode: isScript ? 0o755 : 0o644,
  });
  renameSync(`${file.path}.tmp`, file.path);
}
const [output, meta] = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith('.js'))!;
console.log(
  `wrote ${output}: ${(meta.bytes / 1e6).toFixed(1)} MB from ${Object.keys(meta.inputs).length} modules`,
);

/**
 * The bundle with every non-ASCII character written as an escape. One character outside Latin-1
 * anywhere in the file (a curly quote in a dependency's comment) makes V8 hold the whole source, 3 MB,
 * as a two-byte string for the life of the process: 3 MB more heap and RSS. esbuild escapes them in
 * code (charset: 'ascii'), so those left are in comments, where an escape is inert text (code after a
 * block comment on the same line would map a few columns off; today none does).
 */
function asciiOnly(text: string): string {
  return text.replace(/[^\p{ASCII}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
