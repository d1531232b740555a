import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { startService, type RunningService } from '../../src/server/process/run-service.js';
import { checkResponse } from '../support/openapi-conformance.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'dashboard-test-token-0123456789';
/** The demo runs with an API token: the dashboard only reads open routes (the page, its assets, the event stream). */
const DEMO_API_TOKEN = 'dashboard-demo-api-token-0123456789';
const ARTIFACTS = 'test-artifacts';

/**
 * Opens the dashboard and collects every console error and page error, and every answer
 * of the service the page received that its OpenAPI document does not describe.
 */
async function openDashboard(browser: Browser, url: string, viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('response', async (response) => {
    const headers = response.headers();
    if (headers['x-vix-ttl-worker'] === undefined) return;
    const streaming = headers['content-type']?.startsWith('text/event-stream') === true;
    const body = streaming || response.status() === 304 ? '' : await response.text().catch(() => '');
    try {
      checkResponse({ method: response.request().method(), url: response.url(), status: response.status(), headers, body });
    } catch (error) {
      errors.push((error as Error).message);
    }
  });
  await page.goto(url);
  return { page, errors };
}

const text = (page: Page, testId: string) => page.locator(`[data-testid="${testId}"]`).textContent();

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

describe('the Brain Lab dashboard in headless Chromium', { timeout: 90_000 }, () => {
  let server: VixTtlServer;
  let base: string;

  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock(), adminToken: TOKEN, eventIntervalMs: 500 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });

  afterAll(async () => {
    await server?.app.close();
  });

  it('reads the tier per importance, then shows the tier 3/4 banner after a drill panic started through the admin API', async () => {
    const { page, errors } = await openDashboard(browser, `${base}/`, { width: 1280, height: 900 });
    await page.waitForSelector('[data-testid="tier-global-medium_stakes"]');
    expect(await text(page, 'tier-global-high_stakes')).toBe('0');
    expect(await text(page, 'tier-global-medium_stakes')).toBe('0');
    expect(await text(page, 'tier-global-low_stakes')).toBe('0');
    expect(await page.locator('[data-testid="alert-banner"]').isHidden()).toBe(true);
    expect(await text(page, 'store-status')).toContain('memory · up');
    expect(await text(page, 'worker-pid')).toBe(String(process.pid));
    expect(await text(page, 'mode-label')).toBe('mode: live'); // callers get the tiers shown
    expect(await page.locator('[data-testid="shadow-banner"]').isHidden()).toBe(true);
    expect(await page.locator('[data-testid="served-global-medium_stakes"]').isHidden()).toBe(true); // live: callers get the TTL shown
    expect(await text(page, 'vix-summary')).toBe('no panic');
    expect(await text(page, 'vix-detail')).toContain('0 ticks');
    expect(await page.locator('[data-testid="vix-chart-global"]').isHidden()).toBe(true); // no ticks, no VIX chart

    for (const league of ['Champions League', 'Premier League', 'Ligue 2']) {
      const response = await fetch(`${base}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league }, scope: 'drill' }) });
      expect(response.status).toBe(200);
    }
    const drill = await fetch(`${base}/v1/admin/panic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ ageMinutes: 100 }),
    });
    expect(drill.status).toBe(200);

    await page.waitForSelector('[data-testid="alert-banner"]:not([hidden])', { timeout: 20_000 });
    // 100 minutes of panic: high stakes tier 2, medium tier 3 (90–180), low tier 4 (≥ 90).
    expect(await text(page, 'tier-global-high_stakes')).toBe('2');
    expect(await text(page, 'tier-global-medium_stakes')).toBe('3');
    expect(await text(page, 'tier-global-low_stakes')).toBe('4');
    expect(await text(page, 'ttl-global-medium_stakes')).toBe('30 s');
    expect(await text(page, 'panic-global')).toBe('PANIC');
    expect(await text(page, 'alert-text')).toContain('global medium stakes: tier 3 (DEGRADED)');
    expect(await text(page, 'countdown-global-medium_stakes')).toMatch(/^1:(19:\d\d|20:00)$/);
    expect(await text(page, 'countdown-global-low_stakes')).toBe('last tier');
    expect(await text(page, 'tier-drill-high_stakes')).toBe('1');
    await page.waitForFunction(() => document.querySelectorAll('.uplot').length >= 2);

    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone screen without horizontal scrolling or console errors', async () => {
    const { page, errors } = await openDashboard(browser, `${base}/`, { width: 390, height: 844 });
    await page.waitForSelector('[data-testid="tier-global-medium_stakes"]');
    await page.waitForFunction(() => document.querySelectorAll('.uplot').length >= 1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-phone.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the dashboard of a service in shadow mode (serve --shadow) in headless Chromium', { timeout: 90_000 }, () => {
  let server: VixTtlServer;
  let base: string;
  let now = Date.UTC(2026, 5, 14, 20, 0, 0);

  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, shadow: true, adminToken: TOKEN, eventIntervalMs: 500, vixSource: null });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });

  afterAll(async () => {
    await server?.app.close();
  });

  it('says shadow mode in the header and a banner, shows what callers are served next to the tier vix-ttl decides, the fresh minutes it would have served, and that the extended-panic banner is not applied', async () => {
    const { page, errors } = await openDashboard(browser, `${base}/`, { width: 1280, height: 900 });
    await page.waitForSelector('[data-testid="tier-global-medium_stakes"]');
    expect(await text(page, 'mode-label')).toBe('SHADOW MODE');
    expect(await page.locator('[data-testid="shadow-banner"]').isVisible()).toBe(true);
    expect(await text(page, 'shadow-text')).toBe('Callers are served their own base TTL (60 s, NORMAL, tier 0). The tiers and TTLs below are what vix-ttl would decide: not applied.');

    // A high-stakes caller in a panic: vix-ttl would say TTL 0; the caller keeps its 60 s copy for a minute of service clock.
    const response = await fetch(`${base}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { importance: 'high_stakes' }, scope: 'epl' }) });
    expect(await response.json()).toMatchObject({ ttl: 60, tier: 0, shadow: { ttl: 0, tier: 1 } });
    now += 60_000;
    await page.waitForFunction(() => document.querySelector('[data-testid="shadow-totals"]')?.textContent?.includes('high 1.0 min'), undefined, { timeout: 20_000 });
    expect(await text(page, 'shadow-totals')).toBe('Would have served fresher data so far: high 1.0 min (1.0 at TTL 0) · medium 0.0 min · low 0.0 min');
    await page.waitForSelector('[data-testid="tier-epl-high_stakes"]');
    expect(await text(page, 'tier-epl-high_stakes')).toBe('1');
    expect(await text(page, 'ttl-epl-high_stakes')).toBe('0 s');
    expect(await text(page, 'served-epl-high_stakes')).toBe('60 s');
    expect(await page.locator('[data-testid="served-epl-high_stakes"]').isVisible()).toBe(true);

    const drill = await fetch(`${base}/v1/admin/panic`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ ageMinutes: 100 }) });
    expect(drill.status).toBe(200);
    await page.waitForSelector('[data-testid="alert-banner"]:not([hidden])', { timeout: 20_000 });
    expect(await text(page, 'alert-title')).toBe('Extended panic · tier 4 · shadow: not applied');
    expect(await text(page, 'tier-global-medium_stakes')).toBe('3');
    expect(await text(page, 'served-global-medium_stakes')).toBe('60 s');

    await page.screenshot({ path: `${ARTIFACTS}/dashboard-shadow.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone screen in shadow mode without horizontal scrolling', async () => {
    const { page, errors } = await openDashboard(browser, `${base}/`, { width: 390, height: 844 });
    await page.waitForSelector('[data-testid="served-global-medium_stakes"]');
    expect(await page.locator('[data-testid="shadow-banner"]').isVisible()).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-shadow-phone.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the demo in headless Chromium, with an API token set: accelerated clock and simulated feed', { timeout: 90_000 }, () => {
  let service: RunningService;

  beforeAll(async () => {
    const config = { port: 0, host: '127.0.0.1', redisUrl: undefined, workers: 1, demo: true, demoSpeed: 1200, adminToken: null, apiToken: DEMO_API_TOKEN, shutdownTimeoutMs: 2000 };
    service = await startService(config, pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await service?.close();
  });

  it('labels the accelerated clock and shows the VIX engine panicking a scope, its index chart, and the tiers walking up to the tier 3/4 banner', async () => {
    const { page, errors } = await openDashboard(browser, `${service.address}/`, { width: 1280, height: 900 });
    await page.waitForSelector('[data-testid="tier-champions-league-high_stakes"]', { timeout: 20_000 });
    expect(await text(page, 'clock-label')).toContain('accelerated clock ×1200');
    // ×1200: a cycle of 480 clock minutes takes 24 s; the Champions League panics from minute 10 (+ the engine's
    // ~15 clock seconds) to 450, and low stakes reach tier 3 at 45 minutes of panic. The page is read in one
    // snapshot taken when it shows that panic (a slow machine may open it in the calm end of a cycle).
    const ids = ['alert-banner-hidden', 'panic-champions-league', 'tier-champions-league-low_stakes', 'vix-status-champions-league', 'vix-champions-league', 'vix-status-ligue-2', 'vix-summary'];
    const handle = await page.waitForFunction(
      (names) => {
        const read = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
        const banner = document.querySelector('[data-testid="alert-banner"]');
        if (!banner || banner.hasAttribute('hidden') || read('panic-champions-league') !== 'PANIC' || Number(read('tier-champions-league-low_stakes')) < 3) return null;
        const snapshot: Record<string, string | null> = {};
        for (const id of names) snapshot[id] = id === 'alert-banner-hidden' ? String(banner.hasAttribute('hidden')) : read(id);
        snapshot.transitions = JSON.stringify(Array.from(document.querySelectorAll('[data-testid="vix-transition"]'), (e) => e.textContent));
        return snapshot;
      },
      ids,
      { timeout: 60_000, polling: 50 },
    );
    const seen = (await handle.jsonValue()) as Record<string, string>;
    expect(seen['alert-banner-hidden']).toBe('false');
    expect(seen['vix-status-champions-league']).toBe('VIX panic');
    expect(seen['vix-champions-league']).toMatch(/^VIX \d+\.\d · panic$/);
    expect(Number(/VIX (\S+)/.exec(seen['vix-champions-league']!)![1])).toBeGreaterThan(2);
    expect(seen['vix-status-ligue-2']).toMatch(/^VIX (calm|elevated)$/);
    expect(seen['vix-summary']).toMatch(/^\d+ in panic$/);
    // The list shows the 4 latest transitions: on a slow machine other scopes' may already follow the panic.
    const shown = JSON.parse(seen.transitions!) as string[];
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(4);
    for (const line of shown) expect(line).toMatch(/^\d\d:\d\d:\d\d [a-z0-9-]+ → (calm|elevated|panic)$/);
    const state = (await (await fetch(`${service.address}/v1/state`)).json()) as { vix: { recent: Array<{ scope: string; to: string }> } };
    expect(state.vix.recent).toContainEqual(expect.objectContaining({ scope: 'champions-league', to: 'panic' }));
    await page.waitForSelector('[data-testid="vix-chart-champions-league"] .uplot canvas');
    // ×1200: a clock minute passes every 50 ms, so between two state events the countdown may run out
    // and read "now" until the next one; the annotation is checked on a fresh state, not at any instant.
    await page.waitForFunction(() => /\(≈ .* real\)$/.test(document.querySelector('[data-testid="countdown-champions-league-high_stakes"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-demo.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
    // The token is really on: the routes that write the shared clock refuse a client without it.
    const unauthorized = await fetch(`${service.address}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"baseTtl":60,"vixStatus":"calm"}' });
    expect(unauthorized.status).toBe(401);
  });

  it('on a phone the demo with its VIX charts fits the screen without horizontal scrolling', async () => {
    const { page, errors } = await openDashboard(browser, `${service.address}/`, { width: 390, height: 844 });
    await page.waitForSelector('[data-testid="vix-chart-champions-league"] .uplot canvas', { timeout: 20_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-demo-phone.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
