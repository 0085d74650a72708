// Manual look: node tests/e2e/look.mjs [query] [name] [w] [h] [wait ms] [cpu]
import { serve, launch, open, screenshot } from './harness.mjs';
const [query = '', name = 'look.png', w = '1280', h = '860', wait = '8000', cpu = ''] = process.argv.slice(2);
const srv = await serve();
const browser = await launch({ webgpu: !cpu });
const { page, errors } = await open(browser, srv.url + query, { viewport: { width: +w, height: +h }, noWebGpu: !!cpu });
await page.waitForTimeout(+wait);
const data = await page.$$eval('[data-steps], .views, .dd-lab, .ntk', (els) => els.map((el) => ({ ...el.dataset })));
console.log(data, errors);
console.log(await screenshot(page, name));
await browser.close();
await srv.close();
