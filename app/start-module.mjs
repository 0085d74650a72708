// Trunk's post_build hook (Trunk.toml): moves the inline module that starts
// the app out of index.html into a file of its own, so the site runs under a
// Content-Security-Policy without 'unsafe-inline' in script-src (see the
// README's hosting section; tests/e2e/hosting.test.mjs checks it).
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('start-module.mjs is run by trunk (TRUNK_STAGING_DIR is not set)');
const html = join(dir, 'index.html');
const page = readFileSync(html, 'utf8');
const inline = /<script type="module"[^>]*>([\s\S]*?)<\/script>/;
const found = page.match(inline);
if (!found || found[1].trim() === '') throw new Error(`no inline module script in ${html}: did trunk change how it starts the app?`);
const name = `start-${createHash('sha256').update(found[1]).digest('hex').slice(0, 16)}.js`;
writeFileSync(join(dir, name), found[1]);
writeFileSync(html, page.replace(inline, `<script type="module" src="./${name}"></script>`));
