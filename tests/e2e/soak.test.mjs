// Memory soak (the long version: node tests/e2e/soak.mjs). A settings
// change used to keep its run's GPU buffers (about 7 MB a change: 1000
// changes took the GPU process from 125 MB to 7.1 GB) and to queue its
// work behind every earlier run's, so training stalled. Every lab on
// WebGPU, and on the CPU fallback, where a change cancels the worker's
// jobs. One change a frame, as a dragged slider sends them. About 3 minutes
// here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './harness.mjs';
import { soak, fmt } from './soak.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

// The counts the issue asks: 1000 changes on the playground, 300 on each
// other lab, on both backends.
const SOAKS = [
  ['?lab=playground', 1000, false],
  ['?lab=landscape&grid=16', 300, false],
  ['?lab=ntk&n=16&steps=200', 300, false],
  ['?lab=implicit&view=matrix&matrix_steps=100000', 300, false],
  ['?lab=playground', 1000, true],
  ['?lab=landscape&grid=16', 300, true],
  ['?lab=ntk&n=16&steps=200', 300, true],
  ['?lab=dd', 300, true],
];

for (const [query, changes, cpu] of SOAKS) {
  test(`${changes} settings changes on ${query} (${cpu ? 'CPU fallback' : 'WebGPU'}) leave memory flat and the lab running`, async () => {
    const r = await soak({ url: server.url, query, changes, cpu });
    const [a, b] = [r.reference, r.end];
    const heap = a ? `; JS heap ${a.heapMb.toFixed(2)} → ${b.heapMb.toFixed(2)} MB, buffers ${a.buffers} → ${b.buffers}` : '';
    console.log(`${query} (${cpu ? 'CPU' : 'WebGPU'}): ${r.alone} of ${changes + 1} changes had a frame of their own${heap}`);
    assert.ok(r.ok, `${r.why.join('; ')}\nreference: ${r.reference && fmt(r.reference)}\nend: ${fmt(r.end)}`);
  });
}
