// Memory soak: load a lab, change its settings many times through the host
// protocol (one change a frame, as fast as a dragged slider), and
// watch what the app holds on the GPU (`data-gpu-buffers`,
// `data-gpu-bytes`), the JS heap, the page's and the worker's wasm heaps
// (`data-wasm-live`, `data-worker-live`) and the browser's GPU-process
// heap; at the end, training must run again (double descent: the last
// settings' curves finish).
//
// `soak()` is what soak.test.mjs runs, sized for CI. The long version is
// this file as a script:
//
//   node tests/e2e/soak.mjs [changes=1000] [query='?lab=playground'] [cpu]
//   node tests/e2e/soak.mjs 300 '?lab=landscape&grid=16'
//   node tests/e2e/soak.mjs 300 '?lab=dd'
//   node tests/e2e/soak.mjs 300 '?lab=implicit&view=matrix&matrix_steps=100000'
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

/**
 * The GPU process's heap (MB) from a memory-infra dump through the DevTools
 * protocol: `gpuLiveMb`, the bytes its allocator (PartitionAlloc, which also
 * serves SwiftShader's mallocs) has handed out and not taken back, and
 * `gpuStacksMb`, the part of it in 1 MiB blocks: SwiftShader's scheduler
 * (marl) gives each suspended task a 1 MiB fiber stack and keeps every
 * stack it ever made for reuse. Unlike the resident size, which keeps freed
 * pages and rises in steps as thread arenas fill, the live heap falls when
 * memory is freed. NaN where the dump names no GPU process.
 */
async function gpuProcessHeap(cdp) {
  const events = [];
  const collect = (e) => events.push(...e.value);
  cdp.on('Tracing.dataCollected', collect);
  const complete = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], memoryDumpConfig: { triggers: [] } },
    transferMode: 'ReportEvents',
  });
  await cdp.send('Tracing.requestMemoryDump', { deterministic: true, levelOfDetail: 'detailed' });
  await cdp.send('Tracing.end');
  await complete;
  cdp.off('Tracing.dataCollected', collect);
  const gpu = events.find((e) => e.ph === 'M' && e.name === 'process_name' && e.args?.name === 'GPU Process')?.pid;
  const allocators = events.filter((e) => e.ph === 'v' && e.pid === gpu).map((e) => e.args?.dumps?.allocators).find((a) => a?.malloc);
  if (!allocators) return { gpuLiveMb: NaN, gpuStacksMb: NaN };
  const bytes = (dump) => parseInt(dump?.attrs?.allocated_objects_size?.value ?? '0', 16);
  const stacks = Object.entries(allocators)
    .filter(([name, dump]) => /\/buckets\/directMap_\d+$/.test(name) && Math.abs(bytes(dump) - 2 ** 20) < 2 ** 16).length;
  return { gpuLiveMb: bytes(allocators.malloc) / 2 ** 20, gpuStacksMb: stacks };
}

export const fmt = (s) => `buffers ${s.buffers}, held ${(s.gpuBytes / 2 ** 20).toFixed(1)} MB, GPU process ${s.gpuProcessMb.toFixed(0)} MB resident, ${s.gpuLiveMb.toFixed(1)} MB live of which ${s.gpuStacksMb} MB fiber stacks, `
  + `JS heap ${s.heapMb.toFixed(2)} MB, wasm ${s.wasmMb.toFixed(1)} MB (live ${s.liveMb.toFixed(3)} MB, worker ${s.workerMb.toFixed(3)} MB), phase ${s.phase}, steps ${s.steps}`;

/**
 * The GPU process's heap that the page's work can leave behind: its live
 * heap without SwiftShader's fiber stacks. Those are a high-water mark of
 * SwiftShader's own, not the page's: the landscape's loss grids (256 models
 * a dispatch, with workgroup barriers) grow them in steps to 1794 stacks
 * (1.8 GB of address space, mostly never touched) within its first twenty
 * grids, after which they stay flat; they outlive the page that made them,
 * and the lab's sharpness and connectivity views, which draw no grid, add
 * none.
 */
const gpuHeapMb = (s) => s.gpuLiveMb - s.gpuStacksMb;
/** MB the GPU process's heap may differ by: caches of a few MB, no more. */
const GPU_SLACK_MB = 8;

/**
 * Runs `changes` settings changes on `query` in a fresh browser (WebGPU, or
 * the CPU fallback with `cpu`) and returns `{ ok, why, reference, end, alone }`:
 * `reference` is the run of the 100th change once it trains again, `end`
 * the same settings after all the changes, `alone` how many changes had
 * a frame (a rebuilt run) of their own. Both are sampled paused, once the
 * lab has drained its GPU queue. Flat means within 5 % of the reference:
 * what the app holds on the GPU (a staging buffer or two of slack), the JS
 * heap, the page's and the worker's wasm heaps (live bytes,
 * not linear memory, which only grows) and the GPU process's heap
 * ([`gpuHeapMb`], live bytes, not its resident size, which keeps freed
 * pages).
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
    const browserCdp = await browser.newBrowserCDPSession();
    // The JS heap after a full collection, and the GPU buffers the app
    // holds, sampled paused and drained: a running lab's readbacks in flight
    // hold staging buffers (a running landscape, between 26 and 34 buffers
    // over a second) and its messages and frames a few kB of heap. Paused,
    // it finishes what it has queued (a landscape, the grid it is drawing),
    // and the count settles: read once it has not moved in a second, and
    // the JS heap as the least of those readings. A buffer that is never
    // let go, or a read that never completes, shows as much paused as not.
    const transport = !query.includes('lab=dd');
    const post = (type) => page.evaluate((t) => window.postMessage({ gradlab: 1, type: t }, '*'), type);
    const drained = async () => {
      if (transport) await post('pause');
      const seen = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        await cdp.send('HeapProfiler.collectGarbage');
        seen.push(await page.evaluate(() => {
          const root = document.querySelector('[data-phase]');
          return {
            heapMb: performance.memory ? performance.memory.usedJSHeapSize / 2 ** 20 : NaN,
            buffers: Number(root?.dataset.gpuBuffers ?? NaN),
            gpuBytes: Number(root?.dataset.gpuBytes ?? NaN),
          };
        }));
        const last = seen.slice(-5);
        if (last.length === 5 && last.every((s) => s.buffers === last[0].buffers && s.gpuBytes === last[0].gpuBytes)) break;
        if (Date.now() > deadline) break;
        await page.waitForTimeout(250);
      }
      const last = seen.slice(-5);
      return { ...last[last.length - 1], heapMb: Math.min(...last.map((s) => s.heapMb)) };
    };
    const sample = async () => {
      const held = await drained();
      const inPage = await page.evaluate(() => {
        const root = document.querySelector('[data-phase]');
        return {
          wasmMb: Number(root?.dataset.wasmBytes ?? NaN) / 2 ** 20,
          liveMb: Number(root?.dataset.wasmLive ?? NaN) / 2 ** 20,
          workerMb: Number(root?.dataset.workerLive ?? NaN) / 2 ** 20,
          steps: Number(root?.dataset.steps ?? NaN),
          phase: root?.dataset.phase,
        };
      });
      const gpu = await gpuProcessHeap(browserCdp);
      if (transport) await post('play');
      return { ...inPage, ...held, gpuProcessMb: residentMb(gpuPid), ...gpu };
    };
    // Trains again (and, in the landscape, draws a new grid; in double
    // descent, the curves are done): then a sample.
    const settle = async (sampled = true) => {
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
      if (!sampled) return [true, null];
      await page.waitForTimeout(2000);
      return [true, await sample()];
    };
    // Width and learning rate; double descent has neither, and its n and
    // seeds change curves that take the worker seconds each, so a change
    // that does not cancel the last one's job leaves minutes of work. The
    // implicit-bias lab's matrix completion: its side and α.
    const dd = query.includes('lab=dd');
    const implicit = query.includes('lab=implicit');
    const widths = [8, 16, 24, 32, 48, 64, 96, 128];
    const lrs = [0.003, 0.01, 0.03];
    const ns = [150, 200, 250, 300];
    const sizes = [8, 12, 16, 20, 24];
    const alphas = [0.001, 0.01, 0.1];
    const params = (i) => {
      if (dd) return { n: ns[i % ns.length], seeds: 3 + (i % 3) };
      if (implicit) return { size: sizes[i % sizes.length], alpha: alphas[i % alphas.length] };
      return { width: widths[i % widths.length], lr: lrs[i % lrs.length] };
    };
    // Changes `from..to`, one a frame, as a dragged slider sends them: the
    // page handles each message between two frames and rebuilds the run in
    // the next (the last change waits for that frame too). Returns how many
    // were handled before the next frame began, each then a rebuild of its
    // own (a change handled later shares its frame with the next one).
    let alone = 0;
    const change = async (from, to) => {
      alone += await page.evaluate((all) => new Promise((ok) => {
        let [sent, handled, separate] = [0, 0, 0];
        const count = () => { handled += 1; };
        window.addEventListener('message', count);
        const next = () => {
          if (sent > 0 && handled === sent) separate += 1;
          if (all.length === 0) {
            window.removeEventListener('message', count);
            requestAnimationFrame(() => ok(separate));
            return;
          }
          window.postMessage({ gradlab: 1, type: 'set', params: all.shift() }, '*');
          sent += 1;
          requestAnimationFrame(next);
        };
        next();
      }), Array.from({ length: to - from + 1 }, (_, k) => params(from + k)));
    };

    await settle(false); // every kernel the lab uses is compiled now
    const t0 = Date.now();
    let reference = null;
    for (let first = 1; first <= changes; first += 100) {
      const last = Math.min(changes, first + 99);
      await change(first, last);
      if (last === 100) {
        const [ok, s] = await settle();
        reference = ok ? s : null;
        log(`reference, settled after 100 changes: ${fmt(s)}`);
      }
      if (logging) log(`${last} changes (${((Date.now() - t0) / 1000).toFixed(0)} s): ${fmt(await sample())}`);
    }
    await change(100, 100); // like with like
    const [resumed, end] = await settle();
    log(`settled: ${fmt(end)}; training ${resumed ? 'resumed' : 'DID NOT resume'}; page errors: ${errors.length}; ${alone} of ${changes + 1} changes a frame of their own`);
    const within = (a, b, slack = 0) => b <= a * 1.05 + slack;
    const why = [];
    // Loaded, a message can miss its frame; most must not, or the soak
    // rebuilt far fewer runs than it says.
    if (alone < (changes + 1) / 2) why.push(`only ${alone} of ${changes + 1} changes had a frame of their own`);
    if (!reference) why.push('the reference run did not train');
    if (!resumed) why.push(dd ? 'the last settings\' curves did not finish within 60 s' : 'training did not resume');
    if (errors.length) why.push(`page errors: ${errors.join(' | ').slice(0, 500)}`);
    if (reference) {
      if (!within(reference.gpuBytes, end.gpuBytes, 2 ** 18) || !within(reference.buffers, end.buffers, 3)) why.push('GPU buffers grew');
      if (!within(reference.heapMb, end.heapMb)) why.push('the JS heap grew');
      // The heaps (page and worker) hold a run's state, which varies with how
      // long it has trained: the landscape's trajectory grows by a snapshot
      // (10 kB at width 48) five times a second until thinned. Hence two
      // wasm pages of slack; a change that kept a kilobyte would show.
      if (!within(reference.liveMb, end.liveMb, 0.125)) why.push('the page\'s wasm heap grew');
      if (!within(reference.workerMb, end.workerMb, 0.125)) why.push('the worker\'s wasm heap grew');
      const [before, after] = [reference, end].map(gpuHeapMb);
      if (Number.isNaN(before) || Number.isNaN(after)) why.push('no memory dump named the GPU process (DevTools protocol, memory-infra)');
      else if (!within(before, after, GPU_SLACK_MB)) why.push(`the GPU process's heap grew from ${before.toFixed(1)} to ${after.toFixed(1)} MB`);
    }
    return { ok: why.length === 0, why, reference, end, alone };
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
