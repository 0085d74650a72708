// Memory soak: load a lab, change its settings many times through the host
// protocol (each change waits for the frame that rebuilds the run), and
// watch what the app holds on the GPU (`data-gpu-buffers`,
// `data-gpu-bytes`), the JS heap, wasm memory and the browser's
// GPU-process memory; at the end, training must run again (double descent:
// the last settings' curves finish).
//
// `soak()` is what soak.test.mjs runs, sized for CI. The long version is
// this file as a script:
//
//   node tests/e2e/soak.mjs [changes=1000] [query='?lab=playground'] [cpu]
//   node tests/e2e/soak.mjs 300 '?lab=landscape&grid=16'
//   node tests/e2e/soak.mjs 300 '?lab=dd'
//
// It needs dist/ (trunk build --release), prints a line per 100 changes and
// exits 1 unless memory stayed flat and training resumed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { serve, launch, open, until } from './harness.mjs';

/** Process ids of Chromium GPU processes running now. */
function gpuProcesses() {
  const lines = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((l) => l.includes('--type=gpu-process')).map((l) => l.trim().split(/\s+/)[0]);
}

/** Resident memory (MB) of a process, NaN if it is gone. */
function residentMb(pid) {
  try {
    const rss = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return rss ? Number(rss[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const fmt = (s) => `buffers ${s.buffers}, held ${(s.gpuBytes / 2 ** 20).toFixed(1)} MB, GPU process ${s.gpuProcessMb.toFixed(0)} MB, `
  + `JS heap ${s.heapMb.toFixed(1)} MB, wasm ${s.wasmMb.toFixed(1)} MB, phase ${s.phase}, steps ${s.steps}`;

/**
 * Runs `changes` settings changes on `query` in a fresh browser (WebGPU, or
 * the CPU fallback with `cpu`) and returns `{ ok, why, reference, end }`:
 * `reference` is the run of the 100th change once it trains again, `end`
 * the same settings after all the changes. Flat means: what the app holds
 * on the GPU, the JS heap and wasm memory within 5 % of the reference (a
 * staging buffer or two of slack), and the GPU process growing less than
 * 0.5 MB a change over the second half, a fourteenth of the old leak (its
 * resident size is noisy: SwiftShader's compiled kernels and memory pools
 * stay, and a CI run saw +40 MB over 200 changes with no buffer kept).
 */
export async function soak({ url, query = '?lab=playground', changes = 1000, cpu = false, log }) {
  const logging = log !== undefined;
  log ??= () => {};
  const others = new Set(gpuProcesses());
  const browser = await launch({ webgpu: !cpu });
  try {
    const { page, errors } = await open(browser, url + query, { noWebGpu: cpu });
    // This browser's GPU process: the one that was not there before it.
    const gpuPid = gpuProcesses().find((pid) => !others.has(pid));
    const cdp = await page.context().newCDPSession(page);
    // The JS heap after a full collection, the least of three a moment
    // apart (a message or frame in flight can hold a few kB for a while).
    const heapMb = async () => {
      const seen = [];
      for (let i = 0; i < 3; i++) {
        await cdp.send('HeapProfiler.collectGarbage');
        seen.push(await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 2 ** 20 : NaN)));
        await page.waitForTimeout(200);
      }
      return Math.min(...seen);
    };
    const sample = async () => {
      const heap = await heapMb();
      const inPage = await page.evaluate(() => {
        const root = document.querySelector('[data-phase]');
        return {
          buffers: Number(root?.dataset.gpuBuffers ?? NaN),
          gpuBytes: Number(root?.dataset.gpuBytes ?? NaN),
          wasmMb: Number(root?.dataset.wasmBytes ?? NaN) / 2 ** 20,
          steps: Number(root?.dataset.steps ?? NaN),
          phase: root?.dataset.phase,
        };
      });
      return { ...inPage, heapMb: heap, gpuProcessMb: residentMb(gpuPid) };
    };
    // Trains again (and, in the landscape, draws a new grid; in double
    // descent, the curves are done): then a sample.
    const settle = async () => {
      const grids = await page.evaluate(() => Number(document.querySelector('.views')?.dataset.grids ?? -1));
      try {
        await until(page, (before) => {
          const root = document.querySelector('[data-phase]');
          if (root?.dataset.points !== undefined) return root.dataset.phase === 'done';
          const steps = Number(root?.dataset.steps || 0);
          const now = Number(document.querySelector('.views')?.dataset.grids ?? -1);
          return steps > 5 && (now === -1 || now > before || now > 0);
        }, grids, 60_000);
      } catch {
        return [false, await sample()];
      }
      await page.waitForTimeout(2000);
      return [true, await sample()];
    };
    // Width and learning rate; double descent has neither, and its n and
    // seeds change curves that take the worker seconds each, so a change
    // that does not cancel the last one's job leaves minutes of work.
    const dd = query.includes('lab=dd');
    const widths = [8, 16, 24, 32, 48, 64, 96, 128];
    const lrs = [0.003, 0.01, 0.03];
    const ns = [150, 200, 250, 300];
    const params = (i) => (dd ? { n: ns[i % ns.length], seeds: 3 + (i % 3) } : { width: widths[i % widths.length], lr: lrs[i % lrs.length] });
    const change = (i) => page.evaluate((p) => {
      window.postMessage({ gradlab: 1, type: 'set', params: p }, '*');
      // Two frames: the message is handled, then the run is rebuilt.
      return new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
    }, params(i));

    await settle(); // every kernel the lab uses is compiled now
    const t0 = Date.now();
    let reference = null;
    let half = null;
    for (let i = 1; i <= changes; i++) {
      await change(i);
      if (i === 100) {
        const [ok, s] = await settle();
        reference = ok ? s : null;
        log(`reference, settled after 100 changes: ${fmt(s)}`);
      }
      if (i === Math.floor(changes / 2)) half = await sample();
      if (logging && (i % 100 === 0 || i === changes)) log(`${i} changes (${((Date.now() - t0) / 1000).toFixed(0)} s): ${fmt(await sample())}`);
    }
    await change(100); // like with like
    const [resumed, end] = await settle();
    log(`settled: ${fmt(end)}; training ${resumed ? 'resumed' : 'DID NOT resume'}; page errors: ${errors.length}`);
    const within = (a, b, slack = 0) => b <= a * 1.05 + slack;
    const why = [];
    if (!reference) why.push('the reference run did not train');
    if (!resumed) why.push(dd ? 'the last settings\' curves did not finish within 60 s' : 'training did not resume');
    if (errors.length) why.push(`page errors: ${errors.join(' | ').slice(0, 500)}`);
    if (reference) {
      if (!within(reference.gpuBytes, end.gpuBytes, 2 ** 18) || !within(reference.buffers, end.buffers, 3)) why.push('GPU buffers grew');
      if (!within(reference.heapMb, end.heapMb)) why.push('the JS heap grew');
      if (!within(reference.wasmMb, end.wasmMb)) why.push('wasm memory grew');
    }
    const growth = half ? (end.gpuProcessMb - half.gpuProcessMb) / (changes - Math.floor(changes / 2)) : 0;
    if (growth > 0.5) why.push(`the GPU process grew ${growth.toFixed(2)} MB a change over the second half (from ${half.gpuProcessMb.toFixed(0)} MB)`);
    return { ok: why.length === 0, why, reference, half, end };
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const changes = Number(process.argv[2] ?? 1000);
  const query = process.argv[3] ?? '?lab=playground';
  const server = await serve();
  const result = await soak({ url: server.url, query, changes, cpu: process.argv[4] === 'cpu', log: console.log });
  console.log(result.ok ? 'flat' : `FAIL: ${result.why.join('; ')}`);
  await server.close();
  process.exit(result.ok ? 0 : 1);
}
