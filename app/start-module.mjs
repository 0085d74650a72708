// Trunk's post_build hook (Trunk.toml):
// - moves the inline module that starts the app out of index.html into a
//   file of its own, so the site runs under a Content-Security-Policy
//   without 'unsafe-inline' in script-src (see the README's hosting
//   section; tests/e2e/hosting.test.mjs checks it);
// - writes the page's worker, which runs the same wasm and takes jobs
//   (app/src/kit/worker.rs), and names it in a meta tag the app reads.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('start-module.mjs is run by trunk (TRUNK_STAGING_DIR is not set)');
const html = join(dir, 'index.html');
let page = readFileSync(html, 'utf8');
const inline = /<script type="module"[^>]*>([\s\S]*?)<\/script>/;
const found = page.match(inline);
if (!found || found[1].trim() === '') throw new Error(`no inline module script in ${html}: did trunk change how it starts the app?`);
const hashed = (stem, text) => `${stem}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.js`;

const start = hashed('start', found[1]);
writeFileSync(join(dir, start), found[1]);
page = page.replace(inline, `<script type="module" src="./${start}"></script>`);

const glue = found[1].match(/from '(\.\/[^']+\.js)'/)?.[1];
const wasm = found[1].match(/module_or_path: '(\.\/[^']+\.wasm)'/)?.[1];
if (!glue || !wasm) throw new Error(`cannot find the wasm and its glue in trunk's start module:\n${found[1]}`);
// Messages that arrive while the wasm loads wait for it.
const worker = `// gradlab's worker: the app's wasm, taking jobs (app/src/kit/worker.rs).
const early = [];
self.onmessage = (e) => early.push(e.data);
const { default: init, worker_message } = await import('${glue}');
await init({ module_or_path: '${wasm}' });
self.onmessage = (e) => worker_message(e.data);
for (const data of early) worker_message(data);
`;
const name = hashed('worker', worker);
writeFileSync(join(dir, name), worker);
page = page.replace('</head>', `<meta name="gradlab-worker" content="./${name}">\n</head>`);
writeFileSync(html, page);
