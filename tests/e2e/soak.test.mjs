// Memory soak, sized for CI (the long version: node tests/e2e/soak.mjs).
// A settings change used to keep its run's GPU buffers (about 7 MB a
// change: 1000 changes took the GPU process from 125 MB to 7.1 GB) and
// to queue its work behind every earlier run's, so training stalled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './harness.mjs';
import { soak, fmt } from './soak.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

test('300 settings changes on the WebGPU playground leave memory flat and training running', async () => {
  const r = await soak({ url: server.url, query: '?lab=playground', changes: 300 });
  assert.ok(r.ok, `${r.why.join('; ')}\nreference: ${r.reference && fmt(r.reference)}\nend: ${fmt(r.end)}`);
});
