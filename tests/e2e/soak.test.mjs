// Memory soak, sized for CI (the long version: node tests/e2e/soak.mjs).
// A settings change used to keep its run's GPU buffers (about 7 MB a
// change: 1000 changes took the GPU process from 125 MB to 7.1 GB) and
// to queue its work behind every earlier run's, so training stalled.
// Every lab on WebGPU, and on the CPU fallback, where a change cancels
// the worker's jobs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './harness.mjs';
import { soak, fmt } from './soak.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

// The GPU process's resident size grows in steps of ~30 MB as SwiftShader's
// pools fill, then stays (1000 playground changes: 208 → 274 MB), so the
// WebGPU soaks run long enough for a second half of 150 or more changes
// to hold a step or two under the 0.5 MB a change bound. The reference is
// taken after 100 changes, so every soak runs well past it. Not here: the
// landscape on WebGPU (the script: node tests/e2e/soak.mjs 1000
// '?lab=landscape&grid=16'). Its app-held buffers stay flat (32–34, 7.8
// MB), but with training pipelined its GPU process swings by ±110 MB from
// one sample to the next after its first 400 changes (239 MB after 100,
// then 682–825 MB up to 1000), more than a bound on the second half's
// growth can tell from a leak. Nor the landscape on the CPU fallback
// (node tests/e2e/soak.mjs 150 '?lab=landscape&grid=16' cpu): its wasm
// memory, a high-water mark of about 1.8 MB, ended one or two 64 kB pages
// past the 5 % bound in 1 of 6 runs after the fixes of this change, with
// the JS heap flat; the bound wants the page's live bytes, not its
// high-water mark.
const SOAKS = [
  ['?lab=playground', 600, false],
  ['?lab=ntk&n=16&steps=200', 300, false],
  ['?lab=playground', 150, true],
  ['?lab=ntk&n=16&steps=200', 150, true],
  ['?lab=dd', 150, true],
];

for (const [query, changes, cpu] of SOAKS) {
  test(`${changes} settings changes on ${query} (${cpu ? 'CPU fallback' : 'WebGPU'}) leave memory flat and the lab running`, async () => {
    const r = await soak({ url: server.url, query, changes, cpu });
    assert.ok(r.ok, `${r.why.join('; ')}\nreference: ${r.reference && fmt(r.reference)}\nend: ${fmt(r.end)}`);
  });
}
